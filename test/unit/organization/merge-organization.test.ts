import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { auditMember, recordResult, type MemberAuditDependencies } from '../../../functions/audit-member-account/audit-member.js';
import { listOrganizationAccounts } from '../../../functions/list-organization-accounts/list-accounts.js';
import { mergeOrganization, type MergeDependencies } from '../../../functions/merge-organization-audit/merge-organization.js';
import { SNS_MESSAGE_BUDGET_BYTES, snsMessageBytes } from '../../../shared/adapters/sns-notification-publisher.js';
import type { AuditReport } from '../../../shared/audit/audit-report.js';
import type { AccountFinding } from '../../../shared/audit/finding.js';
import { auditedFinding, notAuditedFinding, type AccountResult } from '../../../shared/organization/account-result.js';
import type { OrganizationRun } from '../../../shared/organization/organization-run.js';
import { RCP_GUARANTEES, rcpCoverageFinding } from '../../../shared/organization/rcp-coverage.js';
import type { AccountLister, OrganizationAccount } from '../../../shared/ports/account-lister.js';
import type { Notification, NotificationPublisher } from '../../../shared/ports/notification-publisher.js';
import type { ResourceControlPolicies } from '../../../shared/ports/resource-control-policies.js';
import {
  accountsOpenedBy,
  bucketFinding,
  CENTRAL,
  coveredOrganization,
  deployedIn,
  enforcerQueueArn,
  FakeResourceControlPolicies,
  flatOrganization,
  GUARDRAILS_RCP,
  memberClients,
  MemoryReportStore,
  openSpool,
  organizationConfig,
  PREFIX,
  recordingMergeRecorder,
  removeSpools,
  REPORTS_BUCKET,
  REPORTS_KEY,
  ROOT,
  silentAuditRecorder,
  unusedClients,
  writeAccountReport,
  type FakeBucket,
  type RecordedMerge,
} from './support/organization-fakes.js';

afterAll(removeSpools);

