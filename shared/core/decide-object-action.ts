import type { ObjectClassification } from './classify-object.js';
import { SSE_ALGORITHM, type EncryptionState } from './encryption-state.js';
import type { ObjectRequirement, RemediationStrategy } from './object-requirement.js';

export type EnforcementMode = 'enforce' | 'report';

/** CopyObject copies at most 5 GiB in one request. */
export const COPY_OBJECT_LIMIT_BYTES = 5 * 1024 ** 3;
/** The largest S3 object: 10,000 parts of at most 5 GiB, capped at 5 TiB. */
export const MAX_OBJECT_BYTES = 5 * 1024 ** 4;

/** The encryption a remediation writes. */
export interface EncryptionTarget {
  readonly algorithm: typeof SSE_ALGORITHM.kms | typeof SSE_ALGORITHM.dsseKms;
  readonly keyArn: string;
  /** Bucket keys do not exist for DSSE-KMS. */
  readonly bucketKeyEnabled: boolean;
}

/**
 * update-in-place: UpdateObjectEncryption re-wraps the data key; no data moves, nothing else changes.
 * copy-in-place: CopyObject onto itself (up to 5 GiB).
 * multipart-copy: UploadPartCopy onto itself, every header carried explicitly.
 */
export type RemediationMethod = 'update-in-place' | 'copy-in-place' | 'multipart-copy';
export type CopyMethod = Exclude<RemediationMethod, 'update-in-place'>;

/** Benign: acknowledged, nobody needs to act. */
export type QuietSkipReason = 'gone' | 'superseded' | 'exempt';

/** Not remediated, and someone should know. */
export type AlertReason =
  | 'customer-provided-key'
  | 'archived'
  | 'exceeds-copy-limit'
  | 'update-not-applicable'
  | 'dsse-not-accepted'
  | 'unrecognised-encryption'
  | 'report-only';

export type ObjectAction =
  | { readonly kind: 'compliant' }
  | {
      readonly kind: 'remediate';
      readonly method: RemediationMethod;
      readonly target: EncryptionTarget;
    }
  | { readonly kind: 'skip'; readonly reason: QuietSkipReason; readonly detail: string }
  | { readonly kind: 'alert'; readonly reason: AlertReason; readonly detail: string };

export interface DecisionInput {
  readonly classification: ObjectClassification;
  readonly requirement: ObjectRequirement;
  readonly mode: EnforcementMode;
  /** Objects above this size are copied in parts. */
  readonly copyLimitBytes: number;
  readonly strategy?: RemediationStrategy | undefined;
  /** False where UpdateObjectEncryption cannot be used (a non-AWS endpoint, or it answered "not implemented"). */
  readonly updateAvailable?: boolean | undefined;
}

/** True when the state already satisfies the requirement; an object in this state never gets a write. */
export const isCompliant = (encryption: EncryptionState, requirement: ObjectRequirement): boolean => {
  if (requirement.kind === 'exempt') return true;
  switch (encryption.kind) {
    case 'sse-kms':
      return encryption.keyArn === requirement.keyArn;
    case 'dsse-kms':
      return requirement.acceptDsseKms && encryption.keyArn === requirement.keyArn;
    default:
      return false;
  }
};

/** Remediation never lowers protection: a DSSE-KMS object stays DSSE-KMS under the new key. */
export const targetFor = (encryption: EncryptionState, keyArn: string, bucketKey: boolean): EncryptionTarget =>
  encryption.kind === 'dsse-kms'
    ? { algorithm: SSE_ALGORITHM.dsseKms, keyArn, bucketKeyEnabled: false }
    : { algorithm: SSE_ALGORITHM.kms, keyArn, bucketKeyEnabled: bucketKey };

