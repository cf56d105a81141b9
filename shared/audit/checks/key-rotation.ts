import type { KeyFacts } from '../audit-facts.js';
import { rotationApplies, whyCannotRotate } from '../key-rotation-eligibility.js';
import { CHECKS } from '../checks-catalogue.js';
import type { Finding } from '../finding.js';
import { errorFinding, makeFinding } from './make-finding.js';

const CHECK = CHECKS['kms-key-rotation'];

/** KMS's period when none is given, and what it reports when it leaves the period out. */
export const DEFAULT_ROTATION_PERIOD_DAYS = 365;

export const checkKeyRotation = (key: KeyFacts, maxPeriodDays: number, namedBy: readonly string[]): Finding | undefined => {
  if (!rotationApplies(key)) return undefined;
  const base = {
    resource: key.arn,
    region: key.region,
    related: namedBy,
    expected: `automatic rotation on, every ${maxPeriodDays} days or more often`,
  };
  const cannot = whyCannotRotate(key);
  if (cannot) {
    return makeFinding(CHECK, {
      ...base,
      status: 'informational',
      expected: 'rotation by hand: a new key, and data re-encrypted under it',
      observed: cannot,
      remediation: 'Rotate by hand on a schedule: create a new key, point the bucket default and REQUIRED_KMS_KEY (an alias) at it, re-encrypt.',
    });
  }
  if (!key.rotation) return undefined;
  if (!key.rotation.ok) return errorFinding(CHECK, { ...base, error: key.rotation.error });
  const replicaNote = key.multiRegionType === 'REPLICA' ? ` (a multi-Region replica: rotation is set on the primary ${key.primaryArn ?? ''})`.replace(' )', ')') : '';
  const { enabled, periodDays } = key.rotation.value;
  if (!enabled) return makeFinding(CHECK, { ...base, status: 'failed', observed: `automatic rotation is off${replicaNote}` });
  const period = periodDays ?? DEFAULT_ROTATION_PERIOD_DAYS;
  const periodText = periodDays === undefined ? `period not reported (KMS's default is ${DEFAULT_ROTATION_PERIOD_DAYS} days)` : `every ${periodDays} days`;
  return makeFinding(CHECK, {
    ...base,
    status: period <= maxPeriodDays ? 'passed' : 'failed',
    observed: `automatic rotation on, ${periodText}${replicaNote}`,
  });
};
