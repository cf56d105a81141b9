import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { auditMember, reasonOfAuditFailure, recordResult, type MemberAuditDependencies } from '../../../functions/audit-member-account/audit-member.js';
import type { OpenAccountFor } from '../../../functions/audit-member-account/member-access.js';
import type { AuditReport } from '../../../shared/audit/audit-report.js';
import type { AccountFinding } from '../../../shared/audit/finding.js';
import { AwsCallError } from '../../../shared/errors.js';
import { parseAccountResult, type AccountResult } from '../../../shared/organization/account-result.js';
import type { MemberDeploymentReader } from '../../../shared/ports/member-deployment-reader.js';
import { s3Error } from '../../fixtures/aws-errors.js';
import {
  accountsOpenedBy,
  CENTRAL,
  deployedIn,
  enforcerQueueArn,
  memberClients,
  MemoryReportStore,
  openSpool,
  organizationConfig,
  removeSpools,
  REPORTS_KEY,
  silentAuditRecorder,
  unusedClients,
  type FakeBucket,
} from './support/organization-fakes.js';

afterAll(removeSpools);

const sns = mockClient(SNSClient);
beforeEach(() => sns.reset());

const ALPHA = { accountId: '111111111111', name: 'payments-prod' };
const RUN = { runId: '2026-03-01T030000Z', runDate: '2026-03-01', startedAt: '2026-03-01T03:00:00.000Z' };
const RESULT_KEY = (accountId: string) => `encryption-audit/organization/2026-03-01/2026-03-01T030000Z/accounts/${accountId}.json`;
const REPORT_JSON = `encryption-audit/111111111111/2026-03-01/encryption-audit-2026-03-01T030000Z.json`;
const REPORT_MD = `encryption-audit/111111111111/2026-03-01/encryption-audit-2026-03-01T030000Z.md`;
const REPORT_HTML = `encryption-audit/111111111111/2026-03-01/encryption-audit-2026-03-01T030000Z.html`;
const REPORT_OCSF = `encryption-audit/111111111111/2026-03-01/encryption-audit-2026-03-01T030000Z.ocsf.jsonl`;
const HISTORY = 'encryption-audit/111111111111/history.jsonl';

/** Alpha's buckets: one where its member stack runs (notifying its enforcer), one in a region without it. */
const ALPHA_BUCKETS: FakeBucket[] = [
  {
    name: 'alpha-east',
    region: 'us-east-1',
    encryption: 'required-key',
    notifications: { QueueConfigurations: [{ QueueArn: enforcerQueueArn(ALPHA.accountId, 'us-east-1'), Events: ['s3:ObjectCreated:*'] }] },
  },
  { name: 'alpha-west', region: 'eu-west-1', encryption: 'required-key', notifications: {} },
];

const dependencies = (openAccount: OpenAccountFor, store: MemoryReportStore): MemberAuditDependencies => ({
  config: organizationConfig(),
  reportsOwner: { accountId: CENTRAL, clients: unusedClients },
  openAccount,
  store,
  recorder: silentAuditRecorder(),
  openSpool,
});

const auditAndRecord = async (deps: MemberAuditDependencies): Promise<AccountResult> => {
  const result = await auditMember(deps, RUN, ALPHA);
  await recordResult(deps, RUN, result);
  return result;
};

