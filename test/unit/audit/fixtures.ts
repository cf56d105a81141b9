import type { AuditContext } from '../../../shared/audit/audit-context.js';
import {
  lookupId,
  type AuditFacts,
  type BucketFacts,
  type EncryptionRuleFacts,
  type KeyFacts,
  type KeyLookup,
  type KeyReference,
} from '../../../shared/audit/audit-facts.js';
import { NO_ENFORCER } from '../../../shared/config/audit-config.js';
import { DEFAULT_AUDIT_SETTINGS, type AuditSettings } from '../../../shared/config/parse-policy.js';
import type { EnforcementPolicy } from '../../../shared/core/object-requirement.js';

export const ACCOUNT = '123456789012';
export const REQUIRED = 'arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111';
export const OTHER = 'arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222';
export const MRK = 'arn:aws:kms:us-east-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef';
export const MRK_EU = 'arn:aws:kms:eu-west-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef';

/** An error shaped as the SDK throws it. */
export const awsError = (name: string, status = 400, message = `${name} happened`): Error =>
  Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });

export const policy = (overrides: Partial<EnforcementPolicy> = {}): EnforcementPolicy =>
  ({
    requiredKey: REQUIRED,
    strategy: 'auto',
    priorVersions: 'retain',
    bucketKey: true,
    acceptDsseKms: true,
    exemptions: [],
    overrides: [],
    ...overrides,
  }) as EnforcementPolicy;

export const context = (overrides: { policy?: Partial<EnforcementPolicy>; settings?: Partial<AuditSettings>; enforcer?: AuditContext['enforcer'] } = {}): AuditContext => ({
  accountId: ACCOUNT,
  homeRegion: 'us-east-1',
  policy: policy(overrides.policy),
  settings: { ...DEFAULT_AUDIT_SETTINGS, ...overrides.settings, fixes: { ...DEFAULT_AUDIT_SETTINGS.fixes, ...overrides.settings?.fixes } },
  enforcer: overrides.enforcer ?? NO_ENFORCER,
});

export const key = (arn: string, overrides: Partial<KeyFacts> = {}): KeyFacts => ({
  arn,
  keyId: arn.split('/')[1] ?? '',
  region: arn.split(':')[3] ?? 'us-east-1',
  accountId: ACCOUNT,
  state: 'Enabled',
  manager: 'CUSTOMER',
  keySpec: 'SYMMETRIC_DEFAULT',
  keyUsage: 'ENCRYPT_DECRYPT',
  origin: 'AWS_KMS',
  rotation: { ok: true, value: { enabled: true, periodDays: 365 } },
  policy: { ok: true, value: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }] }) },
  ...overrides,
});

export const rule = (overrides: Partial<EncryptionRuleFacts> = {}): EncryptionRuleFacts => ({
  algorithm: 'aws:kms',
  kmsKeyReference: REQUIRED,
  bucketKeyEnabled: true,
  blockedEncryptionTypes: ['SSE-C'],
  ...overrides,
});

export const bucket = (name: string, overrides: Partial<Extract<BucketFacts, { kind: 'inspected' }>> = {}): Extract<BucketFacts, { kind: 'inspected' }> => ({
  kind: 'inspected',
  name,
  arn: `arn:aws:s3:::${name}`,
  region: 'us-east-1',
  encryption: { ok: true, value: { kind: 'configured', rules: [rule()] } },
  policy: { ok: true, value: undefined },
  notifications: { ok: true, value: { eventBridge: true, targets: [] } },
  ...overrides,
});

/** Lookups keyed as the audit keys them: (region, reference). */
export const keyMap = (entries: readonly [region: string, reference: string, lookup: KeyLookup][]): Map<string, KeyLookup> =>
  new Map(entries.map(([region, reference, lookup]) => [lookupId(region, reference), lookup]));

export const found = (facts: KeyFacts): KeyLookup => ({ kind: 'found', key: facts });

export const facts = (
  buckets: readonly BucketFacts[],
  keys: readonly [region: string, reference: string, lookup: KeyLookup][],
  references?: readonly KeyReference[],
): AuditFacts => ({
  buckets,
  exemptBuckets: [],
  keys: keyMap(keys),
  keyReferences: references ?? keys.map(([region, reference]) => ({ region, reference, namedBy: ['REQUIRED_KMS_KEY'] })),
});
