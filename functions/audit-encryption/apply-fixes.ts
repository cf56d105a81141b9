import type { FixPlan, FixResult } from '../../shared/audit/plan-fixes.js';
import { mapBounded } from '../../shared/core/run-bounded.js';
import type { BucketEncryptionWriter, BucketPolicyWriter } from '../../shared/ports/bucket-encryption-writer.js';
import type { KeyRotationWriter } from '../../shared/ports/key-inspector.js';
import { factError } from './gather-facts.js';

export interface FixWriters {
  /** apply: write each planned fix; plan: write nothing, and report each as planned (a dry run). */
  readonly mode: 'apply' | 'plan';
  readonly bucketEncryption: BucketEncryptionWriter;
  readonly bucketPolicy: BucketPolicyWriter;
  readonly keyRotation: KeyRotationWriter;
}

const write = (plan: Exclude<FixPlan, { kind: 'refused' }>, writers: FixWriters): Promise<void> => {
  switch (plan.kind) {
    case 'put-bucket-encryption':
      return writers.bucketEncryption.putDefaultEncryption(plan.bucket, plan.region, plan.rule);
    case 'block-sse-c':
      return writers.bucketEncryption.putEncryptionRules(plan.bucket, plan.region, plan.rules);
    case 'put-bucket-policy':
      return writers.bucketPolicy.putBucketPolicy(plan.bucket, plan.region, plan.policy);
    case 'enable-key-rotation':
      return writers.keyRotation.enableRotation(plan.keyArn, plan.region, plan.periodDays);
  }
};

const apply = async (plan: FixPlan, writers: FixWriters): Promise<FixResult> => {
  if (plan.kind === 'refused') return { plan, outcome: 'refused', error: plan.reason };
  if (writers.mode === 'plan') return { plan, outcome: 'planned' };
  try {
    await write(plan, writers);
    return { plan, outcome: 'applied' };
  } catch (error) {
    const { operation, code, message } = factError(plan.kind, error);
    return { plan, outcome: 'failed', error: `${operation}: ${code}: ${message}` };
  }
};

/** Each planned fix once; a fix that fails is reported with its error, and the others still run. */
export const applyFixes = (plans: readonly FixPlan[], writers: FixWriters, concurrency: number): Promise<FixResult[]> =>
  mapBounded(plans, concurrency, (plan) => apply(plan, writers));
