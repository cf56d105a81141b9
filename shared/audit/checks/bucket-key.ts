import { SSE_ALGORITHM } from '../../core/encryption-state.js';
import { CHECKS } from '../checks-catalogue.js';
import type { Finding } from '../finding.js';
import type { BucketCheckInput } from './bucket-check-input.js';
import { makeFinding } from './make-finding.js';

const CHECK = CHECKS['s3-bucket-key-enabled'];

/**
 * Applies to SSE-KMS defaults only (DSSE-KMS has no bucket keys), and only where POLICY wants bucket
 * keys (`bucketKey`, default true): otherwise there is no finding. A default that could not be read
 * says nothing either way (s3-default-encryption-kms reports the error).
 */
export const checkBucketKey = ({ bucket, requirement }: BucketCheckInput): Finding | undefined => {
  const base = { resource: bucket.arn, region: bucket.region };
  if (!bucket.encryption.ok || !requirement.bucketKey || bucket.encryption.value.kind === 'none') return undefined;
  const kmsRules = bucket.encryption.value.rules
    .map((rule, index) => ({ rule, index }))
    .filter(({ rule }) => rule.algorithm === SSE_ALGORITHM.kms);
  if (kmsRules.length === 0) return undefined;
  const off = kmsRules.filter(({ rule }) => !rule.bucketKeyEnabled);
  return makeFinding(CHECK, {
    status: off.length === 0 ? 'passed' : 'failed',
    expected: 'BucketKeyEnabled true on every SSE-KMS rule',
    observed: kmsRules.map(({ rule, index }) => `rule ${index + 1}: bucket key ${rule.bucketKeyEnabled ? 'on' : 'off'}`).join('; '),
    ...base,
  });
};
