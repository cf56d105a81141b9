import { describe, expect, it } from 'vitest';
import { keyReferencesOf, requirementFor, type EnforcementPolicy } from '../../../shared/core/object-requirement.js';

const arns: Record<string, string> = {
  'alias/enforcer': 'arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111',
  'alias/finance': 'arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222',
  'alias/finance-secret': 'arn:aws:kms:us-east-1:123456789012:key/33333333-3333-3333-3333-333333333333',
};
const arnOf = (reference: string): string => arns[reference] ?? 'unresolved';

const policy: EnforcementPolicy = {
  requiredKey: 'alias/enforcer',
  strategy: 'auto',
  priorVersions: 'retain',
  bucketKey: true,
  acceptDsseKms: true,
  exemptions: [
    { bucket: 'logs-bucket', prefix: '' },
    { bucket: 'data-bucket', prefix: 'tmp/' },
  ],
  overrides: [
    { bucket: 'finance-bucket', prefix: '', requiredKey: 'alias/finance' },
    { bucket: 'finance-bucket', prefix: 'secret/', requiredKey: 'alias/finance-secret', bucketKey: false },
  ],
};

describe('requirementFor', () => {
  it('the default key for an object no rule names', () => {
    expect(requirementFor(policy, arnOf, 'data-bucket', 'a.txt')).toEqual({ kind: 'required', keyArn: arns['alias/enforcer'], bucketKey: true, acceptDsseKms: true });
  });
  it('exemptions by bucket and by prefix', () => {
    expect(requirementFor(policy, arnOf, 'logs-bucket', 'any/thing')).toEqual({ kind: 'exempt', rule: { bucket: 'logs-bucket', prefix: '' } });
    expect(requirementFor(policy, arnOf, 'data-bucket', 'tmp/x')).toEqual({ kind: 'exempt', rule: { bucket: 'data-bucket', prefix: 'tmp/' } });
    expect(requirementFor(policy, arnOf, 'data-bucket', 'tmpx').kind).toBe('required');
  });
  it('the most specific override wins', () => {
    expect(requirementFor(policy, arnOf, 'finance-bucket', 'report.csv')).toMatchObject({ keyArn: arns['alias/finance'], bucketKey: true });
    expect(requirementFor(policy, arnOf, 'finance-bucket', 'secret/payroll.csv')).toMatchObject({ keyArn: arns['alias/finance-secret'], bucketKey: false });
  });
  it('lists every key reference to resolve once', () => {
    expect(keyReferencesOf(policy)).toEqual(['alias/enforcer', 'alias/finance', 'alias/finance-secret']);
  });
});

describe('requirementFor: rule order and partial overrides', () => {
  it('the longest matching prefix wins wherever it is listed', () => {
    const reversed: EnforcementPolicy = { ...policy, overrides: [...policy.overrides].reverse(), exemptions: [{ bucket: 'data-bucket', prefix: 'tmp/keep/' }, { bucket: 'data-bucket', prefix: 'tmp/' }] };
    expect(requirementFor(reversed, arnOf, 'finance-bucket', 'secret/payroll.csv')).toMatchObject({ keyArn: arns['alias/finance-secret'], bucketKey: false });
    expect(requirementFor(reversed, arnOf, 'data-bucket', 'tmp/keep/x')).toEqual({ kind: 'exempt', rule: { bucket: 'data-bucket', prefix: 'tmp/keep/' } });
  });

  it('an override that sets only bucket keys keeps the default key, and names no key to resolve', () => {
    const partial: EnforcementPolicy = { ...policy, overrides: [{ bucket: 'data-bucket', prefix: 'bulk/', bucketKey: false }] };
    expect(requirementFor(partial, arnOf, 'data-bucket', 'bulk/x')).toEqual({ kind: 'required', keyArn: arns['alias/enforcer'], bucketKey: false, acceptDsseKms: true });
    expect(keyReferencesOf(partial)).toEqual(['alias/enforcer']);
  });
});
