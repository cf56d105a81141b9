import { classifyObject, isLocked, isRealVersion, type ObjectSnapshot } from '../../shared/core/classify-object.js';
import {
  decideObjectAction,
  isCompliant,
  type CopyMethod,
  type DecisionInput,
  type EncryptionTarget,
  type EnforcementMode,
} from '../../shared/core/decide-object-action.js';
import { describeEncryption, type EncryptionState } from '../../shared/core/encryption-state.js';
import { failureOf, type ObjectOutcome, type PriorVersionOutcome } from '../../shared/core/object-outcome.js';
import type { ObjectReference } from '../../shared/core/object-reference.js';
import type { ObjectRequirement, PriorVersionHandling, RemediationStrategy } from '../../shared/core/object-requirement.js';
import type { AclGrant, CopyInPlaceResult, ObjectStore } from '../../shared/ports/object-store.js';
import { isObjectGone } from '../../shared/errors.js';
import type { UpdateCapability } from './update-capability.js';

/** A deliberately low estimate of server-side copy speed, so a copy that is started can finish. */
export const ASSUMED_COPY_BYTES_PER_SECOND = 100 * 1024 ** 2;
/** Time kept back for the calls around a multipart copy and for reporting. */
export const COPY_TIME_MARGIN_MS = 30_000;
/** Lambda's longest invocation. */
export const LAMBDA_MAX_MS = 15 * 60 * 1000;

export interface ObjectEnforcement {
  readonly store: ObjectStore;
  readonly requirementOf: (bucket: string, key: string) => ObjectRequirement;
  readonly mode: EnforcementMode;
  readonly copyLimitBytes: number;
  readonly strategy: RemediationStrategy;
  readonly priorVersions: PriorVersionHandling;
  readonly update: UpdateCapability;
  readonly multipart: { readonly partBytes: number; readonly concurrency: number };
  /** Time left in this invocation. */
  readonly remainingTimeMs: () => number;
  readonly clock: () => Date;
  /** Told each time UpdateObjectEncryption is refused and a copy is made instead. */
  readonly onUpdateRefused?: ((ref: ObjectReference, code: string, endpointWide: boolean) => void) | undefined;
}

/** `null` and absent both mean "no version id" (unversioned or versioning-suspended buckets). */
const sameVersion = (fromEvent: string | undefined, current: string | undefined): boolean =>
  (fromEvent ?? 'null') === (current ?? 'null');

const skipped = (reason: Extract<ObjectOutcome, { kind: 'skipped' }>['reason'], detail: string, alert: boolean, before?: EncryptionState): ObjectOutcome => ({
  kind: 'skipped',
  reason,
  detail,
  alert,
  before,
});

/**
 * One object: inspect the current version, decide, act at most once.
 * Idempotent: an object already under the required key gets one HeadObject and no write, which is
 * what ends the loop of the copy's own ObjectCreated:Copy event.
 * A failed write is a `failed` outcome that keeps the encryption seen before it; a failed inspection
 * is thrown (AwsCallError) for the caller to turn into a failed outcome.
 */
export const enforceObject = async (ref: ObjectReference, deps: ObjectEnforcement): Promise<ObjectOutcome> => {
  const requirement = deps.requirementOf(ref.bucket, ref.key);
  if (requirement.kind === 'exempt') {
    // Exempt objects cost no API call.
    return skipped('exempt', `exempt by policy (prefix "${requirement.rule.prefix}")`, false);
  }

  const inspection = await deps.store.inspect(ref.bucket, ref.key);
  if (inspection.kind === 'found' && ref.versionId !== undefined && !sameVersion(ref.versionId, inspection.object.versionId)) {
    // The event's version is no longer current: a newer version has its own event. Copying the
    // older version would put old content back on top.
    return skipped('superseded', `version ${ref.versionId} is no longer current (current: ${inspection.object.versionId ?? 'null'})`, false);
  }
  const classification = classifyObject(inspection);
  const before: EncryptionState | undefined = classification.kind === 'stored' ? classification.encryption : undefined;
  const decision: DecisionInput = {
    classification,
    requirement,
    mode: deps.mode,
    copyLimitBytes: deps.copyLimitBytes,
    strategy: deps.strategy,
    updateAvailable: deps.update.available,
  };
  const action = decideObjectAction(decision);

  switch (action.kind) {
    case 'compliant':
      return { kind: 'compliant', encryption: before ?? { kind: 'unencrypted' } };
    case 'skip':
      return skipped(action.reason, action.detail, false, before);
    case 'alert':
      return skipped(action.reason, action.detail, true, before);
    case 'remediate':
      break;
  }
  if (inspection.kind !== 'found' || !before) throw new Error('unreachable: remediation decided without a snapshot');
  const source = inspection.object;

  try {
    if (action.method !== 'update-in-place') {
      return await remediateByCopy(ref, source, before, action.method, action.target, requirement, deps);
    }
    const updated = await deps.store.updateEncryptionInPlace(ref.bucket, ref.key, source.versionId, action.target);
    if (updated.kind === 'updated') {
      return {
        kind: 'remediated',
        strategy: 'update-in-place',
        before,
        after: { kind: 'sse-kms', keyArn: action.target.keyArn, bucketKeyEnabled: action.target.bucketKeyEnabled },
        target: action.target,
      };
    }
    if (updated.kind === 'gone') return skipped('gone', 'the object was deleted before it could be updated', false, before);

    // Refused by code (not AccessDenied, not KMS: those were thrown). Decide again as if the
    // operation did not exist; the guards of the copy still apply.
    if (updated.endpointWide) deps.update.markUnavailable(`the endpoint answered ${updated.code} to UpdateObjectEncryption`);
    deps.onUpdateRefused?.(ref, updated.code, updated.endpointWide);
    const fallback = decideObjectAction({ ...decision, updateAvailable: false });
    if (fallback.kind === 'alert' && fallback.reason === 'update-not-applicable') {
      return skipped('update-not-applicable', `UpdateObjectEncryption answered ${updated.code}, and POLICY.strategy is "update"`, true, before);
    }
    if (fallback.kind !== 'remediate' || fallback.method === 'update-in-place') {
      return fallback.kind === 'alert' ? skipped(fallback.reason, fallback.detail, true, before) : { kind: 'compliant', encryption: before };
    }
    const copied = await remediateByCopy(ref, source, before, fallback.method, fallback.target, requirement, deps);
    return copied.kind === 'remediated' ? { ...copied, fellBackFrom: updated.code } : copied;
  } catch (error) {
    // Deleted between HeadObject and a read the copy needs (its ACL, its tags): benign, as before it.
    if (isObjectGone(error)) return skipped('gone', 'the object was deleted before it could be copied', false, before);
    return { kind: 'failed', error: failureOf(error), before };
  }
};

