import { CHECKS } from '../checks-catalogue.js';
import type { Finding } from '../finding.js';
import { evaluateTlsOnlyPolicy } from '../tls-only-policy.js';
import type { BucketCheckInput } from './bucket-check-input.js';
import { errorFinding, makeFinding } from './make-finding.js';

const CHECK = CHECKS['s3-tls-only-policy'];

export const checkTlsOnlyPolicy = ({ bucket }: BucketCheckInput): Finding => {
  const base = {
    resource: bucket.arn,
    region: bucket.region,
    expected: `a Deny for Principal "*" of s3:* on ${bucket.arn} and ${bucket.arn}/* when aws:SecureTransport is false`,
  };
  if (!bucket.policy.ok) return errorFinding(CHECK, { error: bucket.policy.error, ...base });
  const evaluation = evaluateTlsOnlyPolicy(bucket.policy.value, bucket.arn);
  return evaluation.compliant
    ? makeFinding(CHECK, { status: 'passed', observed: evaluation.evidence, ...base })
    : makeFinding(CHECK, { status: 'failed', observed: evaluation.reason, ...base });
};