/** Why UpdateObjectEncryption cannot take this object, or undefined when it can. */
export const updateBlocker = (classification: Extract<ObjectClassification, { kind: 'stored' }>): string | undefined => {
  const { encryption, lock } = classification;
  if (encryption.kind !== 'sse-s3' && encryption.kind !== 'sse-kms') {
    return `UpdateObjectEncryption only re-encrypts SSE-S3 or SSE-KMS objects, and this one is ${encryption.kind}`;
  }
  if (lock?.mode === 'COMPLIANCE') return 'UpdateObjectEncryption does not change objects under COMPLIANCE-mode Object Lock';
  return undefined;
};

type CopyPlan = { kind: 'copy'; method: CopyMethod } | { kind: 'blocked'; reason: AlertReason; detail: string };

const copyPlan = (classification: Extract<ObjectClassification, { kind: 'stored' }>, copyLimitBytes: number): CopyPlan => {
  const { storage, sizeBytes } = classification;
  if (storage.kind === 'archived' && !storage.restored) {
    return { kind: 'blocked', reason: 'archived', detail: `stored in ${storage.storageClass}; it cannot be copied without a restore` };
  }
  if (sizeBytes !== undefined && sizeBytes > MAX_OBJECT_BYTES) {
    return { kind: 'blocked', reason: 'exceeds-copy-limit', detail: `${sizeBytes} bytes is more than S3 can copy (${MAX_OBJECT_BYTES} bytes)` };
  }
  return { kind: 'copy', method: sizeBytes !== undefined && sizeBytes > copyLimitBytes ? 'multipart-copy' : 'copy-in-place' };
};

/** Pure: (what the object is, what the policy requires, how we run) → what to do. */
export const decideObjectAction = ({
  classification,
  requirement,
  mode,
  copyLimitBytes,
  strategy = 'copy',
  updateAvailable = false,
}: DecisionInput): ObjectAction => {
  if (classification.kind === 'gone') {
    return { kind: 'skip', reason: 'gone', detail: 'the object was deleted before it could be inspected' };
  }
  if (requirement.kind === 'exempt') {
    return { kind: 'skip', reason: 'exempt', detail: `exempt by policy (bucket ${requirement.rule.bucket}, prefix "${requirement.rule.prefix}")` };
  }
  const { encryption } = classification;
  if (isCompliant(encryption, requirement)) return { kind: 'compliant' };

  if (encryption.kind === 'sse-c') {
    return { kind: 'alert', reason: 'customer-provided-key', detail: 'encrypted with a customer-provided key (SSE-C); only the uploader can read or re-encrypt it' };
  }
  if (encryption.kind === 'unrecognised') {
    return { kind: 'alert', reason: 'unrecognised-encryption', detail: `unrecognised server-side encryption "${encryption.algorithm}"` };
  }
  if (encryption.kind === 'dsse-kms' && !requirement.acceptDsseKms) {
    // Re-encrypting it would mean DSSE-KMS again (never a downgrade), which the policy does not accept.
    return { kind: 'alert', reason: 'dsse-not-accepted', detail: 'DSSE-KMS is not accepted by policy, and is never downgraded automatically' };
  }
  const target = targetFor(encryption, requirement.keyArn, requirement.bucketKey);
  if (mode === 'report') {
    return { kind: 'alert', reason: 'report-only', detail: `not compliant; enforce mode would re-encrypt it under ${target.keyArn}` };
  }

  const plan = copyPlan(classification, copyLimitBytes);
  const blocker = updateBlocker(classification);
  if (strategy !== 'copy' && updateAvailable && blocker === undefined) {
    // If the endpoint refuses it for this object, the caller decides again with updateAvailable false.
    return { kind: 'remediate', method: 'update-in-place', target };
  }
  if (strategy === 'update') {
    return {
      kind: 'alert',
      reason: 'update-not-applicable',
      detail: blocker ?? 'UpdateObjectEncryption is not available on this endpoint, and POLICY.strategy is "update"',
    };
  }
  if (plan.kind === 'blocked') return { kind: 'alert', reason: plan.reason, detail: plan.detail };
  return { kind: 'remediate', method: plan.method, target };
};
