import { posix } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditStateMachineDefinition } from '../../infra/organization/audit-state-machine.mjs';
import { latestReportKey } from '../../shared/audit/audit-report.js';
import { CHECK_IDS } from '../../shared/audit/checks-catalogue.js';
import type { AccountFinding } from '../../shared/audit/finding.js';
import { organizationRun, organizationRunLayout } from '../../shared/organization/organization-run.js';
import type { AccountLine, OrganizationSummary } from '../../shared/organization/organization-tally.js';
import { PAYLOAD_LIMIT_BYTES, runStateMachine, StatesError, type RunResult, type TraceEntry } from '../../tooling/state-machine-driver.mjs';
import { motoClients, type MotoClients } from './support/moto-clients.js';
import { startMotoServer, TEST_ACCOUNT, TEST_REGION, type MotoServer } from './support/moto-server.js';
import { addCentralResources, buildOrganization, REPORTS_PREFIX, resourceOwner, type CentralResources, type EstateAccount, type OrganizationEstate } from './support/organization-estate.js';
import { functionError, organizationFunctionEnvironment, startOrganizationFunctions, type Invoke, type OrganizationFunctions } from './support/organization-functions.js';
import { accountRowsOf, contentSecurityPolicyOf, skippedAccountsOf } from './support/organization-page.js';
import { attachPrintedRcp, moveIntoNewUnit } from './support/organization-rcp.js';
import { securityHubFindingsIn } from './support/organization-security-hub.js';
import { messageFor, startSnsPublishRecorder, type SnsPublishRecorder } from './support/sns-publish-recorder.js';
import { startStsFaultProxy, type StsFaultProxy } from './support/sts-fault-proxy.js';

/**
 * The organization audit's state machine, run by the local driver (tooling/state-machine-driver.mjs)
 * on the three built bundles, against moto holding an organization of 23 accounts (more than one
 * ListAccounts page): the management account, which runs the audit, and 22 members, one locked out
 * of the audit (AccessDenied on AssumeRole, at the STS fault proxy), one without its enforcer, one
 * closed. What on-call and the account owners rely on is read back from where they read it: the
 * organization report and its page in the reports bucket, the summary on the findings topic
 * (through a queue, and as mailed, at a recorder in front of SNS), each account's latest.json, run
 * history and OCSF lines, and each account's own Security Hub (POLICY.audit.securityHub is on, and
 * every account has Security Hub enabled).
 */
const MEMBERS = 22;
const LOCKED_OUT = 3;
const NO_ENFORCER = 5;
const CLOSED = 7;
const MAX_CONCURRENCY = 3;
const STATE_MACHINE_ARN = `arn:aws:states:us-east-1:${TEST_ACCOUNT}:stateMachine:s3-encryption-enforcer-organization-audit`;
const NIGHT = '2026-12-04T03:00:00.000Z';
const NEXT_NIGHT = '2026-12-05T03:00:00.000Z';
const POLICY = { audit: { securityHub: true } };
/** The check that reports each region's import into Security Hub: about the import, so never imported. */
const SECURITY_HUB_IMPORT = 'securityhub-import';
/** Severities by rank: the higher the index, the worse (none shown ranks below them all). */
const SEVERITY_RANK = ['informational', 'low', 'medium', 'high', 'critical'];

/** One account's own JSON report: its header, then every finding of its run. */
interface AccountReport {
  run: { runId: string; accountId: string };
  location: { jsonKey: string; htmlKey: string; ocsfKey: string };
  findings: { id: string; check: string; status: string; resource: string; region: string; observed: string }[];
}

interface HistoryLine {
  runId: string;
  scope: string;
  accountId: string;
  findings: number;
  accounts?: OrganizationSummary['accounts'];
}

interface OrganizationReport {
  kind: string;
  run: { runId: string; mapRunArn?: string };
  summary: OrganizationSummary;
  accounts: AccountLine[];
  findings: AccountFinding[];
}

interface OnCallSummary {
  subject: string;
  document: {
    summary: OrganizationSummary & { runDate: string };
    notAudited: { accountId: string; reasonCode: string; reason: string }[];
    changes: { change: string; accountId: string; check: string }[];
  };
}

/** Every payload a state was handed, handed on, sent to a function or got back. */
const payloadsOf = (trace: readonly TraceEntry[]): { where: string; payload: unknown }[] =>
  trace.flatMap((entry) => {
    const where = `${entry.map ? `${entry.map}[${entry.item}]/` : ''}${entry.state}`;
    return [
      { where: `${where} input`, payload: entry.input },
      ...(entry.output === undefined ? [] : [{ where: `${where} output`, payload: entry.output }]),
      ...(entry.attempts ?? []).flatMap((attempt, index) => [
        { where: `${where} request ${index + 1}`, payload: attempt.arguments },
        ...(attempt.result === undefined ? [] : [{ where: `${where} answer ${index + 1}`, payload: attempt.result }]),
      ]),
    ];
  });

