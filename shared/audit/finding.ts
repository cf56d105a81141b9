import { hash } from 'node:crypto';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'informational'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * `failed` and `error` are the failing statuses: error means the audit could not tell (access
 * denied, a bucket deleted mid-run). `fixed` means the audit changed the resource this run.
 */
export const FINDING_STATUSES = ['failed', 'error', 'fixed', 'passed', 'informational'] as const;
export type FindingStatus = (typeof FINDING_STATUSES)[number];

export const RESOURCE_TYPES = ['AwsS3Bucket', 'AwsKmsKey', 'AwsS3Object', 'AwsAccount'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** A change the audit made, with the state before; every fix is logged and reported. */
export interface FixRecord {
  readonly action: 'PutBucketEncryption' | 'EnableKeyRotation' | 'PutBucketPolicy';
  readonly before: string;
  readonly after: string;
  /** planned: what a run that applies fixes would do; refused: judged unsafe or impossible, nothing sent. */
  readonly outcome: 'applied' | 'planned' | 'failed' | 'refused';
  readonly error?: string | undefined;
}

export interface Finding {
  /** Stable: the same check of the same resource has the same id every night. */
  readonly id: string;
  readonly check: string;
  readonly severity: Severity;
  readonly status: FindingStatus;
  readonly resource: string;
  readonly resourceType: ResourceType;
  readonly region: string;
  readonly title: string;
  /** What the audit saw, in words a person can act on; compared night to night. */
  readonly observed: string;
  readonly expected: string;
  readonly remediation: string;
  /** Public controls this check corresponds to (Security Hub, CIS, PCI DSS, AWS Config). */
  readonly controls: readonly string[];
  /** Other resources involved (the buckets naming a key, the key a bucket names); not compared. */
  readonly related?: readonly string[] | undefined;
  readonly fix?: FixRecord | undefined;
  /**
   * When this finding (its id) was first reported, carried from run to run; set by the run that
   * records it, not by the checks. Security Hub's CreatedAt.
   */
  readonly firstSeen?: string | undefined;
}

/** A finding as a scan hands it on: with the account whose resource it is. */
export type AccountFinding = Finding & { readonly accountId: string };

export const isFailing = (status: FindingStatus): boolean => status === 'failed' || status === 'error';

const RANK: Readonly<Record<Severity, number>> = { critical: 0, high: 1, medium: 2, low: 3, informational: 4 };

export const compareSeverity = (a: Severity, b: Severity): number => RANK[a] - RANK[b];

/** The most severe of the given severities, or undefined for none. */
export const highestSeverity = (severities: Iterable<Severity>): Severity | undefined => {
  let highest: Severity | undefined;
  for (const severity of severities) if (highest === undefined || RANK[severity] < RANK[highest]) highest = severity;
  return highest;
};

/**
 * `check`, the resource ARN and, when one resource has several findings of one check, a qualifier.
 * A hash keeps ids short and free of characters that trouble filters and Markdown.
 */
export const findingId = (check: string, resource: string, qualifier?: string): string =>
  `${check}/${hash('sha256', [check, resource, qualifier ?? ''].join('\u0000')).slice(0, 20)}`;

/** Code-point order: the same on every machine, whatever its locale. */
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Orders findings for reports: failing first, then by severity, check and resource. */
export const compareFindings = (a: Finding, b: Finding): number =>
  Number(isFailing(b.status)) - Number(isFailing(a.status)) ||
  compareSeverity(a.severity, b.severity) ||
  compareText(a.check, b.check) ||
  compareText(a.resource, b.resource) ||
  compareText(a.id, b.id);
