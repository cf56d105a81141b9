import { isAwsManagedAlias, keyReferenceForm } from '../core/key-reference.js';
import type { EnforcementPolicy, ExemptionRule, OverrideRule, PriorVersionHandling, RemediationStrategy } from '../core/object-requirement.js';

/**
 * POLICY: optional JSON. Unknown fields are errors, so a misspelt rule never silently does nothing.
 *
 * {
 *   "strategy": "auto",              // auto | update | copy: how objects are re-encrypted (default auto)
 *   "priorVersions": "retain",       // retain | delete: the non-compliant version a copy leaves behind
 *   "bucketKey": true,               // BucketKeyEnabled on remediated objects (default true)
 *   "acceptDsseKms": true,           // DSSE-KMS under the required key is compliant (default true)
 *   "exemptions": [{ "bucket": "b", "prefix": "tmp/" }],
 *   "overrides": [{ "bucket": "b", "prefix": "finance/", "requiredKey": "alias/finance", "bucketKey": false }],
 *   "audit": { "maxRotationPeriodDays": 365, "objectSampleSize": 0, "fixes": { "s3-default-encryption-kms": false }, "securityHub": false }
 * }
 *
 * The "audit" section is read only by the nightly audit (parseAuditSettings); parsePolicy validates it
 * too, so one POLICY is valid for every function or for none.
 */
export interface PolicyDocument {
  readonly strategy: RemediationStrategy;
  readonly priorVersions: PriorVersionHandling;
  readonly bucketKey: boolean;
  readonly acceptDsseKms: boolean;
  readonly exemptions: readonly ExemptionRule[];
  readonly overrides: readonly OverrideRule[];
}

const TOP_LEVEL = new Set(['strategy', 'priorVersions', 'bucketKey', 'acceptDsseKms', 'exemptions', 'overrides', 'audit']);
const STRATEGIES: readonly RemediationStrategy[] = ['auto', 'update', 'copy'];
const PRIOR_VERSIONS: readonly PriorVersionHandling[] = ['retain', 'delete'];
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
  const defaults: PolicyDocument = { strategy: 'auto', priorVersions: 'retain', bucketKey: true, acceptDsseKms: true, exemptions: [], overrides: [] };
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
  readAuditSection(raw['audit'], problems);
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

  const choice = <T extends string>(field: 'strategy' | 'priorVersions', allowed: readonly T[]): T => {
    const value = raw[field];
    if (value === undefined) return defaults[field] as T;
    if (typeof value !== 'string' || !allowed.includes(value as T)) {
      problems.push(`POLICY.${field} must be one of ${allowed.map((v) => `"${v}"`).join(', ')}`);
      return defaults[field] as T;
    }
    return value as T;
  };

  return {
    policy: {
      strategy: choice('strategy', STRATEGIES),
      priorVersions: choice('priorVersions', PRIOR_VERSIONS),
      bucketKey: flag('bucketKey'),
      acceptDsseKms: flag('acceptDsseKms'),
      exemptions,
      overrides,
    },
    problems,
  };
};

export const toEnforcementPolicy = (requiredKey: string, document: PolicyDocument): EnforcementPolicy => ({
  requiredKey,
  ...document,
});

/** The audit's own settings, under POLICY.audit. */
export const FIXABLE_CHECKS = ['s3-default-encryption-kms', 'kms-key-rotation', 's3-sse-c-blocked', 's3-policy-denies-wrong-key', 's3-tls-only-policy'] as const;
export type FixableCheck = (typeof FIXABLE_CHECKS)[number];

/** Every fix off: the audit only reads (the CLI's default). */
export const NO_FIXES: Readonly<Record<FixableCheck, boolean>> = Object.freeze(Object.fromEntries(FIXABLE_CHECKS.map((check) => [check, false])) as Record<FixableCheck, boolean>);

export interface AuditSettings {
  /** KMS.4 and CIS ask for rotation; this bounds its period (KMS allows 90–2560 days). */
  readonly maxRotationPeriodDays: number;
  /** HeadObject this many of the most recent objects per bucket; 0 turns the sample off. */
  readonly objectSampleSize: number;
  /** Fixes the audit may apply, per check; every one is off unless turned on here. */
  readonly fixes: Readonly<Record<FixableCheck, boolean>>;
  /** Import every finding into Security Hub CSPM, in the audited account and each finding's region. */
  readonly securityHub: boolean;
}

