import { classifyObject } from '../../core/classify-object.js';
import { isCompliant } from '../../core/decide-object-action.js';
import { describeEncryption } from '../../core/encryption-state.js';
import { requirementFor } from '../../core/object-requirement.js';
import { requiredKeyInRegion } from '../audit-context.js';
import { CHECKS } from '../checks-catalogue.js';
import type { Finding } from '../finding.js';
import type { BucketCheckInput } from './bucket-check-input.js';
import { errorFinding, makeFinding } from './make-finding.js';

const CHECK = CHECKS['s3-object-sample'];
/** Enough names to act on; the report is not the place for a full inventory. */
const LISTED = 20;

/**
 * The N most recent objects, each judged as the enforcer judges it (prefix overrides and
 * exemptions included). An object gone since it was listed is not counted.
 */
export const checkObjectSample = ({ bucket, context, keys }: BucketCheckInput): Finding | undefined => {
  if (bucket.sample === undefined) return undefined;
  const base = { resource: bucket.arn, region: bucket.region, expected: 'every sampled object is under the required key' };
  if (!bucket.sample.ok) return errorFinding(CHECK, { ...base, error: bucket.sample.error });
  // Unresolvable keys stay as a marker that no real key ARN equals.
  const arnOf = (reference: string): string => {
    const key = requiredKeyInRegion(keys, context.homeRegion, reference, bucket.region);
    return key.kind === 'usable' ? key.arn : `(no usable key for ${reference})`;
  };
  const wrong: string[] = [];
  const failedCodes = new Set<string>();
  let judged = 0;
  for (const object of bucket.sample.value) {
    const requirement = requirementFor(context.policy, arnOf, bucket.name, object.key);
    if (requirement.kind === 'exempt') continue;
    if (!object.inspection.ok) {
      failedCodes.add(object.inspection.error.code);
      continue;
    }
    const classification = classifyObject(object.inspection.value);
    if (classification.kind === 'gone') continue;
    judged += 1;
    if (!isCompliant(classification.encryption, requirement)) wrong.push(`${object.key} (${describeEncryption(classification.encryption)})`);
  }
  if (wrong.length === 0 && failedCodes.size > 0) {
    return errorFinding(CHECK, {
      ...base,
      error: { operation: 'HeadObject', code: [...failedCodes].sort().join(','), message: `${failedCodes.size} kind(s) of failure inspecting sampled objects` },
    });
  }
  const uninspected = failedCodes.size > 0 ? `; some objects could not be inspected (${[...failedCodes].sort().join(', ')})` : '';
  if (wrong.length === 0) {
    return makeFinding(CHECK, { ...base, status: 'passed', observed: `${judged} sampled object(s) under the required key${uninspected}` });
  }
  const listed = wrong.slice(0, LISTED).join(', ') + (wrong.length > LISTED ? `, and ${wrong.length - LISTED} more` : '');
  return makeFinding(CHECK, {
    ...base,
    status: 'failed',
    observed: `${wrong.length} of ${judged} sampled object(s) not under the required key: ${listed}${uninspected}`,
  });
};
