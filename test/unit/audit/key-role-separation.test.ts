import { describe, expect, it } from 'vitest';
import { evaluateRoleSeparation } from '../../../shared/audit/key-role-separation.js';
import { ACCOUNT } from './fixtures.js';

const ADMIN = `arn:aws:iam::${ACCOUNT}:role/KeyAdmin`;
const USER = `arn:aws:iam::${ACCOUNT}:role/App`;
const policyOf = (...statements: Record<string, unknown>[]): string => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const allow = (principal: unknown, action: unknown): Record<string, unknown> => ({ Effect: 'Allow', Principal: principal, Action: action, Resource: '*' });

describe('evaluateRoleSeparation', () => {
  it('the default key policy (the account root, delegating to IAM) is separated', () => {
    expect(evaluateRoleSeparation(policyOf(allow({ AWS: `arn:aws:iam::${ACCOUNT}:root` }, 'kms:*')), ACCOUNT)).toEqual({ kind: 'separated' });
    expect(evaluateRoleSeparation(policyOf(allow({ AWS: ACCOUNT }, 'kms:*')), ACCOUNT)).toEqual({ kind: 'separated' });
  });

  it('administrators and users as separate principals are separated', () => {
    const policy = policyOf(
      allow({ AWS: ADMIN }, ['kms:Create*', 'kms:Describe*', 'kms:Enable*', 'kms:List*', 'kms:Put*', 'kms:Update*', 'kms:Revoke*', 'kms:Disable*', 'kms:Get*', 'kms:Delete*', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion']),
      allow({ AWS: [USER] }, ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey']),
    );
    expect(evaluateRoleSeparation(policy, ACCOUNT)).toEqual({ kind: 'separated' });
  });

  it('one principal with both, across statements and through wildcards, overlaps', () => {
    const policy = policyOf(allow({ AWS: ADMIN }, 'kms:Put*'), allow({ AWS: [ADMIN, USER] }, ['kms:Decrypt']));
    expect(evaluateRoleSeparation(policy, ACCOUNT)).toEqual({
      kind: 'overlap',
      overlaps: [{ principal: `AWS:${ADMIN}`, admin: ['kms:PutKeyPolicy'], decrypt: ['kms:Decrypt'] }],
    });
  });

  it('kms:* for a role, another account root, or everyone overlaps', () => {
    const policy = policyOf(allow({ AWS: ADMIN }, 'kms:*'), allow({ AWS: 'arn:aws:iam::999999999999:root' }, '*'), allow('*', ['kms:Disable*', 'kms:ReEncrypt*']));
    expect(evaluateRoleSeparation(policy, ACCOUNT)).toEqual({
      kind: 'overlap',
      overlaps: [
        { principal: '*', admin: ['kms:DisableKey', 'kms:DisableKeyRotation'], decrypt: ['kms:ReEncryptFrom'] },
        { principal: `AWS:${ADMIN}`, admin: ['kms:DisableKey', 'kms:DisableKeyRotation', 'kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion'], decrypt: ['kms:Decrypt', 'kms:ReEncryptFrom'] },
        { principal: 'AWS:arn:aws:iam::999999999999:root', admin: ['kms:DisableKey', 'kms:DisableKeyRotation', 'kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion'], decrypt: ['kms:Decrypt', 'kms:ReEncryptFrom'] },
      ],
    });
  });

  it('NotAction grants everything it does not name', () => {
    const policy = policyOf({ Effect: 'Allow', Principal: { AWS: ADMIN }, NotAction: ['kms:Encrypt'], Resource: '*' });
    expect(evaluateRoleSeparation(policy, ACCOUNT)).toMatchObject({ kind: 'overlap', overlaps: [{ principal: `AWS:${ADMIN}` }] });
  });

  it('Deny statements grant nothing', () => {
    expect(evaluateRoleSeparation(policyOf({ Effect: 'Deny', Principal: { AWS: ADMIN }, Action: 'kms:*', Resource: '*' }), ACCOUNT)).toEqual({ kind: 'separated' });
  });

  it('an unreadable policy says why', () => {
    expect(evaluateRoleSeparation('nope', ACCOUNT)).toEqual({ kind: 'unreadable', reason: 'the policy is not valid JSON' });
  });
});
