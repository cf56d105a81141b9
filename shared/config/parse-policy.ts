import { isAwsManagedAlias, keyReferenceForm } from '../core/key-reference.js';
import type { EnforcementPolicy, ExemptionRule, OverrideRule } from '../core/object-requirement.js';

/**
 * POLICY: optional JSON. Unknown fields are errors, so a misspelt rule never silently does nothing.
 *
 * {
 *   "bucketKey": true,               // BucketKeyEnabled on remediated objects (default true)
 *   "acceptDsseKms": true,           // DSSE-KMS under the required key is compliant (default true)
 *   "exemptions": [{ "bucket": "b", "prefix": "tmp/" }],
 *   "overrides": [{ "bucket": "b", "prefix": "finance/", "requiredKey": "alias/finance", "bucketKey": false }]
 * }
 */
export interface PolicyDocument {
  readonly bucketKey: boolean;
  readonly acceptDsseKms: boolean;
  readonly exemptions: readonly ExemptionRule[];
  readonly overrides: readonly OverrideRule[];
}

const TOP_LEVEL = new Set(['bucketKey', 'acceptDsseKms', 'exemptions', 'overrides']);
const EXEMPTION_FIELDS = new Set(['bucket', 'prefix']);
const OVERRIDE_FIELDS = new Set(['bucket', 'prefix', 'requiredKey', 'bucketKey']);
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const validateKeyReference = (reference: string, where: string): string | undefined => {
  if (!keyReferenceForm(reference)) {
    return `${where}: "${reference}" is not a KMS key ARN, key id, alias name (alias/…) or alias ARN`;
  }
  if (isAwsManagedAlias(reference)) {
    return `${where}: "${reference}" is an AWS-managed key; name a customer-managed key you control`;
  }
  return undefined;
};

export const parsePolicy = (text: string | undefined): { policy: PolicyDocument; problems: string[] } => {
  const problems: string[] = [];
  const defaults: PolicyDocument = { bucketKey: true, acceptDsseKms: true, exemptions: [], overrides: [] };
  if (text === undefined || text.trim() === '') return { policy: defaults, problems };

  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { policy: defaults, problems: [`POLICY is not valid JSON: ${(error as Error).message}`] };
  }
  if (!isObject(raw)) return { policy: defaults, problems: ['POLICY must be a JSON object'] };

  for (const field of Object.keys(raw)) {
    if (!TOP_LEVEL.has(field)) problems.push(`POLICY has an unknown field "${field}" (allowed: ${[...TOP_LEVEL].join(', ')})`);
  }
  const flag = (field: 'bucketKey' | 'acceptDsseKms'): boolean => {
    const value = raw[field];
    if (value === undefined) return defaults[field];
    if (typeof value !== 'boolean') problems.push(`POLICY.${field} must be true or false`);
    return value === true;
  };

  const rules = (field: 'exemptions' | 'overrides', allowed: Set<string>) => {
    const value = raw[field];
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      problems.push(`POLICY.${field} must be a list`);
      return [];
    }
    return value.flatMap((rule, index) => {
      const where = `POLICY.${field}[${index}]`;
      if (!isObject(rule)) {
        problems.push(`${where} must be an object`);
        return [];
      }
      for (const key of Object.keys(rule)) {
        if (!allowed.has(key)) problems.push(`${where} has an unknown field "${key}" (allowed: ${[...allowed].join(', ')})`);
      }
      const bucket = rule['bucket'];
      if (typeof bucket !== 'string' || !BUCKET_NAME.test(bucket)) {
        problems.push(`${where}.bucket must be a bucket name`);
        return [];
      }
      const prefix = rule['prefix'] ?? '';
      if (typeof prefix !== 'string') {
        problems.push(`${where}.prefix must be a string`);
        return [];
      }
      return [{ where, rule, bucket, prefix }];
    });
  };

  const exemptions: ExemptionRule[] = rules('exemptions', EXEMPTION_FIELDS).map(({ bucket, prefix }) => ({ bucket, prefix }));
  const overrides: OverrideRule[] = rules('overrides', OVERRIDE_FIELDS).map(({ where, rule, bucket, prefix }) => {
    const requiredKey = rule['requiredKey'];
    const bucketKey = rule['bucketKey'];
    if (requiredKey !== undefined) {
      const problem = typeof requiredKey === 'string' ? validateKeyReference(requiredKey, `${where}.requiredKey`) : `${where}.requiredKey must be a string`;
      if (problem) problems.push(problem);
    }
    if (bucketKey !== undefined && typeof bucketKey !== 'boolean') problems.push(`${where}.bucketKey must be true or false`);
    if (requiredKey === undefined && bucketKey === undefined) problems.push(`${where} overrides nothing: give requiredKey or bucketKey`);
    return {
      bucket,
      prefix,
      ...(typeof requiredKey === 'string' ? { requiredKey } : {}),
      ...(typeof bucketKey === 'boolean' ? { bucketKey } : {}),
    };
  });

  return { policy: { bucketKey: flag('bucketKey'), acceptDsseKms: flag('acceptDsseKms'), exemptions, overrides }, problems };
};

export const toEnforcementPolicy = (requiredKey: string, document: PolicyDocument): EnforcementPolicy => ({
  requiredKey,
  ...document,
});
