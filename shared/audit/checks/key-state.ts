import type { FactError, KeyFacts } from '../audit-facts.js';
import type { RegionalRequiredKey } from '../audit-context.js';
import { CHECKS } from '../checks-catalogue.js';
import type { Finding, Severity } from '../finding.js';
import type { InspectedBucket } from './bucket-check-input.js';
import { errorFinding, makeFinding } from './make-finding.js';

const CHECK = CHECKS['kms-key-state'];

const PENDING_DELETION = new Set(['PendingDeletion', 'PendingReplicaDeletion']);

/** Deletion makes every object under the key unreadable for good: nothing is more urgent. */
const severityOf = (state: string): Severity => (PENDING_DELETION.has(state) ? 'critical' : 'high');

const remediationOf = (state: string): string => {
  if (PENDING_DELETION.has(state)) return 'CancelKeyDeletion, then EnableKey, before the deletion date: once deleted, every object under the key is unreadable.';
  if (state === 'Disabled') return 'EnableKey: while it is disabled, uploads under it fail and objects under it cannot be read.';
  return CHECK.remediation;
};

export const checkKeyState = (key: KeyFacts, namedBy: readonly string[]): Finding => {
  const base = { resource: key.arn, region: key.region, expected: 'KeyState Enabled', related: namedBy };
  if (key.state === 'Enabled') return makeFinding(CHECK, { ...base, status: 'passed', observed: 'Enabled' });
  const when = key.deletionDate ? ` (deletion on ${key.deletionDate})` : '';
  return makeFinding(CHECK, {
    ...base,
    status: 'failed',
    severity: severityOf(key.state),
    observed: `${key.state}${when}`,
    remediation: remediationOf(key.state),
  });
};

/** A key named by a bucket default or by POLICY that KMS does not know. */
export const checkMissingKey = (resource: string, region: string, namedBy: readonly string[]): Finding =>
  makeFinding(CHECK, {
    resource,
    region,
    related: namedBy,
    status: 'failed',
    severity: 'critical',
    expected: 'the key exists and is Enabled',
    observed: 'no such key (deleted, or never created in this region)',
    remediation: `Name an existing key: ${namedBy.join(', ')} name(s) this key, and uploads under it fail.`,
  });

export const keyLookupError = (resource: string, region: string, namedBy: readonly string[], error: FactError): Finding =>
  errorFinding(CHECK, { resource, region, related: namedBy, expected: 'the key exists and is Enabled', error });

/**
 * Per bucket outside the required key's region: S3 needs a key in the bucket's own region, so a
 * single-Region required key, or a multi-Region one without a replica there, leaves it without one.
 */
export const checkRequiredKeyInBucketRegion = (bucket: InspectedBucket, requiredKey: RegionalRequiredKey): Finding => {
  const base = {
    resource: bucket.arn,
    region: bucket.region,
    resourceType: 'AwsS3Bucket' as const,
    qualifier: 'required-key-region',
    title: 'The required key is usable in the bucket region',
    expected: `the required key (${requiredKey.reference}), or its multi-Region replica, Enabled in ${bucket.region}`,
  };
  switch (requiredKey.kind) {
    case 'unknown':
      return errorFinding(CHECK, { ...base, error: requiredKey.error });
    case 'unusable':
      return makeFinding(CHECK, { ...base, status: 'failed', observed: requiredKey.reason, related: requiredKey.homeArn ? [requiredKey.homeArn] : undefined });
    case 'usable':
      return makeFinding(CHECK, {
        ...base,
        status: requiredKey.key.state === 'Enabled' ? 'passed' : 'failed',
        severity: severityOf(requiredKey.key.state),
        observed: `${requiredKey.arn} is ${requiredKey.key.state}`,
        related: [requiredKey.arn],
      });
  }
};
