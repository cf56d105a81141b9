import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auditStateMachineDefinition } from '../../infra/organization/audit-state-machine.mjs';
import { latestReportKey } from '../../shared/audit/audit-report.js';
import { CHECK_IDS } from '../../shared/audit/checks-catalogue.js';
import type { AccountFinding } from '../../shared/audit/finding.js';
import { organizationRun, organizationRunLayout } from '../../shared/organization/organization-run.js';
import type { AccountLine, OrganizationSummary } from '../../shared/organization/organization-tally.js';
import { PAYLOAD_LIMIT_BYTES, runStateMachine, StatesError, type RunResult, type TraceEntry } from '../../tooling/state-machine-driver.mjs';
import { motoClients, type MotoClients } from './support/moto-clients.js';
import { startMotoServer, TEST_ACCOUNT, type MotoServer } from './support/moto-server.js';
import { addCentralResources, buildOrganization, REPORTS_PREFIX, resourceOwner, type CentralResources, type EstateAccount, type OrganizationEstate } from './support/organization-estate.js';
import { functionError, organizationFunctionEnvironment, startOrganizationFunctions, type Invoke, type OrganizationFunctions } from './support/organization-functions.js';
import { startStsFaultProxy, type StsFaultProxy } from './support/sts-fault-proxy.js';

/**
 * The organization audit's state machine, run by the local driver (tooling/state-machine-driver.mjs)
 * on the three built bundles, against moto holding an organization of 23 accounts (more than one
 * ListAccounts page): the management account, which runs the audit, and 22 members, one locked out
 * of the audit (AccessDenied on AssumeRole, at the STS fault proxy), one without its enforcer, one
 * closed. What on-call and the account owners rely on is read back from where they read it: the
 * organization report in the reports bucket, the summary on the findings topic (through a queue),
 * each account's latest.json.
 */
const MEMBERS = 22;
const LOCKED_OUT = 3;
const NO_ENFORCER = 5;
const CLOSED = 7;
const MAX_CONCURRENCY = 3;
const STATE_MACHINE_ARN = `arn:aws:states:us-east-1:${TEST_ACCOUNT}:stateMachine:s3-encryption-enforcer-organization-audit`;
const NIGHT = '2026-12-04T03:00:00.000Z';
const NEXT_NIGHT = '2026-12-05T03:00:00.000Z';

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
  let clients: MotoClients;
  let estate: OrganizationEstate;
  let central: CentralResources;
  let functions: OrganizationFunctions | undefined;

  beforeAll(async () => {
    moto = await startMotoServer();
    proxy = await startStsFaultProxy(moto.endpoint);
    clients = motoClients(moto.endpoint);
  });

  afterAll(async () => {
    clients?.destroy();
    await proxy?.stop();
    await moto?.stop();
  });

  beforeEach(async () => {
    await moto.reset();
    proxy.clear();
    estate = await buildOrganization(moto.endpoint, { members: MEMBERS, withoutEnforcer: [NO_ENFORCER], closed: [CLOSED] });
    central = await addCentralResources(clients);
    proxy.refuseAssumeRole(member(LOCKED_OUT).accountId);
    functions = startOrganizationFunctions(organizationFunctionEnvironment(central, { moto: moto.endpoint, sts: proxy.endpoint }), { maxConcurrency: MAX_CONCURRENCY });
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
    expect(report.findings.filter((finding) => finding.accountId === member(LOCKED_OUT).accountId || finding.accountId === member(CLOSED).accountId)).toHaveLength(1);

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