const NIGHT_1: OrganizationRun = { runId: '2026-03-01T030000Z', runDate: '2026-03-01', startedAt: '2026-03-01T03:00:00.000Z' };
const NIGHT_2: OrganizationRun = { runId: '2026-03-02T030000Z', runDate: '2026-03-02', startedAt: '2026-03-02T03:00:00.000Z' };
const NIGHT_3: OrganizationRun = { runId: '2026-03-03T030000Z', runDate: '2026-03-03', startedAt: '2026-03-03T03:00:00.000Z' };
const runBase = (run: OrganizationRun) => `encryption-audit/organization/${run.runDate}/${run.runId}/`;
const reportJsonKey = (run: OrganizationRun) => `${runBase(run)}organization-audit-${run.runId}.json`;
const accountReportKey = (accountId: string, run: OrganizationRun) => `encryption-audit/${accountId}/${run.runDate}/encryption-audit-${run.runId}.json`;
const latestKey = (accountId: string) => `encryption-audit/${accountId}/latest.json`;
const FINDINGS_STATE_KEY = 'encryption-audit/organization/latest-findings.jsonl';

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
const nightBeforeMerge = async (
  store: MemoryReportStore,
  run: OrganizationRun,
  organization: readonly OrganizationAccount[],
  resourceControlPolicies: ResourceControlPolicies = flatOrganization(organization.map((account) => account.id)),
): Promise<AccountResult[]> => {
  // The member stacks run in us-east-1 only, of the two regions audited.
  const config = organizationConfig({ AUDIT_REGIONS: 'us-east-1,eu-west-1' });
  await listOrganizationAccounts({ lister: lister(organization), resourceControlPolicies, partition: 'aws', store, reportsBucket: REPORTS_BUCKET, reportsPrefix: PREFIX, reportsKmsKeyArn: REPORTS_KEY, scope: {} }, run);
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
      // Two of its own for each of the four in scope: audited or not, and not covered by any RCP.
      findings: alpha.findings.length + echo.findings.length + 8,
      failing: failing(alpha) + failing(echo) + 2 + 4,
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
    const uncovered = (id: string) => rcpCoverageFinding(account(id), { kind: 'not-covered', path: [ROOT, id], attachments: [], missing: [...RCP_GUARANTEES] }, 'us-east-1');
    expect(report.findings).toEqual([
      auditedFinding(account(ALPHA), 'us-east-1'),
      uncovered(ALPHA),
      ...alpha.findings,
      notAuditedFinding(account(BRAVO), REFUSED, 'us-east-1'),
      uncovered(BRAVO),
      notAuditedFinding(account(DELTA), NO_RESULT, 'us-east-1'),
      uncovered(DELTA),
      auditedFinding(account(ECHO), 'us-east-1'),
      uncovered(ECHO),
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
    expect(order.slice(order.indexOf('publish'))).toEqual(['publish', FINDINGS_STATE_KEY, latestKey(ALPHA), latestKey(ECHO)]);
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
    // Every account covered by the RCP at the root: its coverage adds nothing new either.
    await nightBeforeMerge(store, NIGHT_1, [listed(ALPHA), listed(ECHO)], coveredOrganization([ALPHA, ECHO]));
    await mergeOrganization(mergeDeps(store, recordingPublisher(store)), NIGHT_1);
    await nightBeforeMerge(store, NIGHT_2, [listed(ALPHA), listed(BRAVO), listed(ECHO)], coveredOrganization([ALPHA, BRAVO, ECHO]));
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
    expect(report.findings.filter((finding) => finding.accountId === ECHO)).toEqual([
      auditedFinding({ accountId: ECHO, name: `team ${ECHO}` }, 'us-east-1'),
      rcpCoverageFinding({ accountId: ECHO, name: `team ${ECHO}` }, { kind: 'not-covered', path: [ROOT, ECHO], attachments: [], missing: [...RCP_GUARANTEES] }, 'us-east-1'),
    ]);
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
    await listOrganizationAccounts({ lister: lister(organization), resourceControlPolicies: coveredOrganization(organization.map((account) => account.id)), partition: 'aws', store, reportsBucket: REPORTS_BUCKET, reportsPrefix: PREFIX, reportsKmsKeyArn: REPORTS_KEY, scope: {} }, NIGHT_1);
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

    // 40 suspended; 200 throttled and 20 without a result; 1,740 audited with 2 findings each; two findings of its own (audited, RCPs: covered) for each of the 1,960 in scope.
    expect(outcome).toEqual({
      runId: NIGHT_1.runId,
      accounts: { listed: 2_000, audited: 1_740, notAudited: 220, skipped: 40 },
      findings: 1_740 * 2 + 1_960 * 2,
      failing: 1_740 + 220,
      page: true,
      notifications: 1,
      report: `s3://org-reports/${reportJsonKey(NIGHT_1)}`,
      statesNotSaved: 0,
    });
    const report = JSON.parse(store.objects.get(reportJsonKey(NIGHT_1)) ?? 'null') as { accounts: { accountId: string }[]; findings: unknown[] };
    expect(report.accounts.map((line) => line.accountId)).toEqual(organization.map((account) => account.id));
    expect(report.findings).toHaveLength(1_740 * 2 + 1_960 * 2);
    expect(publisher.sent).toHaveLength(1);
    expect(snsMessageBytes(publisher.sent[0] as Notification)).toBeLessThanOrEqual(SNS_MESSAGE_BUDGET_BYTES);
    expect(publisher.sent[0]?.text).toContain('\nNOT AUDITED (220)\n');
    expect(publisher.sent[0]?.text).toContain('\n- … and 170 more in the report\n');
    expect(store.keys().filter((key) => key.endsWith('/latest.json'))).toHaveLength(1_740);
  }, 60_000);
});

