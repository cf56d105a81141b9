import { afterAll, describe, expect, it } from 'vitest';
import { auditMember, recordResult, type MemberAuditDependencies } from '../../../functions/audit-member-account/audit-member.js';
import { listOrganizationAccounts } from '../../../functions/list-organization-accounts/list-accounts.js';
import { mergeOrganization, type MergeDependencies } from '../../../functions/merge-organization-audit/merge-organization.js';
import { SNS_MESSAGE_BUDGET_BYTES, snsMessageBytes } from '../../../shared/adapters/sns-notification-publisher.js';
import type { AuditReport } from '../../../shared/audit/audit-report.js';
import type { AccountFinding } from '../../../shared/audit/finding.js';
import { auditedFinding, notAuditedFinding, type AccountResult } from '../../../shared/organization/account-result.js';
import type { OrganizationRun } from '../../../shared/organization/organization-run.js';
import type { AccountLister, OrganizationAccount } from '../../../shared/ports/account-lister.js';
import type { Notification, NotificationPublisher } from '../../../shared/ports/notification-publisher.js';
import {
  accountsOpenedBy,
  bucketFinding,
  CENTRAL,
  deployedIn,
  enforcerQueueArn,
  memberClients,
  MemoryReportStore,
  openSpool,
  organizationConfig,
  PREFIX,
  recordingMergeRecorder,
  removeSpools,
  REPORTS_BUCKET,
  REPORTS_KEY,
  silentAuditRecorder,
  unusedClients,
  writeAccountReport,
  type FakeBucket,
  type RecordedMerge,
} from './support/organization-fakes.js';

afterAll(removeSpools);

const NIGHT_1: OrganizationRun = { runId: '2026-03-01T030000Z', runDate: '2026-03-01', startedAt: '2026-03-01T03:00:00.000Z' };
const NIGHT_2: OrganizationRun = { runId: '2026-03-02T030000Z', runDate: '2026-03-02', startedAt: '2026-03-02T03:00:00.000Z' };
const runBase = (run: OrganizationRun) => `encryption-audit/organization/${run.runDate}/${run.runId}/`;
const reportJsonKey = (run: OrganizationRun) => `${runBase(run)}organization-audit-${run.runId}.json`;
const accountReportKey = (accountId: string, run: OrganizationRun) => `encryption-audit/${accountId}/${run.runDate}/encryption-audit-${run.runId}.json`;
const latestKey = (accountId: string) => `encryption-audit/${accountId}/latest.json`;

const ALPHA = '111111111111';
const BRAVO = '222222222222';
const CLOSED = '333333333333';
const DELTA = '444444444444';
const ECHO = '555555555555';

const listed = (id: string, status = 'ACTIVE'): OrganizationAccount => ({ id, name: `team ${id}`, status });
const lister = (accounts: readonly OrganizationAccount[]): AccountLister => ({
  accountPages: async function* () {
    yield accounts;
  },
  accountIdsUnder: async () => new Set(),
});

const ALPHA_BUCKETS: FakeBucket[] = [
  { name: 'alpha-east', region: 'us-east-1', encryption: 'sse-s3', notifications: { QueueConfigurations: [{ QueueArn: enforcerQueueArn(ALPHA, 'us-east-1'), Events: ['s3:ObjectCreated:*'] }] } },
];
const ECHO_BUCKETS: FakeBucket[] = [{ name: 'echo-east', region: 'us-east-1', encryption: 'required-key', notifications: { EventBridgeConfiguration: {} } }];

const REFUSED = { code: 'role-not-assumable' as const, detail: 'AssumeRole of arn:aws:iam::222222222222:role/s3-encryption-enforcer-audit was refused (AccessDenied)' };
const NO_RESULT = { code: 'no-result' as const, detail: 'the fan-out recorded no result for the account: its audit never finished (see the map run)' };

