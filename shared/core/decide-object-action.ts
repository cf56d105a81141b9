import type { ObjectClassification } from './classify-object.js';
import { SSE_ALGORITHM, type EncryptionState } from './encryption-state.js';
import type { ObjectRequirement } from './object-requirement.js';

export type EnforcementMode = 'enforce' | 'report';

/** CopyObject copies at most 5 GiB in one request. */
export const COPY_OBJECT_LIMIT_BYTES = 5 * 1024 ** 3;

/** The encryption a remediation writes. */
export interface EncryptionTarget {
  readonly algorithm: typeof SSE_ALGORITHM.kms | typeof SSE_ALGORITHM.dsseKms;
  readonly keyArn: string;
  /** Bucket keys do not exist for DSSE-KMS. */
  readonly bucketKeyEnabled: boolean;
}

/** Benign: acknowledged, nobody needs to act. */
export type QuietSkipReason = 'gone' | 'superseded' | 'exempt';

/** Not remediated, and someone should know. */
export type AlertReason =
  | 'customer-provided-key'
  | 'archived'
  | 'exceeds-copy-limit'
  | 'dsse-not-accepted'
  | 'unrecognised-encryption'
  | 'report-only';

export type ObjectAction =
  | { readonly kind: 'compliant' }
  | { readonly kind: 'remediate'; readonly target: EncryptionTarget }
  | { readonly kind: 'skip'; readonly reason: QuietSkipReason; readonly detail: string }
  | { readonly kind: 'alert'; readonly reason: AlertReason; readonly detail: string };

export interface DecisionInput {
  readonly classification: ObjectClassification;
  readonly requirement: ObjectRequirement;
  readonly mode: EnforcementMode;
  /** Objects above this size are not copied in one request. */
  readonly copyLimitBytes: number;
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

/** Pure: (what the object is, what the policy requires, how we run) → what to do. */
export const decideObjectAction = ({ classification, requirement, mode, copyLimitBytes }: DecisionInput): ObjectAction => {
  if (classification.kind === 'gone') {
    return { kind: 'skip', reason: 'gone', detail: 'the object was deleted before it could be inspected' };
  }
  if (requirement.kind === 'exempt') {
    return { kind: 'skip', reason: 'exempt', detail: `exempt by policy (bucket ${requirement.rule.bucket}, prefix "${requirement.rule.prefix}")` };
  }
  const { encryption, storage, sizeBytes } = classification;
  if (isCompliant(encryption, requirement)) return { kind: 'compliant' };

  if (encryption.kind === 'sse-c') {
    return { kind: 'alert', reason: 'customer-provided-key', detail: 'encrypted with a customer-provided key (SSE-C); only the uploader can read or re-encrypt it' };
  }
  if (encryption.kind === 'unrecognised') {
    return { kind: 'alert', reason: 'unrecognised-encryption', detail: `unrecognised server-side encryption "${encryption.algorithm}"` };
  }
  if (encryption.kind === 'dsse-kms' && !requirement.acceptDsseKms && encryption.keyArn === requirement.keyArn) {
    return { kind: 'alert', reason: 'dsse-not-accepted', detail: 'DSSE-KMS is not accepted by policy, and is never downgraded automatically' };
  }
  const target = targetFor(encryption, requirement.keyArn, requirement.bucketKey);
  if (mode === 'report') {
    return { kind: 'alert', reason: 'report-only', detail: `not compliant; report mode would re-encrypt it under ${target.keyArn}` };
  }
  if (storage.kind === 'archived' && !storage.restored) {
    return { kind: 'alert', reason: 'archived', detail: `stored in ${storage.storageClass}; it cannot be copied without a restore` };
  }
  if (sizeBytes !== undefined && sizeBytes > copyLimitBytes) {
    return { kind: 'alert', reason: 'exceeds-copy-limit', detail: `${sizeBytes} bytes is more than a single copy can carry (${copyLimitBytes} bytes)` };
  }
  return { kind: 'remediate', target };
};
