import type { FactError } from '../audit-facts.js';
import type { CheckDefinition } from '../checks-catalogue.js';
import { findingId, type Finding, type FindingStatus, type ResourceType, type Severity } from '../finding.js';

/**
 * What a check found. Bucket checks write theirs as `{ status, observed, ...base }`, the fields
 * they share last: properties after a spread cost V8 (Node 20) a fresh hidden class for every
 * object, about 2 µs each on the audit's path, where a spread at the end costs nothing.
 */
export interface FindingInput {
  readonly resource: string;
  readonly region: string;
  readonly status: FindingStatus;
  readonly observed: string;
  readonly expected: string;
  readonly severity?: Severity | undefined;
  readonly title?: string | undefined;
  readonly remediation?: string | undefined;
  readonly resourceType?: ResourceType | undefined;
  /** Distinguishes several findings of one check on one resource. */
  readonly qualifier?: string | undefined;
  readonly related?: readonly string[] | undefined;
}

/**
 * Observed and expected values describe, they do not reproduce: a finding carries no more of a
 * policy than a person needs to act on it, however long the policy is.
 */
export const FINDING_TEXT_LIMIT = 1000;

export const boundedText = (text: string): string => {
  if (text.length <= FINDING_TEXT_LIMIT) return text;
  const suffix = (kept: number): string => `… (${text.length - kept} more characters)`;
  const kept = FINDING_TEXT_LIMIT - suffix(FINDING_TEXT_LIMIT).length;
  return `${text.slice(0, kept)}${suffix(kept)}`;
};

export const makeFinding = (check: CheckDefinition, input: FindingInput): Finding => ({
  id: findingId(check.id, input.resource, input.qualifier),
  check: check.id,
  severity: input.severity ?? (input.status === 'informational' ? 'informational' : check.severity),
  status: input.status,
  resource: input.resource,
  resourceType: input.resourceType ?? check.resourceType,
  region: input.region,
  title: input.title ?? check.title,
  observed: boundedText(input.observed),
  expected: boundedText(input.expected),
  remediation: input.remediation ?? check.remediation,
  controls: check.controls,
  ...(input.related && input.related.length > 0 ? { related: input.related } : {}),
});

/** Severity of "could not check": someone must look, but it is not a known failure. */
export const ERROR_SEVERITY: Severity = 'medium';

/**
 * The audit could not tell: access denied, a bucket deleted mid-run. The observed text keeps only
 * the operation and code, so the same obstacle is the same finding every night.
 */
export const errorFinding = (
  check: CheckDefinition,
  input: Omit<FindingInput, 'status' | 'observed' | 'severity' | 'expected'> & { readonly error: FactError; readonly expected?: string | undefined },
): Finding =>
  makeFinding(check, {
    ...input,
    expected: input.expected ?? check.title,
    status: 'error',
    severity: ERROR_SEVERITY,
    observed: `${input.error.operation} failed with ${input.error.code}`,
    title: `${check.title}: could not be checked (${input.error.message.slice(0, 300)})`,
    remediation: `Let the audit role call ${input.error.operation} on this resource (or find out why it failed: ${input.error.code}), then the check can run.`,
  });
