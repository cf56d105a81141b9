/**
 * What happens to one object: whether its event still speaks for it, the decision about it, and the
 * decision after S3 refuses an update in place. Whether a multipart copy can run now is
 * decide-copy-start.ts.
 */
import type { ObjectClassification, ObjectInspection } from './classify-object.js';
import { SSE_ALGORITHM, type EncryptionState } from './encryption-state.js';
import type { ObjectRequirement, RemediationStrategy } from './object-requirement.js';

export type EnforcementMode = 'enforce' | 'report';

/** CopyObject copies at most 5 GiB in one request. */
export const COPY_OBJECT_LIMIT_BYTES = 5 * 1024 ** 3;
/** The largest S3 object: 10,000 parts of at most 5 GiB, capped at 5 TiB. */
export const MAX_OBJECT_BYTES = 5 * 1024 ** 4;

/** The encryption a remediation writes. */
export type EncryptionTarget = SseKmsTarget | DsseKmsTarget;

/** The only encryption UpdateObjectEncryption writes. */
export interface SseKmsTarget {
  readonly algorithm: typeof SSE_ALGORITHM.kms;
  readonly keyArn: string;
  readonly bucketKeyEnabled: boolean;
}

export interface DsseKmsTarget {
  readonly algorithm: typeof SSE_ALGORITHM.dsseKms;
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

type StoredObject = Extract<ObjectClassification, { kind: 'stored' }>;

/** Why UpdateObjectEncryption cannot take this object, or undefined when it can. */
export const updateBlocker = (classification: StoredObject): string | undefined => {
  const { encryption, lock } = classification;
  if (encryption.kind !== 'sse-s3' && encryption.kind !== 'sse-kms') {
    return `UpdateObjectEncryption only re-encrypts SSE-S3 or SSE-KMS objects, and this one is ${encryption.kind}`;
  }
  if (lock?.mode === 'COMPLIANCE') return 'UpdateObjectEncryption does not change objects under COMPLIANCE-mode Object Lock';
  return undefined;
};

/** Why copying cannot remediate an object. */
export type CopyBlockReason = Extract<AlertReason, 'archived' | 'exceeds-copy-limit'>;

/** What a copy of the object would be: one method, or blocked. */
export type CopyPlan =
  | { readonly kind: 'copy'; readonly method: CopyMethod }
  | { readonly kind: 'blocked'; readonly reason: CopyBlockReason; readonly detail: string };

const copyPlan = (classification: StoredObject, copyLimitBytes: number): CopyPlan => {
  const { storage, sizeBytes } = classification;
  if (storage.kind === 'archived' && !storage.restored) {
    return { kind: 'blocked', reason: 'archived', detail: `stored in ${storage.storageClass}; it cannot be copied without a restore` };
  }
  if (sizeBytes !== undefined && sizeBytes > MAX_OBJECT_BYTES) {
    return { kind: 'blocked', reason: 'exceeds-copy-limit', detail: `${sizeBytes} bytes is more than S3 can copy (${MAX_OBJECT_BYTES} bytes)` };
  }
  return { kind: 'copy', method: sizeBytes !== undefined && sizeBytes > copyLimitBytes ? 'multipart-copy' : 'copy-in-place' };
};

/** The strategies under which UpdateObjectEncryption is ever chosen. */
export type UpdatingStrategy = Exclude<RemediationStrategy, 'copy'>;

/** CopyObject or UploadPartCopy onto the object itself. */
export interface CopyAction {
  readonly kind: 'remediate';
  readonly method: CopyMethod;
  readonly target: EncryptionTarget;
}

/**
 * UpdateObjectEncryption, with what decides the object's fate if S3 refuses it: the strategy that
 * chose it and what a copy of the object would be.
 */
export interface UpdateAction {
  readonly kind: 'remediate';
  readonly method: 'update-in-place';
  readonly target: SseKmsTarget;
  readonly strategy: UpdatingStrategy;
  readonly copy: CopyPlan;
}

type AlertAction = Extract<ObjectAction, { kind: 'alert' }>;

/** The first decision about an object, as the enforcer acts on it. */
export type ObjectDecision = Exclude<ObjectAction, { kind: 'remediate' }> | CopyAction | UpdateAction;

const byCopy = (copy: CopyPlan, target: EncryptionTarget): CopyAction | (AlertAction & { reason: CopyBlockReason }) =>
  copy.kind === 'blocked' ? { kind: 'alert', reason: copy.reason, detail: copy.detail } : { kind: 'remediate', method: copy.method, target };

/** Pure: (what the object is, what the policy requires, how we run) → what to do. */
export const decideObject = ({
  classification,
  requirement,
  mode,
  copyLimitBytes,
  strategy = 'copy',
  updateAvailable = false,
}: DecisionInput): ObjectDecision => {
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

  const copy = copyPlan(classification, copyLimitBytes);
  const blocker = updateBlocker(classification);
  // updateBlocker already turns DSSE-KMS away; the algorithm test is what lets the type promise that
  // an update, which writes SSE-KMS, never downgrades one.
  if (strategy !== 'copy' && updateAvailable && blocker === undefined && target.algorithm === SSE_ALGORITHM.kms) {
    return { kind: 'remediate', method: 'update-in-place', target, strategy, copy };
  }
  if (strategy === 'update') {
    return {
      kind: 'alert',
      reason: 'update-not-applicable',
      detail: blocker ?? 'UpdateObjectEncryption is not available on this endpoint, and POLICY.strategy is "update"',
    };
  }
  return byCopy(copy, target);
};

/** The decision as assessments and the CLI report it: an update in place without what only the enforcer needs if S3 refuses it. */
export const decideObjectAction = (input: DecisionInput): ObjectAction => {
  const decision = decideObject(input);
  if (decision.kind !== 'remediate' || decision.method !== 'update-in-place') return decision;
  return { kind: 'remediate', method: decision.method, target: decision.target };
};

/**
 * After S3 refused UpdateObjectEncryption for an object (by code: AccessDenied and KMS errors are
 * failures, never refusals). The object is stored, not compliant, and the requirement applies to
 * it, so this is never `compliant`, a skip, or another update: a copy, or an alert.
 */
export type UpdateFallback = CopyAction | (AlertAction & { readonly reason: 'update-not-applicable' | CopyBlockReason });

/** The same decision as if the operation did not exist, except that the refusal is what "update" reports. */
export const decideAfterRefusedUpdate = ({ target, strategy, copy }: UpdateAction, code: string): UpdateFallback => {
  if (strategy === 'update') {
    return { kind: 'alert', reason: 'update-not-applicable', detail: `UpdateObjectEncryption answered ${code}, and POLICY.strategy is "update"` };
  }
  return byCopy(copy, target);
};

/** Whether the event still names the current version; `skip` when a newer one has replaced it. */
export type EventVersion = { readonly kind: 'current' } | { readonly kind: 'skip'; readonly reason: 'superseded'; readonly detail: string };

/**
 * A newer version has its own event, and copying the older one would put old content back on top.
 * `null` and absent both mean "no version id" (unversioned or versioning-suspended buckets). An
 * event that names no version, or an object HeadObject did not describe (gone, SSE-C), is `current`:
 * the decision about the object handles it.
 */
export const decideEventVersion = (eventVersionId: string | undefined, inspection: ObjectInspection): EventVersion => {
  if (eventVersionId === undefined || inspection.kind !== 'found') return { kind: 'current' };
  const current = inspection.object.versionId ?? 'null';
  if (eventVersionId === current) return { kind: 'current' };
  return { kind: 'skip', reason: 'superseded', detail: `version ${eventVersionId} is no longer current (current: ${current})` };
};