export const DEFAULT_AUDIT_SETTINGS: AuditSettings = Object.freeze({
  maxRotationPeriodDays: 365,
  objectSampleSize: 0,
  fixes: NO_FIXES,
  securityHub: false,
});

const AUDIT_FIELDS = new Set(['maxRotationPeriodDays', 'objectSampleSize', 'fixes', 'securityHub']);
export const MIN_ROTATION_PERIOD_DAYS = 90;
export const MAX_ROTATION_PERIOD_DAYS = 2560;
export const MAX_OBJECT_SAMPLE_SIZE = 1000;

const readAuditSection = (value: unknown, problems: string[]): AuditSettings => {
  if (value === undefined) return DEFAULT_AUDIT_SETTINGS;
  if (!isObject(value)) {
    problems.push('POLICY.audit must be an object');
    return DEFAULT_AUDIT_SETTINGS;
  }
  for (const key of Object.keys(value)) {
    if (!AUDIT_FIELDS.has(key)) problems.push(`POLICY.audit has an unknown field "${key}" (allowed: ${[...AUDIT_FIELDS].join(', ')})`);
  }
  const wholeNumber = (field: 'maxRotationPeriodDays' | 'objectSampleSize', min: number, max: number): number => {
    const raw = value[field];
    if (raw === undefined) return DEFAULT_AUDIT_SETTINGS[field];
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) {
      problems.push(`POLICY.audit.${field} must be a whole number from ${min} to ${max}`);
      return DEFAULT_AUDIT_SETTINGS[field];
    }
    return raw;
  };
  const fixes: Record<FixableCheck, boolean> = { ...DEFAULT_AUDIT_SETTINGS.fixes };
  const rawFixes = value['fixes'];
  if (rawFixes !== undefined) {
    if (!isObject(rawFixes)) problems.push('POLICY.audit.fixes must be an object of check names to true or false');
    else {
      for (const [check, enabled] of Object.entries(rawFixes)) {
        if (!(FIXABLE_CHECKS as readonly string[]).includes(check)) {
          problems.push(`POLICY.audit.fixes has an unknown check "${check}" (fixable: ${FIXABLE_CHECKS.join(', ')})`);
        } else if (typeof enabled !== 'boolean') {
          problems.push(`POLICY.audit.fixes.${check} must be true or false`);
        } else {
          fixes[check as FixableCheck] = enabled;
        }
      }
    }
  }
  const securityHub = value['securityHub'] ?? DEFAULT_AUDIT_SETTINGS.securityHub;
  if (typeof securityHub !== 'boolean') problems.push('POLICY.audit.securityHub must be true or false');
  return {
    maxRotationPeriodDays: wholeNumber('maxRotationPeriodDays', MIN_ROTATION_PERIOD_DAYS, MAX_ROTATION_PERIOD_DAYS),
    objectSampleSize: wholeNumber('objectSampleSize', 0, MAX_OBJECT_SAMPLE_SIZE),
    fixes,
    securityHub: securityHub === true,
  };
};

/**
 * POLICY.audit with its defaults. Problems in the rest of POLICY are parsePolicy's to report; this
 * only reports problems in the audit section (and JSON that cannot be read at all).
 */
export const parseAuditSettings = (text: string | undefined): { audit: AuditSettings; problems: string[] } => {
  if (text === undefined || text.trim() === '') return { audit: DEFAULT_AUDIT_SETTINGS, problems: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { audit: DEFAULT_AUDIT_SETTINGS, problems: [] };
  }
  if (!isObject(raw)) return { audit: DEFAULT_AUDIT_SETTINGS, problems: [] };
  const problems: string[] = [];
  const audit = readAuditSection(raw['audit'], problems);
  return { audit: problems.length === 0 ? Object.freeze({ ...audit, fixes: Object.freeze({ ...audit.fixes }) }) : DEFAULT_AUDIT_SETTINGS, problems };
};