describe('mergeOrganization: the org-rcp-coverage finding of each account', () => {
  const GUARDED_OU = 'ou-ab12-guarded1';
  type Report = { summary: { changes: Record<string, number>; page: boolean }; findings: AccountFinding[] };
  const reportAt = (store: MemoryReportStore, run: OrganizationRun) => JSON.parse(store.objects.get(reportJsonKey(run)) ?? 'null') as Report;
  const rcpFindings = (report: Report) => report.findings.filter((finding) => finding.check === 'org-rcp-coverage');
  const stateLines = (store: MemoryReportStore) => (store.objects.get(FINDINGS_STATE_KEY) ?? '').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { accountId: string; status: string });
  type SentChange = { change: string; accountId: string; check: string; severity: string; status: string; observed: string };
  const changesSent = (publisher: { sent: Notification[] }) => (publisher.sent[0]?.document as { changes: SentChange[] }).changes;

  it('files one per account in scope, in its account, audited or not — covered under the OU with the RCP, failed beside it, informational for the management account — and none for a skipped account', async () => {
    const store = new MemoryReportStore();
    const policies = new FakeResourceControlPolicies({
      managementAccountId: ECHO,
      policies: [{ ...GUARDRAILS_RCP, targets: [GUARDED_OU] }],
      parentOf: { [GUARDED_OU]: ROOT, [ALPHA]: GUARDED_OU, [BRAVO]: GUARDED_OU, [CLOSED]: ROOT, [DELTA]: ROOT, [ECHO]: ROOT },
    });
    await nightBeforeMerge(store, NIGHT_1, ORGANIZATION, policies);
    const publisher = recordingPublisher(store);

    await mergeOrganization(mergeDeps(store, publisher), NIGHT_1);

    const report = reportAt(store, NIGHT_1);
    expect(rcpFindings(report).map((finding) => [finding.accountId, finding.resource, finding.region, finding.status, finding.severity])).toEqual([
      [ALPHA, `AWS::::Account:${ALPHA}`, 'us-east-1', 'passed', 'medium'],
      [BRAVO, `AWS::::Account:${BRAVO}`, 'us-east-1', 'passed', 'medium'],
      [DELTA, `AWS::::Account:${DELTA}`, 'us-east-1', 'failed', 'medium'],
      [ECHO, `AWS::::Account:${ECHO}`, 'us-east-1', 'informational', 'informational'],
    ]);
    const [alpha, , delta, echo] = rcpFindings(report);
    expect(alpha?.observed).toBe(
      'RCPs on the path r-ab12 → ou-ab12-guarded1 → 111111111111 deny plain HTTP, uploads asking for SSE-S3, uploads under the aws/s3 key and SSE-C uploads (attached at ou-ab12-guarded1: s3-encryption-guardrails (p-guardrails1))',
    );
    expect(delta?.observed).toBe(
      'no RCP on the path r-ab12 → 444444444444 denies plain HTTP, uploads asking for SSE-S3, uploads under the aws/s3 key or SSE-C uploads (no RCP that denies any of them is attached on it)',
    );
    expect(echo?.observed).toBe('the management account: Resource Control Policies never apply to its resources, whatever is attached to the root or to the account');
    // The first night, the failure is new: on-call hears of it, at its severity. The management account's is not a failure.
    expect(changesSent(publisher).filter((change) => change.check === 'org-rcp-coverage')).toEqual([
      { change: 'new', accountId: DELTA, id: delta?.id, check: 'org-rcp-coverage', severity: 'medium', status: 'failed', resource: `AWS::::Account:${DELTA}`, region: 'us-east-1', observed: delta?.observed },
    ]);
    // Kept for the next night: the failing ones, written under the reports key after the summary.
    expect(stateLines(store)).toEqual([
      { accountId: DELTA, id: delta?.id, check: 'org-rcp-coverage', status: 'failed', severity: 'medium', observed: delta?.observed },
    ]);
    expect([store.kmsKeys.get(FINDINGS_STATE_KEY), store.contentTypes.get(FINDINGS_STATE_KEY)]).toEqual([REPORTS_KEY, 'application/x-ndjson']);
  });

  it('pages for an RCP failure only when it is new or changed: unchanged the next night, changed when the RCPs above it change, resolved once covered', async () => {
    const store = new MemoryReportStore();
    const organization = [listed(ALPHA), listed(ECHO)];
    await nightBeforeMerge(store, NIGHT_1, organization);
    await expect(mergeOrganization(mergeDeps(store, recordingPublisher(store)), NIGHT_1)).resolves.toMatchObject({ page: true });

    await nightBeforeMerge(store, NIGHT_2, organization);
    const quiet = recordingPublisher(store);
    await expect(mergeOrganization(mergeDeps(store, quiet), NIGHT_2)).resolves.toMatchObject({ page: false });
    expect(reportAt(store, NIGHT_2).summary.changes).toMatchObject({ new: 0, changed: 0, resolved: 0 });
    expect(rcpFindings(reportAt(store, NIGHT_2)).map((finding) => finding.status)).toEqual(['failed', 'failed']);

    // The RCP attached to Alpha itself; a TLS-only RCP at the root gives Echo something, not everything.
    const tlsOnly = { id: 'p-tlsonly01', name: 'tls-only', awsManaged: false, content: JSON.stringify({ Version: '2012-10-17', Statement: [JSON.parse(GUARDRAILS_RCP.content).Statement[0]] }), targets: [ROOT] };
    const policies = new FakeResourceControlPolicies({ policies: [{ ...GUARDRAILS_RCP, targets: [ALPHA] }, tlsOnly], parentOf: { [ALPHA]: ROOT, [ECHO]: ROOT } });
    await nightBeforeMerge(store, NIGHT_3, organization, policies);
    const publisher = recordingPublisher(store);

    await expect(mergeOrganization(mergeDeps(store, publisher), NIGHT_3)).resolves.toMatchObject({ page: true });

    const report = reportAt(store, NIGHT_3);
    expect(report.summary.changes).toMatchObject({ new: 0, changed: 1, resolved: 1 });
    expect(rcpFindings(report).map((finding) => [finding.accountId, finding.status])).toEqual([
      [ALPHA, 'passed'],
      [ECHO, 'failed'],
    ]);
    expect(changesSent(publisher).map((change) => [change.change, change.accountId, change.check, change.observed])).toEqual([
      [
        'changed',
        ECHO,
        'org-rcp-coverage',
        'no RCP on the path r-ab12 → 555555555555 denies uploads asking for SSE-S3, uploads under the aws/s3 key or SSE-C uploads (RCPs attached on it: r-ab12: tls-only (p-tlsonly01))',
      ],
    ]);
    expect(publisher.sent[0]?.subject).toBe('S3 encryption audit 2026-03-03 (org) [medium]: 0 new, 1 changed, 1 resolved');
    expect(stateLines(store).map((line) => line.accountId)).toEqual([ECHO]);
  });

  it('keeps in its state the failures of accounts a narrower run did not list, so they do not page again; a closed account’s is dropped', async () => {
    const store = new MemoryReportStore();
    await nightBeforeMerge(store, NIGHT_1, [listed(ALPHA), listed(ECHO)]);
    await mergeOrganization(mergeDeps(store, recordingPublisher(store)), NIGHT_1);

    // A run of Alpha alone (a CLI run of one OU, say) keeps Echo's line as it was.
    await nightBeforeMerge(store, NIGHT_2, [listed(ALPHA)]);
    await mergeOrganization(mergeDeps(store, recordingPublisher(store)), NIGHT_2);
    expect(stateLines(store).map((line) => line.accountId)).toEqual([ALPHA, ECHO]);

    await nightBeforeMerge(store, NIGHT_3, [listed(ALPHA), listed(ECHO, 'SUSPENDED')]);
    const publisher = recordingPublisher(store);
    await expect(mergeOrganization(mergeDeps(store, publisher), NIGHT_3)).resolves.toMatchObject({ page: false });
    expect(rcpFindings(reportAt(store, NIGHT_3)).map((finding) => finding.accountId)).toEqual([ALPHA]);
    expect(reportAt(store, NIGHT_3).summary.changes).toMatchObject({ new: 0, changed: 0, resolved: 0 });
    expect(stateLines(store).map((line) => line.accountId)).toEqual([ALPHA]);
  });

  it('reads its state before it opens the listing: an object’s body flows from S3 as soon as it is opened, and lines not taken then are lost', async () => {
    /** Reads as S3ReportStore does: a readline over the body stream, taken only when iterated. */
    class StreamingStore extends MemoryReportStore {
      override async readLines(key: string): Promise<AsyncIterable<string> | undefined> {
        const text = this.objects.get(key);
        if (text === undefined) return undefined;
        const lines = createInterface({ input: Readable.from([text]), crlfDelay: Infinity });
        return (async function* () {
          for await (const line of lines) yield line;
        })();
      }
    }
    const store = new StreamingStore();
    await nightBeforeMerge(store, NIGHT_1, [listed(ALPHA), listed(ECHO)]);
    await mergeOrganization(mergeDeps(store, recordingPublisher(store)), NIGHT_1);
    await nightBeforeMerge(store, NIGHT_2, [listed(ALPHA), listed(ECHO)]);

    await expect(mergeOrganization(mergeDeps(store, recordingPublisher(store)), NIGHT_2)).resolves.toMatchObject({ accounts: { listed: 2, audited: 2 }, page: false });
  });

  it('reports an account whose listing line carries no coverage (listed by an earlier version) as an error, not as covered or absent', async () => {
    const store = new MemoryReportStore();
    await nightBeforeMerge(store, NIGHT_1, [listed(ALPHA)]);
    const listingKey = `${runBase(NIGHT_1)}listing.jsonl`;
    store.objects.set(listingKey, (store.objects.get(listingKey) ?? '').replace(/,"rcp":\{[^\n]*\}\}$/m, '}'));
    expect(store.objects.get(listingKey)).not.toContain('rcp');

    await mergeOrganization(mergeDeps(store, recordingPublisher(store)), NIGHT_1);

    expect(rcpFindings(reportAt(store, NIGHT_1))).toEqual([
      expect.objectContaining({
        accountId: ALPHA,
        status: 'error',
        severity: 'medium',
        observed: "the organization's RCPs could not be read: ListAccounts failed with CoverageNotListed",
      }),
    ]);
  });
});
