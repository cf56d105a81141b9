import { classifyObject } from '../../shared/core/classify-object.js';
import { decideObjectAction, isCompliant, type EnforcementMode } from '../../shared/core/decide-object-action.js';
import { describeEncryption, type EncryptionState } from '../../shared/core/encryption-state.js';
import { failureOf, type ObjectOutcome } from '../../shared/core/object-outcome.js';
import type { ObjectReference } from '../../shared/core/object-reference.js';
import type { ObjectRequirement } from '../../shared/core/object-requirement.js';
import type { CopyInPlaceResult, ObjectStore } from '../../shared/ports/object-store.js';

export interface ObjectEnforcement {
  readonly store: ObjectStore;
  readonly requirementOf: (bucket: string, key: string) => ObjectRequirement;
  readonly mode: EnforcementMode;
  readonly copyLimitBytes: number;
}

/** `null` and absent both mean "no version id" (unversioned or versioning-suspended buckets). */
const sameVersion = (fromEvent: string | undefined, current: string | undefined): boolean =>
  (fromEvent ?? 'null') === (current ?? 'null');

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
    return { kind: 'skipped', reason: 'exempt', detail: `exempt by policy (prefix "${requirement.rule.prefix}")`, alert: false };
  }

  const inspection = await deps.store.inspect(ref.bucket, ref.key);
  if (inspection.kind === 'found' && ref.versionId !== undefined && !sameVersion(ref.versionId, inspection.object.versionId)) {
    // The event's version is no longer current: a newer version has its own event. Copying the
    // older version would put old content back on top.
    return {
      kind: 'skipped',
      reason: 'superseded',
      detail: `version ${ref.versionId} is no longer current (current: ${inspection.object.versionId ?? 'null'})`,
      alert: false,
    };
  }
  const classification = classifyObject(inspection);
  const before: EncryptionState | undefined = classification.kind === 'stored' ? classification.encryption : undefined;
  const action = decideObjectAction({ classification, requirement, mode: deps.mode, copyLimitBytes: deps.copyLimitBytes });

  switch (action.kind) {
    case 'compliant':
      return { kind: 'compliant', encryption: before ?? { kind: 'unencrypted' } };
    case 'skip':
      return { kind: 'skipped', reason: action.reason, detail: action.detail, alert: false, before };
    case 'alert':
      return { kind: 'skipped', reason: action.reason, detail: action.detail, alert: true, before };
    case 'remediate':
      break;
  }
  if (inspection.kind !== 'found' || !before) throw new Error('unreachable: remediation decided without a snapshot');

  let copied: CopyInPlaceResult;
  try {
    copied = await deps.store.copyInPlace({ bucket: ref.bucket, key: ref.key, source: inspection.object, target: action.target });
  } catch (error) {
    return { kind: 'failed', error: failureOf(error), before };
  }
  switch (copied.kind) {
    case 'superseded':
      return { kind: 'skipped', reason: 'superseded', detail: 'the object changed after it was inspected; the newer upload has its own event', alert: false, before };
    case 'gone':
      return { kind: 'skipped', reason: 'gone', detail: 'the object was deleted before it could be copied', alert: false, before };
    case 'copied':
      if (!isCompliant(copied.encryption, requirement)) {
        return {
          kind: 'failed',
          before,
          error: {
            code: 'RemediationNotVerified',
            message: `the copy reports ${describeEncryption(copied.encryption)}, not ${action.target.keyArn}`,
            transient: false,
          },
        };
      }
      return { kind: 'remediated', strategy: 'copy-in-place', before, after: copied.encryption, target: action.target, newVersionId: copied.versionId };
  }
};