/** A publisher that records what it sends, and when, among the store's writes and copies. */
const recordingPublisher = (store: MemoryReportStore, fails?: Error): NotificationPublisher & { readonly sent: Notification[] } => {
  const sent: Notification[] = [];
  return {
    sent,
    publish: async (notification) => {
      if (fails) throw fails;
      sent.push(notification);
      store.events.push({ kind: 'publish', key: notification.subject });
    },
  };
};

const mergeDeps = (store: MemoryReportStore, publisher: NotificationPublisher, recorder: RecordedMerge = recordingMergeRecorder()): MergeDependencies => ({
  store,
  reports: { bucket: REPORTS_BUCKET, prefix: PREFIX, kmsKeyArn: REPORTS_KEY, consoleHost: 'console.aws.amazon.com' },
  callerAccountId: CENTRAL,
  homeRegion: 'us-east-1',
  publisher,
  measure: snsMessageBytes,
  budgetBytes: SNS_MESSAGE_BUDGET_BYTES,
  recorder,
  openSpool,
  concurrency: 4,
});

/**
 * One night up to the merge: the organization listed, then each account the Map reaches audited
 * with its own clients and its result recorded. Delta's audit never recorded a result.
 */
const nightBeforeMerge = async (store: MemoryReportStore, run: OrganizationRun, organization: readonly OrganizationAccount[]): Promise<AccountResult[]> => {
  // The member stacks run in us-east-1 only, of the two regions audited.
  const config = organizationConfig({ AUDIT_REGIONS: 'us-east-1,eu-west-1' });
  await listOrganizationAccounts({ lister: lister(organization), store, reportsBucket: REPORTS_BUCKET, reportsPrefix: PREFIX, reportsKmsKeyArn: REPORTS_KEY, scope: {} }, run);
  const { openAccount } = accountsOpenedBy({
    [ALPHA]: { clients: memberClients(ALPHA, ALPHA_BUCKETS), deployments: deployedIn(ALPHA, ['us-east-1']) },
    [BRAVO]: { refused: REFUSED },
    [ECHO]: { clients: memberClients(ECHO, ECHO_BUCKETS), deployments: deployedIn(ECHO, ['us-east-1']) },
  });
  const deps: MemberAuditDependencies = { config, reportsOwner: { accountId: CENTRAL, clients: unusedClients }, openAccount, store, recorder: silentAuditRecorder(), openSpool };
  const results: AccountResult[] = [];
  for (const account of organization) {
    if (account.status !== 'ACTIVE' || account.id === DELTA) continue;
    const result = await auditMember(deps, run, { accountId: account.id, name: account.name });
    await recordResult(deps, run, result);
    results.push(result);
  }
  return results;
};

const ORGANIZATION = [listed(ALPHA), listed(BRAVO), listed(CLOSED, 'SUSPENDED'), listed(DELTA), listed(ECHO)];

const reportOf = (store: MemoryReportStore, key: string) => JSON.parse(store.objects.get(key) ?? 'null') as AuditReport;

