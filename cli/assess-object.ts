import { classifyObject, type ObjectClassification, type ObjectInspection } from '../shared/core/classify-object.js';
import { decideObjectAction, isCompliant, type ObjectAction } from '../shared/core/decide-object-action.js';
import type { ObjectRequirement } from '../shared/core/object-requirement.js';
import type { ObjectEnforcement } from '../functions/enforce-object-encryption/enforce-object.js';

export type AssessmentDependencies = Pick<ObjectEnforcement, 'store' | 'requirementOf' | 'mode' | 'copyLimitBytes' | 'strategy' | 'update'>;

/** The encryption class of an object, relative to what the policy requires of it. */
export const OBJECT_CLASSES = [
  'compliant',
  'unencrypted',
  'sse-s3',
  'sse-kms-other-key',
  'dsse-kms-other-key',
  'dsse-kms-not-accepted',
  'sse-c',
  'unrecognised',
  'exempt',
  'gone',
] as const;
export type ObjectClass = (typeof OBJECT_CLASSES)[number];

export interface ObjectAssessment {
  readonly bucket: string;
  readonly key: string;
  readonly requirement: ObjectRequirement;
  /** Absent for an exempt object: exemption costs no API call. */
  readonly inspection?: ObjectInspection | undefined;
  readonly classification?: ObjectClassification | undefined;
  readonly action: ObjectAction;
  readonly objectClass: ObjectClass;
}

export const classOf = (classification: ObjectClassification, requirement: ObjectRequirement): ObjectClass => {
  if (requirement.kind === 'exempt') return 'exempt';
  if (classification.kind === 'gone') return 'gone';
  const { encryption } = classification;
  if (isCompliant(encryption, requirement)) return 'compliant';
  switch (encryption.kind) {
    case 'unencrypted':
    case 'sse-s3':
    case 'sse-c':
    case 'unrecognised':
      return encryption.kind;
    case 'sse-kms':
      return 'sse-kms-other-key';
    case 'dsse-kms':
      return encryption.keyArn === requirement.keyArn ? 'dsse-kms-not-accepted' : 'dsse-kms-other-key';
  }
};

/** Not compliant: the enforcer would write, or would alert because it cannot. */
export const needsWork = (assessment: ObjectAssessment): boolean => assessment.action.kind === 'remediate' || assessment.action.kind === 'alert';

/**
 * What the enforce function would decide for the current version of an object, without writing:
 * the same requirement lookup, the same HeadObject, the same classification and the same pure
 * decision (decideObjectAction) that enforceObject uses.
 */
export const assessObject = async (bucket: string, key: string, deps: AssessmentDependencies): Promise<ObjectAssessment> => {
  const requirement = deps.requirementOf(bucket, key);
  if (requirement.kind === 'exempt') {
    const action: ObjectAction = { kind: 'skip', reason: 'exempt', detail: `exempt by policy (bucket ${requirement.rule.bucket}, prefix "${requirement.rule.prefix}")` };
    return { bucket, key, requirement, action, objectClass: 'exempt' };
  }
  const inspection = await deps.store.inspect(bucket, key);
  const classification = classifyObject(inspection);
  const action = decideObjectAction({
    classification,
    requirement,
    mode: deps.mode,
    copyLimitBytes: deps.copyLimitBytes,
    strategy: deps.strategy,
    updateAvailable: deps.update.available,
  });
  return { bucket, key, requirement, inspection, classification, action, objectClass: classOf(classification, requirement) };
};
