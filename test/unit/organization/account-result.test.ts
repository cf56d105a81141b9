import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../../shared/audit/checks-catalogue.js';
import {
  accountResource,
  auditedFinding,
  notAuditedFinding,
  parseAccountResult,
  parseMemberAccount,
  reasonOfCaughtFailure,
  type AccountResult,
} from '../../../shared/organization/account-result.js';

const ACCOUNT = { accountId: '111111111111', name: 'payments-prod' };
/** The id the account's own finding has had since it was introduced: it must not change between versions. */
const ACCOUNT_FINDING_ID = 'org-account-audited/458baedf73128fa5f40f';

const AUDITED: AccountResult = {
  ...ACCOUNT,
  status: 'audited',
  buckets: 12,
  keys: 3,
  findings: { failed: 4, error: 1, fixed: 0, passed: 30, informational: 2 },
  changes: { new: 2, changed: 1, resolved: 1, fixed: 0, unchanged: 2 },
  page: true,
  reportKey: 'encryption-audit/111111111111/2026-03-01/encryption-audit-2026-03-01T030000Z.json',
  regions: { deployed: ['us-east-1'], absent: ['eu-west-1'], unreadable: ['ap-south-1'] },
};

const NOT_AUDITED: AccountResult = { ...ACCOUNT, status: 'not-audited', reason: { code: 'role-not-assumable', detail: 'AssumeRole was refused (AccessDenied)' } };

describe('parseMemberAccount', () => {
  it('takes an account as the Map hands it on; a name is optional', () => {
    expect(parseMemberAccount(ACCOUNT)).toEqual(ACCOUNT);
    expect(parseMemberAccount({ accountId: '111111111111', name: 7, email: 'x@example.com' })).toEqual({ accountId: '111111111111', name: '' });
  });

  it.each([
    [undefined, 'account.accountId must be 12 digits, not undefined'],
    [{ accountId: 111111111111 }, 'account.accountId must be 12 digits, not 111111111111'],
    [{ accountId: '11111111111' }, 'account.accountId must be 12 digits, not "11111111111"'],
    [{ accountId: '../111111111111' }, 'account.accountId must be 12 digits, not "../111111111111"'],
  ])('refuses %j: its id becomes a key in the reports bucket', (value, message) => {
    expect(() => parseMemberAccount(value)).toThrow(new Error(message));
  });
});

describe('parseAccountResult', () => {
  it('reads back both kinds of result as they were stored', () => {
    expect(parseAccountResult(`${JSON.stringify(AUDITED)}\n`)).toEqual(AUDITED);
    expect(parseAccountResult(JSON.stringify(NOT_AUDITED))).toEqual(NOT_AUDITED);
    const unwritten = { ...AUDITED, reportKey: undefined, reportError: 'PutObject: AccessDenied: denied' };
    expect(parseAccountResult(JSON.stringify(unwritten))).toEqual(unwritten);
  });

  it('a result missing counts reads them as none, and a reason of an unknown kind as a failed audit', () => {
    expect(parseAccountResult(JSON.stringify({ ...ACCOUNT, status: 'audited', findings: { failed: 'many' }, page: 'yes' }))).toEqual({
      ...ACCOUNT,
      status: 'audited',
      buckets: 0,
      keys: 0,
      findings: { failed: 0, error: 0, fixed: 0, passed: 0, informational: 0 },
      changes: { new: 0, changed: 0, resolved: 0, fixed: 0, unchanged: 0 },
      page: false,
      regions: { deployed: [], absent: [], unreadable: [] },
    });
    expect(parseAccountResult(JSON.stringify({ ...ACCOUNT, status: 'not-audited', reason: { code: 'gremlins' } }))).toEqual({
      ...ACCOUNT,
      status: 'not-audited',
      reason: { code: 'audit-failed', detail: 'no detail recorded' },
    });
  });

  it.each([
    ['empty', ''],
    ['not JSON', '{"accountId":"111111111111",'],
    ['an array', JSON.stringify([AUDITED])],
    ['null', 'null'],
    ['without an account id', JSON.stringify({ ...AUDITED, accountId: undefined })],
    ['with an account id that is not one', JSON.stringify({ ...AUDITED, accountId: '1111' })],
    ['of another status', JSON.stringify({ ...AUDITED, status: 'skipped' })],
    ['without a status', JSON.stringify({ ...AUDITED, status: undefined })],
  ])('is undefined for a stored text that is %s', (_case, text) => {
    expect(parseAccountResult(text)).toBeUndefined();
  });
});