describe('mergeOrganization', () => {
  it('merges every account of the listing into one report: audited, not audited with the reason, skipped; every finding, and one of each account’s own', async () => {
    const store = new MemoryReportStore();
    await nightBeforeMerge(store, NIGHT_1, ORGANIZATION);
    const publisher = recordingPublisher(store);
    const recorder = recordingMergeRecorder();

    const outcome = await mergeOrganization(mergeDeps(store, publisher, recorder), NIGHT_1, 'arn:aws:states:us-east-1:999999999999:mapRun:org-audit/map:1');

    const alpha = reportOf(store, accountReportKey(ALPHA, NIGHT_1));
    const echo = reportOf(store, accountReportKey(ECHO, NIGHT_1));
    const failing = (report: AuditReport) => report.summary.byStatus.failed + report.summary.byStatus.error;
    expect(outcome).toEqual({
      runId: NIGHT_1.runId,
      accounts: { listed: 5, audited: 2, notAudited: 2, skipped: 1 },
      findings: alpha.findings.length + echo.findings.length + 4,
      failing: failing(alpha) + failing(echo) + 2,
      page: true,
      notifications: 1,
      report: `s3://org-reports/${reportJsonKey(NIGHT_1)}`,
      statesNotSaved: 0,
    });
    expect(failing(alpha)).toBeGreaterThan(0);

    const report = JSON.parse(store.objects.get(reportJsonKey(NIGHT_1)) ?? 'null') as Record<string, unknown> & { accounts: unknown[]; findings: AccountFinding[] };
    expect(report).toMatchObject({
      kind: 'organization-encryption-audit-report',
      schemaVersion: 1,
      run: { ...NIGHT_1, callerAccountId: CENTRAL, region: 'us-east-1', mapRunArn: 'arn:aws:states:us-east-1:999999999999:mapRun:org-audit/map:1' },
      location: {
        bucket: REPORTS_BUCKET,
        jsonKey: reportJsonKey(NIGHT_1),
        markdownKey: `${runBase(NIGHT_1)}organization-audit-${NIGHT_1.runId}.md`,
        uri: `s3://org-reports/${reportJsonKey(NIGHT_1)}`,
      },
      summary: { accounts: { listed: 5, audited: 2, notAudited: 2, skipped: 1 }, page: true, severity: 'high' },
    });
    expect(report.accounts).toEqual([
      {
        accountId: ALPHA,
        name: `team ${ALPHA}`,
        status: 'audited',
        failing: failing(alpha),
        changes: alpha.summary.changes,
        page: true,
        report: `s3://org-reports/${accountReportKey(ALPHA, NIGHT_1)}`,
        regionsWithoutEnforcer: ['eu-west-1'],
      },
      { accountId: BRAVO, name: `team ${BRAVO}`, status: 'not-audited', reasonCode: 'role-not-assumable', reason: REFUSED.detail },
      { accountId: CLOSED, name: `team ${CLOSED}`, status: 'skipped', reason: 'account is SUSPENDED: it has been closed' },
      { accountId: DELTA, name: `team ${DELTA}`, status: 'not-audited', reasonCode: 'no-result', reason: NO_RESULT.detail },
      {
        accountId: ECHO,
        name: `team ${ECHO}`,
        status: 'audited',
        failing: failing(echo),
        changes: echo.summary.changes,
        page: echo.summary.page,
        report: `s3://org-reports/${accountReportKey(ECHO, NIGHT_1)}`,
        regionsWithoutEnforcer: ['eu-west-1'],
      },
    ]);
    const account = (id: string) => ({ accountId: id, name: `team ${id}` });
    expect(report.findings).toEqual([
      auditedFinding(account(ALPHA), 'us-east-1'),
      ...alpha.findings,
      notAuditedFinding(account(BRAVO), REFUSED, 'us-east-1'),
      notAuditedFinding(account(DELTA), NO_RESULT, 'us-east-1'),
      auditedFinding(account(ECHO), 'us-east-1'),
      ...echo.findings,
    ]);
    expect(new Set(alpha.findings.map((finding) => (finding as AccountFinding).accountId))).toEqual(new Set([ALPHA]));
    expect(store.kmsKeys.get(reportJsonKey(NIGHT_1))).toBe(REPORTS_KEY);
    expect(store.objects.get(`${runBase(NIGHT_1)}organization-audit-${NIGHT_1.runId}.md`)).toContain(`| \`${BRAVO}\` | team ${BRAVO} | not-audited |  |  | ${REFUSED.detail} |  |`);
    expect(store.objects.get(`${runBase(NIGHT_1)}organization-audit-${NIGHT_1.runId}.md`)).toContain(`| no member stack in eu-west-1 | \`s3://org-reports/${accountReportKey(ECHO, NIGHT_1)}\` |`);
    expect(recorder.notAudited).toEqual([BRAVO, DELTA]);
  });

  it('publishes one summary, then saves each audited account’s state: its report copied to latest.json under the reports key', async () => {
    const store = new MemoryReportStore();
    await nightBeforeMerge(store, NIGHT_1, ORGANIZATION);
    const publisher = recordingPublisher(store);

    await mergeOrganization(mergeDeps(store, publisher), NIGHT_1);

    expect(publisher.sent).toHaveLength(1);
    expect(publisher.sent[0]?.subject).toMatch(/^S3 encryption audit 2026-03-01 \(org\) \[high\]: 2 not audited, \d+ new, 0 changed, 0 resolved$/);
    expect(publisher.sent[0]?.attributes).toEqual({ kind: 'organization-encryption-audit', page: 'true', severity: 'high', changes: ['not-audited'] });
    expect(publisher.sent[0]?.text).toContain(`\nNOT AUDITED (2)\n- ${BRAVO} team ${BRAVO}: ${REFUSED.detail}\n- ${DELTA} team ${DELTA}: ${NO_RESULT.detail}\n`);
    expect(store.objects.get(latestKey(ALPHA))).toBe(store.objects.get(accountReportKey(ALPHA, NIGHT_1)));
    expect(store.objects.get(latestKey(ECHO))).toBe(store.objects.get(accountReportKey(ECHO, NIGHT_1)));
    expect([store.kmsKeys.get(latestKey(ALPHA)), store.kmsKeys.get(latestKey(ECHO))]).toEqual([REPORTS_KEY, REPORTS_KEY]);
    expect(store.keys().filter((key) => key.endsWith('latest.json'))).toEqual([latestKey(ALPHA), latestKey(ECHO)]);
    // The states only after the summary went out; the organization report before it.
    const order = store.events.map((event) => (event.kind === 'publish' ? 'publish' : event.key));
    expect(order.slice(order.indexOf('publish'))).toEqual(['publish', latestKey(ALPHA), latestKey(ECHO)]);
    expect(order.indexOf(reportJsonKey(NIGHT_1))).toBeLessThan(order.indexOf('publish'));
  });

  it('saves no state when the summary could not be sent: the retry pages again', async () => {
    const store = new MemoryReportStore();
    await nightBeforeMerge(store, NIGHT_1, ORGANIZATION);

    await expect(mergeOrganization(mergeDeps(store, recordingPublisher(store, new Error('Publish failed: AuthorizationError'))), NIGHT_1)).rejects.toThrow('Publish failed: AuthorizationError');

    expect(store.keys().filter((key) => key.endsWith('latest.json'))).toEqual([]);
  });

  it('a state that could not be saved is counted and recorded; the others are saved', async () => {
    const store = new MemoryReportStore();
    await nightBeforeMerge(store, NIGHT_1, ORGANIZATION);
    store.failCopiesTo.add(latestKey(ALPHA));
    const recorder = recordingMergeRecorder();

    const outcome = await mergeOrganization(mergeDeps(store, recordingPublisher(store), recorder), NIGHT_1);

    expect(outcome).toMatchObject({ statesNotSaved: 1, notifications: 1, report: `s3://org-reports/${reportJsonKey(NIGHT_1)}` });
    expect(recorder.statesNotSaved).toEqual([ALPHA]);
    expect(store.keys().filter((key) => key.endsWith('latest.json'))).toEqual([latestKey(ECHO)]);
  });

  it('the next night, with every account audited and nothing changed, does not page', async () => {
    const store = new MemoryReportStore();
    const organization = [listed(ALPHA), listed(CLOSED, 'SUSPENDED'), listed(ECHO)];
    await nightBeforeMerge(store, NIGHT_1, organization);
    // The first night pages for the accounts' new findings alone: every account was audited.
    await expect(mergeOrganization(mergeDeps(store, recordingPublisher(store)), NIGHT_1)).resolves.toMatchObject({ accounts: { notAudited: 0 }, page: true });
    await nightBeforeMerge(store, NIGHT_2, organization);
    const publisher = recordingPublisher(store);

    const outcome = await mergeOrganization(mergeDeps(store, publisher), NIGHT_2);

    expect(outcome).toMatchObject({ accounts: { listed: 3, audited: 2, notAudited: 0, skipped: 1 }, page: false, notifications: 1 });
    expect(outcome.failing).toBeGreaterThan(0);
    expect(publisher.sent[0]?.attributes).toEqual({ kind: 'organization-encryption-audit', page: 'false', severity: 'none' });
    expect(publisher.sent[0]?.text).toContain('\nNothing new or changed, and every account in scope was audited.');
    expect(store.objects.get(latestKey(ALPHA))).toBe(store.objects.get(accountReportKey(ALPHA, NIGHT_2)));
  });

  it('an account not audited pages even when nothing changed in the others', async () => {
    const store = new MemoryReportStore();
    await nightBeforeMerge(store, NIGHT_1, [listed(ALPHA), listed(ECHO)]);
    await mergeOrganization(mergeDeps(store, recordingPublisher(store)), NIGHT_1);
    await nightBeforeMerge(store, NIGHT_2, [listed(ALPHA), listed(BRAVO), listed(ECHO)]);
    const publisher = recordingPublisher(store);

    const outcome = await mergeOrganization(mergeDeps(store, publisher), NIGHT_2);

    expect(outcome).toMatchObject({ accounts: { listed: 3, audited: 2, notAudited: 1, skipped: 0 }, page: true });
    expect(publisher.sent[0]?.subject).toBe('S3 encryption audit 2026-03-02 (org) [high]: 1 not audited, 0 new, 0 changed, 0 resolved');
    expect(publisher.sent[0]?.attributes).toEqual({ kind: 'organization-encryption-audit', page: 'true', severity: 'high', changes: ['not-audited'] });
  });

  it('an account whose result cannot be read is not audited, and says so', async () => {
    const store = new MemoryReportStore();
    await nightBeforeMerge(store, NIGHT_1, ORGANIZATION);
    store.objects.set(`${runBase(NIGHT_1)}accounts/${ECHO}.json`, '{"accountId":"555555555555","status":"aud');
    const publisher = recordingPublisher(store);

    const outcome = await mergeOrganization(mergeDeps(store, publisher), NIGHT_1);

    expect(outcome.accounts).toEqual({ listed: 5, audited: 1, notAudited: 3, skipped: 1 });
    const report = JSON.parse(store.objects.get(reportJsonKey(NIGHT_1)) ?? 'null') as { accounts: unknown[] };
    expect(report.accounts[4]).toEqual({ accountId: ECHO, name: `team ${ECHO}`, status: 'not-audited', reasonCode: 'no-result', reason: 'the account’s result could not be read' });
    expect(store.keys().filter((key) => key.endsWith('latest.json'))).toEqual([latestKey(ALPHA)]);
  });

  it('an audited account whose report cannot be read is still audited, with a note, and its findings are not invented', async () => {
    const store = new MemoryReportStore();
    await nightBeforeMerge(store, NIGHT_1, ORGANIZATION);
    store.objects.set(accountReportKey(ECHO, NIGHT_1), 'not a report');

    const outcome = await mergeOrganization(mergeDeps(store, recordingPublisher(store)), NIGHT_1);

    const report = JSON.parse(store.objects.get(reportJsonKey(NIGHT_1)) ?? 'null') as { accounts: Record<string, unknown>[]; findings: AccountFinding[] };
    expect(report.accounts[4]).toMatchObject({ accountId: ECHO, status: 'audited', reason: "the account's report could not be read (the account report does not open with its header line)" });
    expect(report.findings.filter((finding) => finding.accountId === ECHO)).toEqual([auditedFinding({ accountId: ECHO, name: `team ${ECHO}` }, 'us-east-1')]);
    expect(outcome.accounts.audited).toBe(2);
  });

  it('stops with a clear error when the run’s listing is missing', async () => {
    const store = new MemoryReportStore();
    const publisher = recordingPublisher(store);

    await expect(mergeOrganization(mergeDeps(store, publisher), NIGHT_1)).rejects.toThrow(
      new Error(`the run's listing ${runBase(NIGHT_1)}listing.jsonl is not in org-reports: the accounts step did not finish`),
    );
    expect(publisher.sent).toEqual([]);
    expect(store.keys()).toEqual([]);
  });

  it('merges 2,000 accounts, each counted once, into one report and one message that fits', async () => {
    const store = new MemoryReportStore();
    const config = organizationConfig();
    const organization = Array.from({ length: 2_000 }, (_, index) => listed(String(100_000_000_000 + index), index % 50 === 0 ? 'SUSPENDED' : 'ACTIVE'));
    await listOrganizationAccounts({ lister: lister(organization), store, reportsBucket: REPORTS_BUCKET, reportsPrefix: PREFIX, reportsKmsKeyArn: REPORTS_KEY, scope: {} }, NIGHT_1);
    for (const [index, account] of organization.entries()) {
      if (account.status !== 'ACTIVE' || index % 100 === 7) continue; // every hundredth from the 7th: no result
      const member = { accountId: account.id, name: account.name };
      if (index % 10 === 3) {
        await recordResult({ config, store }, NIGHT_1, { ...member, status: 'not-audited', reason: { code: 'throttled', detail: 'throttled until retries ran out' } });
        continue;
      }
      const findings = [bucketFinding(account.id, `data-${account.id}`, 'failed', 'AES256'), bucketFinding(account.id, `logs-${account.id}`, 'passed')];
      const { reportKey } = await writeAccountReport(store, { accountId: account.id, run: NIGHT_1, findings });
      await recordResult({ config, store }, NIGHT_1, {
        ...member,
        status: 'audited',
        buckets: 2,
        keys: 0,
        findings: { failed: 1, error: 0, fixed: 0, passed: 1, informational: 0 },
        changes: { new: 1, changed: 0, resolved: 0, fixed: 0, unchanged: 0 },
        page: true,
        reportKey,
        regions: { deployed: ['us-east-1'], absent: [], unreadable: [] },
      });
    }
    const publisher = recordingPublisher(store);

    const outcome = await mergeOrganization({ ...mergeDeps(store, publisher), concurrency: 16 }, NIGHT_1);

    // 40 suspended; 200 throttled and 20 without a result; 1,740 audited with 2 findings each; one finding of its own for each of the 1,960 in scope.
    expect(outcome).toEqual({
      runId: NIGHT_1.runId,
      accounts: { listed: 2_000, audited: 1_740, notAudited: 220, skipped: 40 },
      findings: 1_740 * 2 + 1_960,
      failing: 1_740 + 220,
      page: true,
      notifications: 1,
      report: `s3://org-reports/${reportJsonKey(NIGHT_1)}`,
      statesNotSaved: 0,
    });
    const report = JSON.parse(store.objects.get(reportJsonKey(NIGHT_1)) ?? 'null') as { accounts: { accountId: string }[]; findings: unknown[] };
    expect(report.accounts.map((line) => line.accountId)).toEqual(organization.map((account) => account.id));
    expect(report.findings).toHaveLength(1_740 * 2 + 1_960);
    expect(publisher.sent).toHaveLength(1);
    expect(snsMessageBytes(publisher.sent[0] as Notification)).toBeLessThanOrEqual(SNS_MESSAGE_BUDGET_BYTES);
    expect(publisher.sent[0]?.text).toContain('\nNOT AUDITED (220)\n');
    expect(publisher.sent[0]?.text).toContain('\n- … and 170 more in the report\n');
    expect(store.keys().filter((key) => key.endsWith('/latest.json'))).toHaveLength(1_740);
  }, 60_000);
});
