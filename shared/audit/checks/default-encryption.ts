import { SSE_ALGORITHM } from '../../core/encryption-state.js';
import { lookupId, type EncryptionRuleFacts, type KeyLookup } from '../audit-facts.js';
import { CHECKS } from '../checks-catalogue.js';
import type { Finding } from '../finding.js';
import { regionOfReference } from '../key-arn.js';
import { expectedKeyText, type BucketCheckInput } from './bucket-check-input.js';
import { errorFinding, makeFinding } from './make-finding.js';

const CHECK = CHECKS['s3-default-encryption-kms'];

/** The key ARN a rule's KMSMasterKeyID stands for, looked up in the region S3 would use it in. */
export const ruleKeyLookup = (rule: EncryptionRuleFacts, region: string, keys: ReadonlyMap<string, KeyLookup>): KeyLookup | undefined =>
  rule.kmsKeyReference === undefined ? undefined : keys.get(lookupId(regionOfReference(rule.kmsKeyReference, region), rule.kmsKeyReference));

const describeRule = (rule: EncryptionRuleFacts, lookup: KeyLookup | undefined): string => {
  const bucketKey = rule.bucketKeyEnabled ? ', bucket key on' : '';
  switch (rule.algorithm) {
    case SSE_ALGORITHM.s3:
      return 'SSE-S3 (AES256)';
    case SSE_ALGORITHM.kms:
    case SSE_ALGORITHM.dsseKms: {
      const kind = rule.algorithm === SSE_ALGORITHM.kms ? 'SSE-KMS' : 'DSSE-KMS';
      if (rule.kmsKeyReference === undefined) return `${kind} with the AWS-managed key aws/s3${bucketKey}`;
      if (lookup?.kind === 'found') {
        const named = lookup.key.arn === rule.kmsKeyReference ? '' : ` (named as ${rule.kmsKeyReference})`;
        const managed = lookup.key.manager === 'AWS' ? ' (AWS-managed)' : '';
        return `${kind} with ${lookup.key.arn}${named}${managed}${bucketKey}`;
      }
      if (lookup?.kind === 'not-found') return `${kind} with ${rule.kmsKeyReference}, which does not exist${bucketKey}`;
      return `${kind} with ${rule.kmsKeyReference}, which could not be described${bucketKey}`;
    }
    default:
      return `unrecognised algorithm ${rule.algorithm ?? '(none)'}`;
  }
};

/**
 * Every rule, not just the first: SSE-KMS (or DSSE-KMS when accepted) with exactly the required key
 * ARN for the bucket's region. `aws:kms` without a key id is the AWS-managed aws/s3 key: not enough.
 */
export const checkDefaultEncryption = ({ bucket, requirement, requiredKey, keys }: BucketCheckInput): Finding => {
  const base = { resource: bucket.arn, region: bucket.region };
  if (!bucket.encryption.ok) return errorFinding(CHECK, { error: bucket.encryption.error, ...base });
  const algorithms = requirement.acceptDsseKms ? 'SSE-KMS or DSSE-KMS' : 'SSE-KMS';
  const expected = `every default encryption rule is ${algorithms} with ${expectedKeyText(requiredKey, bucket.region)}`;
  const encryption = bucket.encryption.value;
  if (encryption.kind === 'none' || encryption.rules.length === 0) {
    return makeFinding(CHECK, { status: 'failed', expected, observed: 'no default encryption configuration', ...base });
  }
  const observed = encryption.rules.map((rule, index) => `rule ${index + 1}: ${describeRule(rule, ruleKeyLookup(rule, bucket.region, keys))}`).join('; ');
  if (requiredKey.kind === 'unknown') {
    return errorFinding(CHECK, { error: requiredKey.error, ...base });
  }
  if (requiredKey.kind === 'unusable') {
    return makeFinding(CHECK, { status: 'failed', expected, observed: `${observed}; ${requiredKey.reason}`, ...base });
  }
  const compliant = encryption.rules.every((rule) => {
    const algorithmOk = rule.algorithm === SSE_ALGORITHM.kms || (rule.algorithm === SSE_ALGORITHM.dsseKms && requirement.acceptDsseKms);
    const lookup = ruleKeyLookup(rule, bucket.region, keys);
    return algorithmOk && lookup?.kind === 'found' && lookup.key.arn === requiredKey.arn;
  });
  return makeFinding(CHECK, { status: compliant ? 'passed' : 'failed', expected, observed, ...base });
};
