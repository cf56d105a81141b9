import { classifyObject, isLocked, isRealVersion, type ObjectSnapshot } from '../../shared/core/classify-object.js';
import { decideCopyStart } from '../../shared/core/decide-copy-start.js';
import {
  decideAfterRefusedUpdate,
  decideEventVersion,
  decideObject,
  isCompliant,
  type CopyAction,
  type EnforcementMode,
  type UpdateAction,
} from '../../shared/core/decide-object-action.js';
import { describeEncryption, type EncryptionState } from '../../shared/core/encryption-state.js';
import { failureOf, type ObjectOutcome, type PriorVersionOutcome } from '../../shared/core/object-outcome.js';
import type { ObjectReference } from '../../shared/core/object-reference.js';
import type { ObjectRequirement, PriorVersionHandling, RemediationStrategy } from '../../shared/core/object-requirement.js';
import type { AclGrant, CopyInPlaceResult, ObjectStore } from '../../shared/ports/object-store.js';
import { isObjectGone } from '../../shared/errors.js';
import type { UpdateCapability } from './update-capability.js';

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

const skipped = (reason: Extract<ObjectOutcome, { kind: 'skipped' }>['reason'], detail: string, alert: boolean, before?: EncryptionState): ObjectOutcome => ({
  kind: 'skipped',
  reason,
  detail,
  alert,
  before,
});

/** One object the first decision said to remediate, as inspected. */
interface Remediation {
  readonly ref: ObjectReference;
  readonly source: ObjectSnapshot;
  readonly before: EncryptionState;
  readonly requirement: ObjectRequirement;
  readonly deps: ObjectEnforcement;
}

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
  const version = decideEventVersion(ref.versionId, inspection);
  // Nothing is said of the current version's encryption: the event was about another version.
  if (version.kind === 'skip') return skipped(version.reason, version.detail, false);

  const classification = classifyObject(inspection);
  const before: EncryptionState | undefined = classification.kind === 'stored' ? classification.encryption : undefined;
  const decision = decideObject({
    classification,
    requirement,
    mode: deps.mode,
    copyLimitBytes: deps.copyLimitBytes,
    strategy: deps.strategy,
    updateAvailable: deps.update.available,
  });

  switch (decision.kind) {
    case 'compliant':
      return { kind: 'compliant', encryption: before ?? { kind: 'unencrypted' } };
    case 'skip':
      return skipped(decision.reason, decision.detail, false, before);
    case 'alert':
      return skipped(decision.reason, decision.detail, true, before);
    case 'remediate':
      break;
  }
  if (inspection.kind !== 'found' || !before) throw new Error('unreachable: remediation decided without a snapshot');
  const remediation: Remediation = { ref, source: inspection.object, before, requirement, deps };

  try {
    return decision.method === 'update-in-place'
      ? await remediateByUpdate({ ...remediation, update: decision })
      : await remediateByCopy({ ...remediation, copy: decision });
  } catch (error) {
    // Deleted between HeadObject and a read the copy needs (its ACL, its tags): benign, as before it.
    if (isObjectGone(error)) return skipped('gone', 'the object was deleted before it could be copied', false, before);
    return { kind: 'failed', error: failureOf(error), before };
  }
};

const remediateByUpdate = async ({ update, ...remediation }: Remediation & { readonly update: UpdateAction }): Promise<ObjectOutcome> => {
  const { ref, source, before, deps } = remediation;
  const updated = await deps.store.updateEncryptionInPlace(ref.bucket, ref.key, source.versionId, update.target);
  switch (updated.kind) {
    case 'updated':
      return {
        kind: 'remediated',
        strategy: 'update-in-place',
        before,
        after: { kind: 'sse-kms', keyArn: update.target.keyArn, bucketKeyEnabled: update.target.bucketKeyEnabled },
        target: update.target,
      };
    case 'gone':
      return skipped('gone', 'the object was deleted before it could be updated', false, before);
    case 'unsupported':
      break;
  }

  // Refused by code (AccessDenied and KMS errors were thrown, never refusals).
  if (updated.endpointWide) deps.update.markUnavailable(`the endpoint answered ${updated.code} to UpdateObjectEncryption`);
  deps.onUpdateRefused?.(ref, updated.code, updated.endpointWide);
  const fallback = decideAfterRefusedUpdate(update, updated.code);
  if (fallback.kind === 'alert') return skipped(fallback.reason, fallback.detail, true, before);
  const copied = await remediateByCopy({ ...remediation, copy: fallback });
  return copied.kind === 'remediated' ? { ...copied, fellBackFrom: updated.code } : copied;
};

const remediateByCopy = async ({ ref, source, before, requirement, deps, copy }: Remediation & { readonly copy: CopyAction }): Promise<ObjectOutcome> => {
  const { method, target } = copy;
  const start = decideCopyStart({ method, sizeBytes: source.sizeBytes, remainingTimeMs: deps.remainingTimeMs() });
  switch (start.kind) {
    case 'alert':
      return skipped(start.reason, start.detail, true, before);
    case 'defer':
      return { kind: 'failed', before, error: start.error };
    case 'start':
      break;
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