const remediateByCopy = async (
  ref: ObjectReference,
  source: ObjectSnapshot,
  before: EncryptionState,
  method: CopyMethod,
  target: EncryptionTarget,
  requirement: ObjectRequirement,
  deps: ObjectEnforcement,
): Promise<ObjectOutcome> => {
  if (method === 'multipart-copy') {
    const neededMs = (source.sizeBytes / ASSUMED_COPY_BYTES_PER_SECOND) * 1000 + COPY_TIME_MARGIN_MS;
    if (neededMs > LAMBDA_MAX_MS) {
      return skipped(
        'exceeds-copy-limit',
        `copying ${source.sizeBytes} bytes needs about ${Math.ceil(neededMs / 1000)} s, more than a Lambda invocation has; re-encrypt it with an S3 Batch Operations copy job`,
        true,
        before,
      );
    }
    if (deps.remainingTimeMs() < neededMs) {
      // Not started, so nothing is half-written; a fresh invocation has the time.
      return {
        kind: 'failed',
        before,
        error: {
          code: 'InsufficientTime',
          message: `copying ${source.sizeBytes} bytes needs about ${Math.ceil(neededMs / 1000)} s and ${Math.floor(deps.remainingTimeMs() / 1000)} s are left; not started`,
          transient: true,
        },
      };
    }
  }
  // CopyObject resets the ACL to private: read it first and write it with the copy, unless the
  // bucket has ACLs disabled (Object Ownership BucketOwnerEnforced).
  const aclMode = await deps.store.aclMode(ref.bucket);
  const grants: readonly AclGrant[] | undefined = aclMode === 'acls-enabled' ? await deps.store.readAcl(ref.bucket, ref.key, source.versionId) : undefined;

  let copied: CopyInPlaceResult;
  if (method === 'multipart-copy') {
    const tags = source.tagCount ? await deps.store.readTags(ref.bucket, ref.key, source.versionId) : {};
    copied = await deps.store.multipartCopyInPlace({
      bucket: ref.bucket,
      key: ref.key,
      source,
      target,
      grants,
      tags,
      partSizeBytes: deps.multipart.partBytes,
      partConcurrency: deps.multipart.concurrency,
    });
  } else {
    copied = await deps.store.copyInPlace({ bucket: ref.bucket, key: ref.key, source, target, grants });
  }

  switch (copied.kind) {
    case 'superseded':
      return skipped('superseded', 'the object changed after it was inspected; the newer upload has its own event', false, before);
    case 'gone':
      return skipped('gone', 'the object was deleted before it could be copied', false, before);
    case 'copied':
      break;
  }
  if (!isCompliant(copied.encryption, requirement)) {
    return {
      kind: 'failed',
      before,
      error: { code: 'RemediationNotVerified', message: `the copy reports ${describeEncryption(copied.encryption)}, not ${target.keyArn}`, transient: false },
    };
  }
  const priorVersion = await settlePriorVersion(ref, source, copied.versionId, deps);
  return {
    kind: 'remediated',
    strategy: method,
    before,
    after: copied.encryption,
    target,
    newVersionId: copied.versionId,
    aclCarried: grants !== undefined,
    ...(priorVersion ? { priorVersion } : {}),
  };
};

/**
 * The version copied from stays behind in a versioned bucket. It is deleted only when the policy
 * says so, only that exact version, only now that the new version is verified, and never under lock.
 */
const settlePriorVersion = async (
  ref: ObjectReference,
  source: ObjectSnapshot,
  newVersionId: string | undefined,
  deps: ObjectEnforcement,
): Promise<PriorVersionOutcome | undefined> => {
  const versionId = source.versionId;
  if (!isRealVersion(versionId) || newVersionId === versionId) return undefined;
  if (deps.priorVersions === 'retain') return { versionId, disposition: 'retained' };
  if (isLocked(source.lock, deps.clock())) return { versionId, disposition: 'retained-locked', detail: 'under Object Lock; it cannot be deleted' };
  try {
    await deps.store.deleteVersion(ref.bucket, ref.key, versionId);
    return { versionId, disposition: 'deleted' };
  } catch (error) {
    return { versionId, disposition: 'delete-failed', detail: failureOf(error).message };
  }
};
