import { CHECKS } from '../checks-catalogue.js';
import type { Finding } from '../finding.js';
import { evaluateKeyRequirementPolicy } from '../key-requirement-policy.js';
import { expectedKeyText, type BucketCheckInput } from './bucket-check-input.js';
import { errorFinding, makeFinding } from './make-finding.js';

const CHECK = CHECKS['s3-policy-denies-wrong-key'];

export const checkPolicyDeniesWrongKey = ({ bucket, requiredKey }: BucketCheckInput): Finding => {
  const base = {
    resource: bucket.arn,
    region: bucket.region,
    expected: `a Deny for Principal "*" of s3:PutObject on ${bucket.arn}/* unless s3:x-amz-server-side-encryption-aws-kms-key-id is ${expectedKeyText(requiredKey, bucket.region)}`,
  };
  if (!bucket.policy.ok) return errorFinding(CHECK, { error: bucket.policy.error, ...base });
  if (requiredKey.kind === 'unknown') return errorFinding(CHECK, { error: requiredKey.error, ...base });
  if (requiredKey.kind === 'unusable') return makeFinding(CHECK, { status: 'failed', observed: requiredKey.reason, ...base });
  const evaluation = evaluateKeyRequirementPolicy(bucket.policy.value, bucket.arn, requiredKey.arn);
  return evaluation.compliant
    ? makeFinding(CHECK, { status: 'passed', observed: evaluation.evidence, ...base })
    : makeFinding(CHECK, { status: 'failed', observed: evaluation.reason, ...base });
};