describe('the account’s own finding', () => {
  const TEXT = {
    check: 'org-account-audited',
    severity: 'high',
    resource: 'AWS::::Account:111111111111',
    resourceType: 'AwsAccount',
    title: 'Account of the organization is audited',
    expected: 'the organization audit reads the account through its member role, in every audited region',
    remediation: CHECKS['org-account-audited'].remediation,
    controls: [],
  };

  it('an account not audited fails, high, naming the reason, in the caller’s home region', () => {
    expect(notAuditedFinding(ACCOUNT, { code: 'role-not-assumable', detail: 'AssumeRole was refused (AccessDenied)' }, 'us-east-1')).toEqual({
      accountId: '111111111111',
      id: ACCOUNT_FINDING_ID,
      ...TEXT,
      status: 'failed',
      region: 'us-east-1',
      observed: 'not audited (role-not-assumable): AssumeRole was refused (AccessDenied)',
    });
  });

  it('an audited account passes, with the same id: the failure resolves the night the account is audited again', () => {
    expect(auditedFinding(ACCOUNT, 'eu-west-1')).toEqual({ accountId: '111111111111', id: ACCOUNT_FINDING_ID, ...TEXT, status: 'passed', region: 'eu-west-1', observed: 'audited' });
  });

  it('is one finding per account, whatever the reason', () => {
    const ids = new Set([
      notAuditedFinding(ACCOUNT, { code: 'throttled', detail: 'a' }, 'us-east-1').id,
      notAuditedFinding({ ...ACCOUNT, name: 'renamed' }, { code: 'timed-out', detail: 'b' }, 'eu-west-1').id,
      auditedFinding(ACCOUNT, 'us-east-1').id,
    ]);
    expect(ids).toEqual(new Set([ACCOUNT_FINDING_ID]));
    expect(notAuditedFinding({ accountId: '222222222222', name: '' }, { code: 'throttled', detail: 'a' }, 'us-east-1').id).not.toBe(ACCOUNT_FINDING_ID);
    expect(accountResource('222222222222')).toBe('AWS::::Account:222222222222');
  });
});

describe('reasonOfCaughtFailure', () => {
  it('a state the Map timed out is timed-out', () => {
    expect(reasonOfCaughtFailure({ Error: 'States.Timeout', Cause: '' })).toEqual({ code: 'timed-out', detail: "the account's audit did not finish in time (States.Timeout)" });
  });

  it('a Lambda that ran out of time is timed-out, with what Lambda said', () => {
    const cause = JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage: 'RequestId: 7d1c Error: Task timed out after 900.00 seconds' });
    expect(reasonOfCaughtFailure({ Error: 'Sandbox.Timedout', Cause: cause })).toEqual({
      code: 'timed-out',
      detail: "the account's audit did not finish in time (Sandbox.Timedout: RequestId: 7d1c Error: Task timed out after 900.00 seconds)",
    });
    expect(reasonOfCaughtFailure({ Error: 'Lambda.Unknown', Cause: 'RequestId: 7d1c Error: Task timed out after 900.00 seconds' })).toMatchObject({ code: 'timed-out' });
  });

  it('a function error is audit-failed with its message and never its stack', () => {
    const cause = JSON.stringify({
      errorType: 'AwsCallError',
      errorMessage: 'ListBuckets failed: AccessDenied (HTTP 403): Access Denied',
      stackTrace: ['AwsCallError: ListBuckets failed', '    at S3BucketInspector.call (/var/task/index.mjs:1:2)'],
      trace: ['AwsCallError: ListBuckets failed', '    at S3BucketInspector.call (/var/task/index.mjs:1:2)'],
    });

    const reason = reasonOfCaughtFailure({ Error: 'AwsCallError', Cause: cause });

    expect(reason).toEqual({ code: 'audit-failed', detail: 'AwsCallError: ListBuckets failed: AccessDenied (HTTP 403): Access Denied' });
    expect(reason.detail).not.toContain('index.mjs');
  });

  it('keeps only the first line of a message, at most 500 characters', () => {
    const message = `${'x'.repeat(600)}\n    at secret (/var/task/index.mjs:1:2)`;
    expect(reasonOfCaughtFailure({ Error: 'Error', Cause: JSON.stringify({ errorMessage: message }) })).toEqual({ code: 'audit-failed', detail: `Error: ${'x'.repeat(500)}` });
    expect(reasonOfCaughtFailure({ Error: 'Error', Cause: 'plain words\n    at secret (/var/task/index.mjs:1:2)' })).toEqual({ code: 'audit-failed', detail: 'Error: plain words' });
  });

  it('a failure with nothing in it is still a reason', () => {
    expect(reasonOfCaughtFailure({})).toEqual({ code: 'audit-failed', detail: 'unknown error' });
    expect(reasonOfCaughtFailure({ Error: 42, Cause: { errorMessage: 'not text' } })).toEqual({ code: 'audit-failed', detail: 'unknown error' });
  });
});