describe('the organization audit state machine on the built bundles, against moto', () => {
  let moto: MotoServer;
  let proxy: StsFaultProxy;
  let topic: SnsPublishRecorder;
  let clients: MotoClients;
  let estate: OrganizationEstate;
  let central: CentralResources;
  let functions: OrganizationFunctions | undefined;

  beforeAll(async () => {
    moto = await startMotoServer();
    proxy = await startStsFaultProxy(moto.endpoint);
    topic = await startSnsPublishRecorder(moto.endpoint);
    clients = motoClients(moto.endpoint);
  });

  afterAll(async () => {
    clients?.destroy();
    await topic?.stop();
    await proxy?.stop();
    await moto?.stop();
  });

  beforeEach(async () => {
    await moto.reset();
    proxy.clear();
    topic.clear();
    estate = await buildOrganization(moto.endpoint, { members: MEMBERS, withoutEnforcer: [NO_ENFORCER], closed: [CLOSED], securityHub: true });
    central = await addCentralResources(clients);
    proxy.refuseAssumeRole(member(LOCKED_OUT).accountId);
    const endpoints = { moto: moto.endpoint, sts: proxy.endpoint, sns: topic.endpoint };
    functions = startOrganizationFunctions(organizationFunctionEnvironment(central, endpoints, POLICY), { maxConcurrency: MAX_CONCURRENCY });
  });

  afterEach(async () => {
    await functions?.stop();
    functions = undefined;
  });

  const member = (index: number): EstateAccount => estate.members[index] as EstateAccount;
  const running = (): OrganizationFunctions => {
    if (!functions) throw new Error('the functions are not started');
    return functions;
  };

  /** One execution, as the nightly schedule starts it; `around` may stand in for Lambda on some invocations. */
  const runAudit = async (startTime: string, around?: (invoke: Invoke, functionArn: string, payload: unknown) => Promise<unknown>): Promise<RunResult> => {
    const { invoke, substitutions } = running();
    const run = await runStateMachine({
      definition: auditStateMachineDefinition(),
      substitutions,
      input: {},
      executionName: `nightly-${startTime.slice(0, 10)}`,
      startTime,
      stateMachineArn: STATE_MACHINE_ARN,
      invoke: around ? (functionArn, payload) => around(invoke, functionArn, payload) : invoke,
      s3: clients.s3,
      retryIntervalScale: 0,
    });
    expect(run.status, JSON.stringify(run.status === 'FAILED' ? run.error : undefined)).toBe('SUCCEEDED');
    return run;
  };

  const readObject = async (key: string): Promise<string | undefined> => {
    try {
      const { Body } = await clients.s3.send(new GetObjectCommand({ Bucket: central.reportsBucket, Key: key }));
      return await Body?.transformToString();
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
  };

  /** An object of the reports bucket with what its reader's browser and S3 are told about it. */
  const objectOf = async (key: string): Promise<{ text: string; contentType?: string | undefined; encryption?: string | undefined; kmsKeyId?: string | undefined }> => {
    const object = await clients.s3.send(new GetObjectCommand({ Bucket: central.reportsBucket, Key: key }));
    return { text: (await object.Body?.transformToString()) ?? '', contentType: object.ContentType, encryption: object.ServerSideEncryption, kmsKeyId: object.SSEKMSKeyId };
  };

  const exists = async (key: string): Promise<boolean> => {
    try {
      await clients.s3.send(new HeadObjectCommand({ Bucket: central.reportsBucket, Key: key }));
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'NotFound') return false;
      throw error;
    }
  };

  const jsonLinesOf = (text: string): unknown[] =>
    text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as unknown);

  const reportOf = async (startTime: string): Promise<OrganizationReport> => {
    const key = organizationRunLayout(REPORTS_PREFIX, organizationRun(new Date(startTime))).reportJsonKey;
    const text = await readObject(key);
    if (text === undefined) throw new Error(`no organization report at ${key}`);
    return JSON.parse(text) as OrganizationReport;
  };

  const latestKeys = async (): Promise<string[]> => {
    const { Contents = [] } = await clients.s3.send(new ListObjectsV2Command({ Bucket: central.reportsBucket, Prefix: REPORTS_PREFIX }));
    return Contents.map((object) => object.Key ?? '').filter((key) => key.endsWith('/latest.json')).sort();
  };

  const onCallSummaries = async (): Promise<OnCallSummary[]> =>
    (await central.onCall.drain()).map((message) => {
      const envelope = JSON.parse(message.body) as { Subject: string; Message: string };
      return { subject: envelope.Subject, document: JSON.parse(envelope.Message) as OnCallSummary['document'] };
    });

  const lineOf = (report: OrganizationReport, account: EstateAccount): AccountLine | undefined => report.accounts.find((line) => line.accountId === account.accountId);
  const findingsOf = (report: OrganizationReport, check: string, resource: string): AccountFinding[] =>
    report.findings.filter((finding) => finding.check === check && finding.resource === resource);
  const audited = (): EstateAccount[] => estate.accounts.filter((account) => account !== member(LOCKED_OUT) && !account.closed);

  /** An audited account's own JSON report, where its line in the organization report says it is. */
  const accountReportOf = async (report: OrganizationReport, account: EstateAccount): Promise<AccountReport> => {
    const uri = lineOf(report, account)?.report ?? '';
    const prefix = `s3://${central.reportsBucket}/`;
    if (!uri.startsWith(prefix)) throw new Error(`${account.name} has no report in ${central.reportsBucket}: ${uri}`);
    return JSON.parse(await objectOf(uri.slice(prefix.length)).then((object) => object.text)) as AccountReport;
  };

  it('reports every account — audited, not audited with its reason, skipped — each finding in its own account, one summary, and the state saved only by the merge', async () => {
    let latestBeforeMerge: string[] | undefined;
    const run = await runAudit(NIGHT, async (invoke, functionArn, payload) => {
      if (functionArn === running().arns['merge-organization-audit']) latestBeforeMerge = await latestKeys();
      return invoke(functionArn, payload);
    });
    const report = await reportOf(NIGHT);

    // Every account of the organization, once, with what the run did with it.
    expect(report.accounts.map((line) => line.accountId).sort()).toEqual(estate.accounts.map((account) => account.accountId).sort());
    expect(report.summary.accounts).toEqual({ listed: MEMBERS + 1, audited: MEMBERS - 1, notAudited: 1, skipped: 1 });
    expect(lineOf(report, member(LOCKED_OUT))).toMatchObject({ status: 'not-audited', reasonCode: 'role-not-assumable', reason: expect.stringContaining('AccessDenied') });
    expect(lineOf(report, member(CLOSED))).toMatchObject({ status: 'skipped', reason: expect.stringContaining('SUSPENDED') });
    for (const account of audited()) expect(lineOf(report, account), account.name).toMatchObject({ status: 'audited', report: expect.stringContaining(`/${account.accountId}/`) });

    // The account's own finding: failing and high for the locked-out one, passed for the audited, none for the closed.
    const accountFindings = (account: EstateAccount) => findingsOf(report, 'org-account-audited', `AWS::::Account:${account.accountId}`);
    expect(accountFindings(member(LOCKED_OUT))).toEqual([expect.objectContaining({ accountId: member(LOCKED_OUT).accountId, status: 'failed', severity: 'high' })]);
    expect(accountFindings(member(CLOSED))).toEqual([]);
    for (const account of audited()) expect(accountFindings(account), account.name).toEqual([expect.objectContaining({ accountId: account.accountId, status: 'passed' })]);
    // And its RCP coverage, audited or not (moto's root starts without RCPs enabled); none for the closed one.
    expect(findingsOf(report, 'org-rcp-coverage', `AWS::::Account:${member(LOCKED_OUT).accountId}`)).toEqual([
      expect.objectContaining({ accountId: member(LOCKED_OUT).accountId, status: 'failed', observed: expect.stringMatching(/^Resource Control Policies are not enabled on the root r-/) }),
    ]);
    expect(report.findings.filter((finding) => finding.accountId === member(LOCKED_OUT).accountId || finding.accountId === member(CLOSED).accountId)).toHaveLength(2);

    // Findings stay in their account, and alias/data is each account's own key.
    for (const finding of report.findings) expect(resourceOwner(estate, finding.resource, { [central.reportsBucket]: TEST_ACCOUNT }), `${finding.check} ${finding.resource}`).toBe(finding.accountId);
    for (const account of audited()) {
      expect(findingsOf(report, 's3-default-encryption-kms', `arn:aws:s3:::${account.encryptedBucket}`), account.name).toEqual([
        expect.objectContaining({ accountId: account.accountId, status: 'passed' }),
      ]);
      expect(findingsOf(report, 's3-default-encryption-kms', `arn:aws:s3:::${account.plainBucket}`), account.name).toEqual([
        expect.objectContaining({ accountId: account.accountId, status: 'failed', severity: 'high' }),
      ]);
      expect(findingsOf(report, 'kms-key-state', account.keyArn), account.name).toEqual([expect.objectContaining({ accountId: account.accountId, status: 'passed' })]);
      const coverage = account === member(NO_ENFORCER) ? 'failed' : 'passed';
      for (const bucket of [account.encryptedBucket, account.plainBucket]) {
        expect(findingsOf(report, 's3-realtime-coverage', `arn:aws:s3:::${bucket}`), `${account.name} ${bucket}`).toEqual([expect.objectContaining({ status: coverage })]);
      }
    }
    expect(lineOf(report, member(NO_ENFORCER))).toMatchObject({ regionsWithoutEnforcer: ['us-east-1'] });

    // One summary for the whole organization, paging, naming the locked-out account.
    const summaries = await onCallSummaries();
    expect(summaries).toHaveLength(1);
    const [summary] = summaries as [OnCallSummary];
    // SNS subjects stop at 100 characters: what pages comes first.
    expect(summary.subject).toMatch(/^S3 encryption audit 2026-12-04 \(org\) \[high\]: 1 not audited, \d+ new, 0 changed, 0 resolved$/);
    expect(summary.document.summary).toMatchObject({ runDate: '2026-12-04', page: true, severity: 'high', accounts: report.summary.accounts });
    expect(summary.document.notAudited).toEqual([expect.objectContaining({ accountId: member(LOCKED_OUT).accountId, reasonCode: 'role-not-assumable' })]);

    // The state of each audited account is saved by the merge, after the summary: none before it.
    expect(latestBeforeMerge).toEqual([]);
    expect(await latestKeys()).toEqual(audited().map((account) => latestReportKey(REPORTS_PREFIX, account.accountId)).sort());

    // The Map's results where ResultWriter puts them, and the merge handed a reference to them.
    const mapRun = (run.trace.find((entry) => entry.state === 'AuditAccounts')?.output as { mapRun: { MapRunArn: string; ResultWriterDetails: { Bucket: string; Key: string } } }).mapRun;
    expect(report.run.mapRunArn).toBe(mapRun.MapRunArn);
    const manifest = JSON.parse((await readObject(mapRun.ResultWriterDetails.Key)) ?? 'null') as { ResultFiles: { SUCCEEDED: { Key: string }[]; FAILED: unknown[] } };
    expect(manifest.ResultFiles.FAILED).toEqual([]);
    const children = JSON.parse((await readObject(manifest.ResultFiles.SUCCEEDED[0]?.Key ?? '')) ?? '[]') as { Output: string }[];
    expect(children.map((child) => JSON.parse(child.Output) as unknown)).toHaveLength(MEMBERS);
    expect(running().pools['audit-member-account'].peakConcurrency).toBeLessThanOrEqual(MAX_CONCURRENCY);

    // Every payload stays far under Step Functions' limit, and no finding travels in one.
    const payloads = payloadsOf(run.trace);
    expect(payloads.length).toBeGreaterThan(3 * MEMBERS);
    for (const { where, payload } of payloads) {
      const text = JSON.stringify(payload);
      expect(Buffer.byteLength(text), where).toBeLessThan(PAYLOAD_LIMIT_BYTES);
      expect(CHECK_IDS.filter((check) => text.includes(check)), where).toEqual([]);
    }
  });

  it('puts each account’s findings in its own Security Hub and as OCSF beside its report, and gives on-call one page that links every audited account’s own', async () => {
    await runAudit(NIGHT);
    const report = await reportOf(NIGHT);
    const run = organizationRun(new Date(NIGHT));
    const reports = new Map<string, AccountReport>();
    for (const account of audited()) reports.set(account.accountId, await accountReportOf(report, account));

    // Security Hub of each account holds that account's findings, and only those: imported as that
    // account (the member role's session; the management account's own credentials at home), in
    // each finding's region. The locked-out and the closed account hold none.
    for (const account of estate.accounts) {
      const own = reports.get(account.accountId);
      const exported = (own?.findings ?? []).filter((finding) => finding.check !== SECURITY_HUB_IMPORT);
      const regions = [...new Set([TEST_REGION, ...exported.map((finding) => finding.region || TEST_REGION)])].sort();
      const importedIds: string[] = [];
      for (const region of regions) {
        for (const finding of await securityHubFindingsIn(moto.endpoint, account.accountId, region)) {
          const where = `${account.name} ${region} ${finding.Id}`;
          expect(finding, where).toMatchObject({ AwsAccountId: account.accountId, ProductArn: `arn:aws:securityhub:${region}:${account.accountId}:product/${account.accountId}/default` });
          const resource = finding.Resources?.[0];
          expect(resourceOwner(estate, resource?.Id ?? '', { [central.reportsBucket]: TEST_ACCOUNT }), where).toBe(account.accountId);
          // The finding of the report it stands for: same resource, same region.
          const reported = exported.find((candidate) => candidate.id === finding.Id);
          expect(reported, where).toBeDefined();
          expect([resource?.Id, reported?.region || TEST_REGION], where).toEqual([reported?.resource, region]);
          importedIds.push(finding.Id ?? '');
        }
      }
      expect(importedIds.sort(), account.name).toEqual(exported.map((finding) => finding.id).sort());
      if (!own) continue;
      expect(exported.length, account.name).toBeGreaterThan(0);
      // The report says what went in, region by region.
      expect(own.findings.filter((finding) => finding.check === SECURITY_HUB_IMPORT), account.name).toEqual(
        regions.map((region) =>
          expect.objectContaining({ status: 'passed', region, resource: `arn:aws:securityhub:${region}:${account.accountId}:hub/default`, observed: `${exported.filter((finding) => (finding.region || TEST_REGION) === region).length} imported` }),
        ),
      );
    }
    expect(reports.has(member(LOCKED_OUT).accountId) || reports.has(member(CLOSED).accountId)).toBe(false);

    // OCSF beside each JSON report: a line per finding of the report, each naming the account.
    for (const account of audited()) {
      const own = reports.get(account.accountId) as AccountReport;
      expect(own.location.ocsfKey, account.name).toBe(own.location.jsonKey.replace(/\.json$/, '.ocsf.jsonl'));
      const ocsf = await objectOf(own.location.ocsfKey);
      expect({ contentType: ocsf.contentType, encryption: ocsf.encryption, key: ocsf.kmsKeyId }, account.name).toEqual({ contentType: 'application/x-ndjson', encryption: 'aws:kms', key: central.reportsKeyArn });
      const events = jsonLinesOf(ocsf.text) as { finding_info?: { uid?: string }; cloud?: { account?: { uid?: string } } }[];
      expect(events.map((event) => event.finding_info?.uid).sort(), account.name).toEqual(own.findings.map((finding) => finding.id).sort());
      for (const event of events) expect(event.cloud?.account?.uid, `${account.name} ${event.finding_info?.uid}`).toBe(account.accountId);
    }

    // The organization's page: under the reports key, nothing that could run, a row per account in
    // scope, the one nobody could audit first, then the worst.
    const pageKey = organizationRunLayout(REPORTS_PREFIX, run).reportHtmlKey;
    expect(pageKey).toBe(`${REPORTS_PREFIX}organization/${run.runDate}/${run.runId}/organization-audit-${run.runId}.html`);
    const page = await objectOf(pageKey);
    expect({ contentType: page.contentType, encryption: page.encryption, key: page.kmsKeyId }).toEqual({ contentType: 'text/html; charset=utf-8', encryption: 'aws:kms', key: central.reportsKeyArn });
    expect(page.text).not.toMatch(/<script/i);
    expect(contentSecurityPolicyOf(page.text)).toMatch(/^default-src 'none'/);
    const rows = accountRowsOf(page.text);
    const inScope = estate.accounts.filter((account) => !account.closed);
    expect(rows.map((row) => row.accountId).sort()).toEqual(inScope.map((account) => account.accountId).sort());
    expect(skippedAccountsOf(page.text)).toEqual([member(CLOSED).accountId]);
    expect(rows[0]).toEqual(expect.objectContaining({ accountId: member(LOCKED_OUT).accountId, status: 'not audited', href: undefined }));
    // Worst first by the most severe failure; within one severity, in the order the accounts were listed
    // (the merge spools the rows a severity at a time, holding none of them).
    const rank = (row: (typeof rows)[number]): number => SEVERITY_RANK.indexOf(row.worst ?? '');
    const listedAt = (accountId: string): number => report.accounts.findIndex((line) => line.accountId === accountId);
    for (const [index, row] of rows.entries()) {
      if (index === 0) continue;
      expect(row.status, row.accountId).toBe('audited');
      expect(row.failing, row.accountId).toBe(report.accounts.find((line) => line.accountId === row.accountId)?.failing);
      const previous = rows[index - 1] as (typeof rows)[number];
      if (previous.status !== 'audited') continue;
      const [above, below] = [rank(previous), rank(row)];
      expect(above > below || (above === below && listedAt(previous.accountId) < listedAt(row.accountId)), `${previous.accountId} (${above}) above ${row.accountId} (${below})`).toBe(true);
    }

    // Each audited account's row links to that account's own page of this run, which is there.
    for (const row of rows.slice(1)) {
      const href = row.href ?? '';
      expect(href, row.accountId).not.toMatch(/^([a-z][a-z0-9+.-]*:|\/)/i);
      const target = posix.join(posix.dirname(pageKey), href);
      expect(target, row.accountId).toBe(`${REPORTS_PREFIX}${row.accountId}/${run.runDate}/encryption-audit-${run.runId}.html`);
      expect(await exists(target), target).toBe(true);
    }

    // On-call's mail names the page, in the console.
    const published = topic.published.filter((publish) => publish.topicArn === central.topicArn);
    expect(published).toHaveLength(1);
    const pageInConsole = `https://console.aws.amazon.com/s3/object/${central.reportsBucket}?region=${TEST_REGION}&prefix=${encodeURIComponent(pageKey)}`;
    for (const protocol of ['email', 'default']) expect(messageFor(published[0] as (typeof published)[number], protocol).split('\n'), protocol).toContain(`HTML report: ${pageInConsole}`);
  });

  // Two nights of 23 accounts: longer than the tier's default 60 s allows on a loaded machine.
  it('the next night pages only for the locked-out account: nothing else is new', { timeout: 120_000 }, async () => {
    await runAudit(NIGHT);
    await onCallSummaries();

    await runAudit(NEXT_NIGHT);

    const report = await reportOf(NEXT_NIGHT);
    expect(report.summary.changes).toMatchObject({ new: 0, changed: 0 });
    expect(report.summary.accountsWithChanges).toBe(0);
    for (const account of audited()) expect(lineOf(report, account)?.changes, account.name).toMatchObject({ new: 0, changed: 0 });
    const summaries = await onCallSummaries();
    expect(summaries).toHaveLength(1);
    const [summary] = summaries as [OnCallSummary];
    expect(summary.document.summary).toMatchObject({ runDate: '2026-12-05', page: true, changes: expect.objectContaining({ new: 0, changed: 0 }) });
    expect(summary.document.notAudited.map((line) => line.accountId)).toEqual([member(LOCKED_OUT).accountId]);
    // It pages as an account not audited, not as a change: nothing in the audited accounts changed.
    expect(summary.document.changes).toEqual([]);
    const latest = JSON.parse((await readObject(latestReportKey(REPORTS_PREFIX, member(0).accountId))) ?? 'null') as { run?: { runDate?: string } } | null;
    expect(latest?.run?.runDate ?? JSON.stringify(latest).slice(0, 200)).toBe('2026-12-05');

    // A line a night in the organization's history, and in each audited account's own.
    const runIds = [NIGHT, NEXT_NIGHT].map((night) => organizationRun(new Date(night)).runId);
    const organizationHistory = await objectOf(`${REPORTS_PREFIX}organization/history.jsonl`);
    expect({ contentType: organizationHistory.contentType, encryption: organizationHistory.encryption }).toEqual({ contentType: 'application/x-ndjson', encryption: 'aws:kms' });
    const nights = jsonLinesOf(organizationHistory.text) as HistoryLine[];
    expect(nights.map((line) => [line.runId, line.scope, line.accountId])).toEqual(runIds.map((runId) => [runId, 'organization', TEST_ACCOUNT]));
    for (const line of nights) expect(line.accounts, line.runId).toEqual({ listed: MEMBERS + 1, audited: MEMBERS - 1, notAudited: 1, skipped: 1 });
    expect(nights[1]?.findings).toBe(report.summary.findings);
    for (const account of audited()) {
      const own = jsonLinesOf((await objectOf(`${REPORTS_PREFIX}${account.accountId}/history.jsonl`)).text) as HistoryLine[];
      expect(own.map((line) => [line.runId, line.scope, line.accountId]), account.name).toEqual(runIds.map((runId) => [runId, 'account', account.accountId]));
    }
    for (const account of [member(LOCKED_OUT), member(CLOSED)]) expect(await exists(`${REPORTS_PREFIX}${account.accountId}/history.jsonl`), account.name).toBe(false);

    // A member's Security Hub holds each finding once, updated by the second night, first seen on the first.
    const second = await accountReportOf(report, member(0));
    const hub = await securityHubFindingsIn(moto.endpoint, member(0).accountId, TEST_REGION);
    expect(hub.map((finding) => finding.Id).sort()).toEqual(second.findings.filter((finding) => finding.check !== SECURITY_HUB_IMPORT).map((finding) => finding.id).sort());
    for (const finding of hub) expect(finding, finding.Id).toMatchObject({ AwsAccountId: member(0).accountId, CreatedAt: NIGHT, UpdatedAt: NEXT_NIGHT, RecordState: 'ACTIVE' });
  });

  it('checks each account’s RCP coverage: covered under the OU the printed RCP is attached to, failed elsewhere naming what is missing, and informational for the management account, which no RCP covers', async () => {
    // Members 1–8 in one OU (the locked-out and the closed among them), the RCP `enforcer prevention rcp`
    // prints attached to that OU and, to no avail, to the management account itself.
    const guarded = estate.members.slice(0, 8);
    const unitId = await moveIntoNewUnit(moto.endpoint, 'guarded', guarded.map((account) => account.accountId));
    const rcp = await attachPrintedRcp(moto.endpoint, [unitId, estate.management.accountId]);
    expect(JSON.parse(rcp.text)).toMatchObject({ Version: '2012-10-17', Statement: expect.arrayContaining([expect.objectContaining({ Sid: 'EnforcerDenySseC' })]) });

    await runAudit(NIGHT);
    const report = await reportOf(NIGHT);

    const coverage = (account: EstateAccount) => findingsOf(report, 'org-rcp-coverage', `AWS::::Account:${account.accountId}`);
    const attached = `${rcp.name} (${rcp.policyId})`;
    for (const account of guarded.filter((candidate) => !candidate.closed)) {
      expect(coverage(account), account.name).toEqual([
        expect.objectContaining({
          accountId: account.accountId,
          status: 'passed',
          severity: 'medium',
          observed: `RCPs on the path ${rcp.rootId} → ${unitId} → ${account.accountId} deny plain HTTP, uploads asking for SSE-S3, uploads under the aws/s3 key and SSE-C uploads (attached at ${unitId}: ${attached})`,
        }),
      ]);
    }
    // Covered whether or not it could be audited: the coverage is read from the organization, not from the account.
    expect(coverage(member(LOCKED_OUT))).toEqual([expect.objectContaining({ status: 'passed' })]);
    expect(coverage(member(CLOSED))).toEqual([]);
    const elsewhere = estate.members.slice(8);
    for (const account of elsewhere) {
      expect(coverage(account), account.name).toEqual([
        expect.objectContaining({
          accountId: account.accountId,
          status: 'failed',
          severity: 'medium',
          observed: `no RCP on the path ${rcp.rootId} → ${account.accountId} denies plain HTTP, uploads asking for SSE-S3, uploads under the aws/s3 key or SSE-C uploads (no RCP that denies any of them is attached on it)`,
        }),
      ]);
    }
    expect(coverage(estate.management)).toEqual([
      expect.objectContaining({
        accountId: TEST_ACCOUNT,
        status: 'informational',
        observed: 'the management account: Resource Control Policies never apply to its resources, whatever is attached to the root or to the account',
        remediation: expect.stringContaining('its buckets rely on their bucket policies'),
      }),
    ]);

    // The failures are kept, after the summary went out, as the state the next night compares with (so they page once).
    const state = await objectOf(`${REPORTS_PREFIX}organization/latest-findings.jsonl`);
    expect({ contentType: state.contentType, encryption: state.encryption, key: state.kmsKeyId }).toEqual({ contentType: 'application/x-ndjson', encryption: 'aws:kms', key: central.reportsKeyArn });
    const kept = jsonLinesOf(state.text) as { accountId: string; check: string; status: string }[];
    expect(kept.map((line) => [line.accountId, line.check, line.status]).sort()).toEqual(
      elsewhere.map((account) => [account.accountId, 'org-rcp-coverage', 'failed']).sort(),
    );
  });

  it('records a child whose audit timed out, crashed or was lost as not audited, with the reason, and retries Lambda’s throttling', async () => {
    const statesTimeout = member(9);
    const lambdaTimeout = member(11);
    const crashed = member(13);
    const throttled = member(15);
    const lost = member(17);
    const auditArn = running().arns['audit-member-account'];
    const throttledOnce = new Set<string>();
    const run = await runAudit(NIGHT, async (invoke, functionArn, payload) => {
      const { account, failure } = payload as { account?: { accountId: string }; failure?: unknown };
      if (functionArn !== auditArn || !account) return invoke(functionArn, payload);
      const caught = failure !== undefined;
      // A state's TimeoutSeconds, as Step Functions reports it.
      if (account.accountId === statesTimeout.accountId && !caught) throw new StatesError('States.Timeout', '');
      // The function's own timeout, as Lambda reports it through lambda:invoke.
      if (account.accountId === lambdaTimeout.accountId && !caught) throw functionError('Sandbox.Timedout', 'RequestId: 5f0e Error: Task timed out after 900.00 seconds');
      if (account.accountId === crashed.accountId && !caught) throw functionError('TypeError', "Cannot read properties of undefined (reading 'Rules')");
      if (account.accountId === throttled.accountId && !throttledOnce.has(account.accountId)) {
        throttledOnce.add(account.accountId);
        throw new StatesError('Lambda.TooManyRequestsException', 'Rate Exceeded.');
      }
      // Both the audit and its record fail: the child execution fails, which the Map tolerates.
      if (account.accountId === lost.accountId) throw new StatesError('States.Timeout', '');
      return invoke(functionArn, payload);
    });
    const report = await reportOf(NIGHT);

    expect(lineOf(report, statesTimeout)).toMatchObject({ status: 'not-audited', reasonCode: 'timed-out', reason: expect.stringContaining('States.Timeout') });
    expect(lineOf(report, lambdaTimeout)).toMatchObject({ status: 'not-audited', reasonCode: 'timed-out', reason: expect.stringContaining('Task timed out after 900.00 seconds') });
    expect(lineOf(report, crashed)).toMatchObject({ status: 'not-audited', reasonCode: 'audit-failed', reason: "TypeError: Cannot read properties of undefined (reading 'Rules')" });
    expect(lineOf(report, lost)).toMatchObject({ status: 'not-audited', reasonCode: 'no-result' });
    expect(lineOf(report, throttled)).toMatchObject({ status: 'audited' });
    expect(report.summary.accounts).toEqual({ listed: MEMBERS + 1, audited: MEMBERS - 5, notAudited: 5, skipped: 1 });
    for (const account of [statesTimeout, lambdaTimeout, crashed, lost]) {
      expect(findingsOf(report, 'org-account-audited', `AWS::::Account:${account.accountId}`), account.name).toEqual([expect.objectContaining({ status: 'failed', severity: 'high' })]);
    }

    // The path each took through the child's states.
    const childStates = (account: EstateAccount) =>
      run.trace.filter((entry) => entry.map === 'AuditAccounts' && (entry.input as { account?: { accountId: string } }).account?.accountId === account.accountId);
    const recorded = childStates(lambdaTimeout);
    expect(recorded.map((entry) => [entry.state, entry.caughtBy])).toEqual([['AuditAccount', 'RecordNotAudited'], ['RecordNotAudited', undefined]]);
    expect(recorded[1]?.input).toMatchObject({
      failure: { Error: 'Sandbox.Timedout', Cause: JSON.stringify({ errorMessage: 'RequestId: 5f0e Error: Task timed out after 900.00 seconds', errorType: 'Sandbox.Timedout' }) },
    });
    expect(recorded[1]?.output).toEqual({ accountId: lambdaTimeout.accountId, status: 'not-audited' });
    expect(childStates(throttled).map((entry) => [entry.state, entry.attempts?.length])).toEqual([['AuditAccount', 2]]);
    expect(childStates(lost).map((entry) => [entry.state, entry.error?.Error])).toEqual([['AuditAccount', undefined], ['RecordNotAudited', 'States.Timeout']]);

    // The lost child is in FAILED_0.json; the Map tolerated it and the merge still ran.
    const mapRun = (run.trace.find((entry) => entry.state === 'AuditAccounts')?.output as { mapRun: { ResultWriterDetails: { Key: string } } }).mapRun;
    const manifest = JSON.parse((await readObject(mapRun.ResultWriterDetails.Key)) ?? 'null') as { ResultFiles: { FAILED: { Key: string }[] } };
    const failed = JSON.parse((await readObject(manifest.ResultFiles.FAILED[0]?.Key ?? '')) ?? '[]') as { Input: string; Error: string; Status: string }[];
    expect(failed.map((child) => [(JSON.parse(child.Input) as { account: { accountId: string } }).account.accountId, child.Error, child.Status])).toEqual([[lost.accountId, 'States.Timeout', 'FAILED']]);
    const [summary] = await onCallSummaries();
    expect(summary?.document.notAudited.map((line) => line.accountId).sort()).toEqual([member(LOCKED_OUT), statesTimeout, lambdaTimeout, crashed, lost].map((account) => account.accountId).sort());
  });
});
