import type { FixPlan, FixResult } from '../../shared/audit/plan-fixes.js';
import { mapBounded } from '../../shared/core/run-bounded.js';
import type { BucketEncryptionWriter } from '../../shared/ports/bucket-encryption-writer.js';
import type { KeyRotationWriter } from '../../shared/ports/key-inspector.js';
import { factError } from './gather-facts.js';

export interface FixWriters {
  readonly bucketEncryption: BucketEncryptionWriter;
  readonly keyRotation: KeyRotationWriter;
}

const apply = async (plan: FixPlan, writers: FixWriters): Promise<FixResult> => {
  try {
    if (plan.kind === 'put-bucket-encryption') await writers.bucketEncryption.putDefaultEncryption(plan.bucket, plan.region, plan.rule);
    else await writers.keyRotation.enableRotation(plan.keyArn, plan.region, plan.periodDays);
    return { plan, outcome: 'applied' };
  } catch (error) {
    const { operation, code, message } = factError(plan.kind, error);
    return { plan, outcome: 'failed', error: `${operation}: ${code}: ${message}` };
  }
};

/** Each planned fix once; a fix that fails is reported with its error, and the others still run. */
export const applyFixes = (plans: readonly FixPlan[], writers: FixWriters, concurrency: number): Promise<FixResult[]> =>
  mapBounded(plans, concurrency, (plan) => apply(plan, writers));