describe('auditMember', () => {
  it('an account whose role is refused is not audited, with that reason, and its result is left for the merge', async () => {
    const store = new MemoryReportStore();
    const reason = { code: 'role-not-assumable' as const, detail: 'AssumeRole of arn:aws:iam::111111111111:role/s3-encryption-enforcer-audit was refused (AccessDenied)' };
    const { openAccount } = accountsOpenedBy({ [ALPHA.accountId]: { refused: reason } });

    const result = await auditAndRecord(dependencies(openAccount, store));

    expect(result).toEqual({ ...ALPHA, status: 'not-audited', reason });
    expect(store.keys()).toEqual([RESULT_KEY(ALPHA.accountId)]);
    expect(store.objects.get(RESULT_KEY(ALPHA.accountId))).toBe(`${JSON.stringify(result)}\n`);
    expect(store.kmsKeys.get(RESULT_KEY(ALPHA.accountId))).toBe(REPORTS_KEY);
    expect(store.contentTypes.get(RESULT_KEY(ALPHA.accountId))).toBe('application/json');
    expect(parseAccountResult(store.objects.get(RESULT_KEY(ALPHA.accountId)) ?? '')).toEqual(result);
  });

  it('audits an open account with its own clients, region by region, and writes its report under the reports key, leaving the state and the summary to the merge', async () => {
    const store = new MemoryReportStore();
    const { openAccount, closed } = accountsOpenedBy({ [ALPHA.accountId]: { clients: memberClients(ALPHA.accountId, ALPHA_BUCKETS), deployments: deployedIn(ALPHA.accountId, ['us-east-1']) } });

    const result = await auditAndRecord(dependencies(openAccount, store));

    const report = JSON.parse(store.objects.get(REPORT_JSON) ?? 'null') as AuditReport;
    expect(result).toEqual({
      ...ALPHA,
      status: 'audited',
      buckets: 2,
      keys: 2,
      // A first night: every failing finding is new.
      findings: { failed: 7, error: 0, fixed: 0, passed: 12, informational: 0 },
      changes: { new: 7, changed: 0, resolved: 0, fixed: 0, unchanged: 0 },
      page: true,
      reportKey: REPORT_JSON,
      regions: { deployed: ['us-east-1'], absent: ['eu-west-1'], unreadable: [] },
    });
    expect(report.summary).toMatchObject({ buckets: 2, keys: 2, findings: 19, byStatus: { failed: 7, passed: 12 }, changes: { new: 7 } });
    expect(report.run).toMatchObject({ ...RUN, accountId: ALPHA.accountId, region: 'us-east-1' });
    expect(new Set(report.findings.map((finding) => (finding as AccountFinding).accountId))).toEqual(new Set([ALPHA.accountId]));
    // The reports, the account's run history and its result, each under the reports bucket's key; no
    // latest.json: the merge saves the state after it announced.
    expect(store.keys()).toEqual([REPORT_HTML, REPORT_JSON, REPORT_MD, REPORT_OCSF, HISTORY, RESULT_KEY(ALPHA.accountId)]);
    expect(Object.fromEntries(store.kmsKeys)).toEqual({
      [REPORT_JSON]: REPORTS_KEY,
      [REPORT_MD]: REPORTS_KEY,
      [REPORT_HTML]: REPORTS_KEY,
      [REPORT_OCSF]: REPORTS_KEY,
      [HISTORY]: REPORTS_KEY,
      [RESULT_KEY(ALPHA.accountId)]: REPORTS_KEY,
    });
    expect(Object.fromEntries(store.contentTypes)).toEqual({
      [REPORT_JSON]: 'application/json',
      [REPORT_MD]: 'text/markdown; charset=utf-8',
      [REPORT_HTML]: 'text/html; charset=utf-8',
      [REPORT_OCSF]: 'application/x-ndjson',
      [HISTORY]: 'application/x-ndjson',
      [RESULT_KEY(ALPHA.accountId)]: 'application/json',
    });
    // One OCSF event a finding of the report, each naming the member account; one history entry, this run's.
    const events = (store.objects.get(REPORT_OCSF) ?? '').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { finding_info: { uid: string }; cloud: { account: { uid: string } } });
    expect(events.map((event) => event.finding_info.uid).sort()).toEqual(report.findings.map((finding) => finding.id).sort());
    expect(new Set(events.map((event) => event.cloud.account.uid))).toEqual(new Set([ALPHA.accountId]));
    const history = (store.objects.get(HISTORY) ?? '').split('\n');
    expect(history.pop()).toBe('');
    expect(history.map((line) => JSON.parse(line) as unknown)).toEqual([
      expect.objectContaining({ kind: 'encryption-audit-run', runId: RUN.runId, startedAt: RUN.startedAt, scope: 'account', accountId: ALPHA.accountId, findings: 19, byStatus: { failed: 7, error: 0, fixed: 0, passed: 12, informational: 0 } }),
    ]);
    // A first night: every finding was first seen as this run started.
    expect(new Set(report.findings.map((finding) => finding.firstSeen))).toEqual(new Set([RUN.startedAt]));
    expect(parseAccountResult(store.objects.get(RESULT_KEY(ALPHA.accountId)) ?? '')).toEqual(result);
    expect(sns.commandCalls(PublishCommand)).toEqual([]);
    expect(closed.get(ALPHA.accountId)).toBe(1);
  });

  it('judges real-time coverage by the member stack of each region: a bucket where there is none fails', async () => {
    const store = new MemoryReportStore();
    const { openAccount } = accountsOpenedBy({ [ALPHA.accountId]: { clients: memberClients(ALPHA.accountId, ALPHA_BUCKETS), deployments: deployedIn(ALPHA.accountId, ['us-east-1']) } });

    await auditAndRecord(dependencies(openAccount, store));

    const report = JSON.parse(store.objects.get(REPORT_JSON) ?? 'null') as AuditReport;
    const coverage = report.findings.filter((finding) => finding.check === 's3-realtime-coverage').map(({ resource, region, status, severity, observed, expected }) => ({ resource, region, status, severity, observed, expected }));
    expect(coverage).toEqual([
      {
        resource: 'arn:aws:s3:::alpha-west',
        region: 'eu-west-1',
        status: 'failed',
        severity: 'high',
        observed: 'no notification reaches the enforcer and EventBridge notifications are off',
        expected: 'EventBridge notifications on, or s3:ObjectCreated:* without a filter to the enforcer, which is not deployed in eu-west-1 (it listens in us-east-1)',
      },
      {
        resource: 'arn:aws:s3:::alpha-east',
        region: 'us-east-1',
        status: 'passed',
        severity: 'high',
        observed: `object-created events go to queue ${enforcerQueueArn(ALPHA.accountId, 'us-east-1')} (s3:ObjectCreated:*)`,
        expected: `EventBridge notifications on, or s3:ObjectCreated:* without a filter to ${enforcerQueueArn(ALPHA.accountId, 'us-east-1')}`,
      },
    ]);
  });

  it('an audit that fails after the account was opened is not audited, says why, and lets go of the account', async () => {
    const store = new MemoryReportStore();
    const clients = memberClients(ALPHA.accountId, ALPHA_BUCKETS, { listBucketsFails: s3Error('AccessDenied', 403, 'User is not authorized to perform: s3:ListAllMyBuckets\n    at secret') });
    const { openAccount, closed } = accountsOpenedBy({ [ALPHA.accountId]: { clients, deployments: deployedIn(ALPHA.accountId, ['us-east-1']) } });

    const result = await auditAndRecord(dependencies(openAccount, store));

    expect(result).toEqual({
      ...ALPHA,
      status: 'not-audited',
      reason: { code: 'audit-failed', detail: 'ListBuckets failed: AccessDenied (HTTP 403): User is not authorized to perform: s3:ListAllMyBuckets' },
    });
    expect(store.keys()).toEqual([RESULT_KEY(ALPHA.accountId)]);
    expect(closed.get(ALPHA.accountId)).toBe(1);
  });

  it('a member parameter still throttled after retries leaves the account throttled, not audited, and lets go of it', async () => {
    const store = new MemoryReportStore();
    const throttled: MemberDeploymentReader = {
      deploymentIn: async () => {
        throw new AwsCallError('GetParameter', 'ThrottlingException', 400, true, 'Rate exceeded');
      },
    };
    const { openAccount, closed } = accountsOpenedBy({ [ALPHA.accountId]: { clients: memberClients(ALPHA.accountId, ALPHA_BUCKETS), deployments: throttled } });

    const result = await auditAndRecord(dependencies(openAccount, store));

    expect(result).toEqual({ ...ALPHA, status: 'not-audited', reason: { code: 'throttled', detail: 'throttled until retries ran out: GetParameter failed: ThrottlingException (HTTP 400): Rate exceeded' } });
    expect(store.keys()).toEqual([RESULT_KEY(ALPHA.accountId)]);
    expect(closed.get(ALPHA.accountId)).toBe(1);
  });

  it('an account that could not even be opened (STS still throttling) is not audited, and says why', async () => {
    const store = new MemoryReportStore();
    const throttled = new AwsCallError('AssumeRole', 'Throttling', 400, true, 'Rate exceeded');

    const result = await auditAndRecord(dependencies(async () => Promise.reject(throttled), store));

    expect(result).toEqual({ ...ALPHA, status: 'not-audited', reason: { code: 'throttled', detail: 'throttled until retries ran out: AssumeRole failed: Throttling (HTTP 400): Rate exceeded' } });
    expect(store.keys()).toEqual([RESULT_KEY(ALPHA.accountId)]);
  });
});

describe('reasonOfAuditFailure', () => {
  it.each([
    [new AwsCallError('ListBuckets', 'SlowDown', 503, true, 'Please reduce your request rate.'), { code: 'throttled', detail: 'throttled until retries ran out: ListBuckets failed: SlowDown (HTTP 503): Please reduce your request rate.' }],
    [Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }), { code: 'timed-out', detail: 'socket timed out' }],
    [new AwsCallError('GetBucketLocation', 'RequestTimeout', 400, true, 'idle'), { code: 'timed-out', detail: 'GetBucketLocation failed: RequestTimeout (HTTP 400): idle' }],
    [new TypeError('Cannot read properties of undefined\n    at x (/var/task/index.mjs:1:1)'), { code: 'audit-failed', detail: 'Cannot read properties of undefined' }],
    ['a string thrown', { code: 'audit-failed', detail: 'a string thrown' }],
  ])('%s', (error, reason) => {
    expect(reasonOfAuditFailure(error)).toEqual(reason);
  });
});
