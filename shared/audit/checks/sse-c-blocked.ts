import { CHECKS } from '../checks-catalogue.js';
import type { Finding } from '../finding.js';
import type { BucketCheckInput } from './bucket-check-input.js';
import { errorFinding, makeFinding } from './make-finding.js';

const CHECK = CHECKS['s3-sse-c-blocked'];
const SSE_C = 'SSE-C';

/** BlockedEncryptionTypes lists SSE-C on the bucket's encryption configuration. */
export const checkSseCBlocked = ({ bucket }: BucketCheckInput): Finding => {
  const base = { resource: bucket.arn, region: bucket.region, expected: 'BlockedEncryptionTypes includes SSE-C' };
  if (!bucket.encryption.ok) return errorFinding(CHECK, { error: bucket.encryption.error, ...base });
  const encryption = bucket.encryption.value;
  if (encryption.kind === 'none') {
    return makeFinding(CHECK, { status: 'failed', observed: 'no encryption configuration, so SSE-C uploads are not blocked', ...base });
  }
  const blocked = [...new Set(encryption.rules.flatMap((rule) => rule.blockedEncryptionTypes))];
  const isBlocked = blocked.some((type) => type.toUpperCase() === SSE_C);
  return makeFinding(CHECK, {
    status: isBlocked ? 'passed' : 'failed',
    observed: blocked.length === 0 ? 'no encryption type is blocked' : `blocked encryption types: ${blocked.join(', ')}`,
    ...base,
  });
};
