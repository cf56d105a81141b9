// Bundled by bench/sections/organization.mjs with the functions' esbuild options and run in its own process:
//   node --expose-gc organization-figures.mjs <result.json> fan-out '{"accounts":1000,"buckets":20,"keys":5,"concurrency":40,"latencyMs":20,"aloneRuns":3,…}'
//   node --expose-gc --max-old-space-size=N organization-figures.mjs <result.json> merge '{"accounts":10000,"findings":100,"latencyMs":20,"spoolParent":"…",…}'
// fan-out: the organization audit's three steps composed in process as cli/audit-organization.ts composes
// them — listOrganizationAccounts, then auditMember and recordResult for every account, `concurrency` at
// once (the Distributed Map's MaxConcurrency), then mergeOrganization — over a simulated organization
// (bench/lib/simulated-organization.mjs): each member opened through the real StsRoleAssumer and audited
// with SDK clients of its own over its own simulated account; the reports bucket a simulated S3 behind
// the real S3ReportStore. One account's audit is also timed alone, before and after the fan-out.
// merge: mergeOrganization alone, as functions/merge-organization-audit/handler.ts composes it, over an
// in-memory ReportStore with a latency on every call (bench/lib/simulated-report-store.mjs) that makes
// each account's result and report when the merge reads it (bench/lib/organization-reports.mjs); the
// V8 heap the merge retains is read after a full GC at every 256th account and every 256th copy.
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { powertoolsAuditRecorder } from '../../functions/audit-encryption/powertools-audit-recorder.ts';
import { auditMember, recordResult } from '../../functions/audit-member-account/audit-member.ts';
import { listOrganizationAccounts } from '../../functions/list-organization-accounts/list-accounts.ts';
import { mergeOrganization } from '../../functions/merge-organization-audit/merge-organization.ts';
import { powertoolsMergeRecorder } from '../../functions/merge-organization-audit/powertools-merge-recorder.ts';
import { LocalReportSpool } from '../../shared/adapters/local-report-spool.ts';
import { S3ReportStore } from '../../shared/adapters/s3-report-store.ts';
import { SNS_MESSAGE_BUDGET_BYTES, SnsNotificationPublisher, snsMessageBytes } from '../../shared/adapters/sns-notification-publisher.ts';
import { consoleHostOf } from '../../shared/audit/audit-report.ts';
import { loadOrganizationAuditConfig } from '../../shared/config/organization-config.ts';
import { mapBounded } from '../../shared/core/run-bounded.ts';
import { createTelemetry } from '../../shared/observability/powertools.ts';
import { parseMemberAccount } from '../../shared/organization/account-result.ts';
import { organizationRun, organizationRunLayout } from '../../shared/organization/organization-run.ts';
import { auditedFindings, kindOf, organizationNight } from '../lib/organization-reports.mjs';
import { median } from '../lib/stats.mjs';
import { SimulatedAccount } from '../lib/simulated-account.mjs';
import { answer, CallCounter, simulatedClient } from '../lib/simulated-aws.mjs';
import { SimulatedOrganization, simulatedLister, simulatedResourceControlPolicies } from '../lib/simulated-organization.mjs';
import { SimulatedReportStore } from '../lib/simulated-report-store.mjs';

/** @import { MemberAuditDependencies } from '../../functions/audit-member-account/audit-member.ts' */
/** @import { MergeDependencies, MergeOutcome } from '../../functions/merge-organization-audit/merge-organization.ts' */
/** @import { AccountResult, MemberAccount } from '../../shared/organization/account-result.ts' */
/** @import { ReportSpool, SpoolFile } from '../../shared/ports/report-spool.ts' */
/** @import { CommandInput } from '../lib/simulated-aws.mjs' */

const REGION = 'us-east-1';
/** The account that runs the organization audit and owns the reports bucket. */
const CALLER = '111111111111';
const NIGHT = new Date(Date.UTC(2025, 0, 2, 3, 0, 0));
/** The merge figure's warm-up merges another night, a week before. */
const WARM_UP_NIGHT = new Date(Date.UTC(2024, 11, 26, 3, 0, 0));
/** The merge reads the listing 256 accounts at a time (LISTING_BATCH in merge-organization.ts). */
const LISTING_BATCH = 256;
/**
 * Memory is read 8 times a listing batch (every 32nd account read, every 32nd copy): what the merge
 * holds for the accounts in flight changes from moment to moment, and a maximum over more moments is
 * higher, so a size with 10 times the accounts must not also be read at 10 times the moments only.
 */
const PROBE_EVERY = 32;

/**
 * The organization audit's configuration from the real loader, as the central stack sets it.
 * @param {string} requiredKeyAlias
 */
const organizationConfig = (requiredKeyAlias) =>
  loadOrganizationAuditConfig(
    {
      REQUIRED_KMS_KEY: requiredKeyAlias,
      REPORTS_BUCKET: 'bench-organization-reports',
      REPORTS_KMS_KEY_ARN: `arn:aws:kms:${REGION}:${CALLER}:key/00000000-1111-4000-8000-000000000000`,
      FINDINGS_TOPIC_ARN: `arn:aws:sns:${REGION}:${CALLER}:encryption-findings`,
      AWS_REGION: REGION,
    },
    { publishes: true },
  );

const PUBLISHED = answer(
  200,
  { 'content-type': 'text/xml' },
  '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>bench</MessageId></PublishResult><ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata></PublishResponse>',
);

/** The process's CPU time so far, user and system, in milliseconds. */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** The bytes in V8's code spaces: compiled and optimised functions. */
const compiledCodeBytes = () =>
  getHeapSpaceStatistics()
    .filter(({ space_name: name }) => name.startsWith('code'))
    .reduce((sum, { space_used_size: used }) => sum + used, 0);

const fullGc = () => {
  if (!globalThis.gc) throw new Error('organization-figures.mjs: run with --expose-gc');
  globalThis.gc();
};

/**
 * @typedef {object} FanOutOptions
 * @property {number} accounts
 * @property {number} buckets Per account.
 * @property {number} keys Per account.
 * @property {number} concurrency Accounts audited at once.
 * @property {number} latencyMs
 * @property {number} aloneRuns One account audited alone this many times before the fan-out and as many after (one more, first, untimed).
 * @property {string} requiredKeyAlias
 */

/**
 * The organization's night in process: listing, fan-out, merge; and one account's audit alone.
 * @param {FanOutOptions} options
 */
const fanOut = async ({ accounts, buckets, keys, concurrency, latencyMs, aloneRuns, requiredKeyAlias }) => {
  const config = organizationConfig(requiredKeyAlias);
  const counter = new CallCounter();
  const centralCounter = new CallCounter();
  const organization = new SimulatedOrganization({ accounts, buckets, keys, region: REGION, latencyMs, requiredKeyAlias, parameterName: config.memberParameterName, counter });
  // The reports bucket and the findings topic, in the caller's account; reports kept as bytes outside the heap.
  const central = new SimulatedAccount({ buckets: 0, keys: 1, region: REGION, account: CALLER, queueArn: `arn:aws:sqs:${REGION}:${CALLER}:unused` });
  /** @param {string} command @param {CommandInput} input */
  const centralRespond = (command, input) => central.respond(command, input);
  const s3 = simulatedClient(S3Client, { region: REGION, latencyMs, respond: centralRespond, counter: centralCounter });
  const kms = simulatedClient(KMSClient, { region: REGION, latencyMs, respond: centralRespond, counter: centralCounter });
  const sns = simulatedClient(SNSClient, { region: REGION, latencyMs, respond: centralRespond, counter: centralCounter });
  const store = new S3ReportStore(s3, config.reportsBucket, CALLER);
  const telemetry = createTelemetry('audit-member-account');
  /** @type {MemberAuditDependencies} */
  const deps = {
    config,
    reportsOwner: { accountId: CALLER, clients: { s3In: () => s3, kmsIn: () => kms } },
    openAccount: organization.openAccountWith({ roleName: config.memberRoleName, sessionName: 's3-encryption-audit' }),
    store,
    recorder: powertoolsAuditRecorder(telemetry.logger, telemetry.metrics),
    // In process, accounts overlap: no spool may remove another's (the CLI's spool, not the function's).
    openSpool: () => new LocalReportSpool(),
  };
  const run = organizationRun(NIGHT);

  let started = performance.now();
  const listing = await listOrganizationAccounts(
    { lister: simulatedLister({ accounts, latencyMs }), resourceControlPolicies: simulatedResourceControlPolicies({ accounts, latencyMs }), partition: 'aws', store, reportsBucket: config.reportsBucket, reportsPrefix: config.audit.reportsPrefix, reportsKmsKeyArn: config.reportsKmsKeyArn, scope: config.scope },
    run,
  );
  // The accounts as the Distributed Map reads them (cli/audit-organization.ts reads them so too).
  const items = [];
  for await (const line of (await store.readLines(listing.accounts.key)) ?? []) items.push(line);
  /** @type {MemberAccount[]} */
  const members = /** @type {unknown[]} */ (JSON.parse(items.join('\n'))).map(parseMemberAccount);
  const listMs = performance.now() - started;

  /** One child of the Map: the account's audit, then its result recorded. @param {MemberAccount} account */
  const auditOne = async (account) => {
    const result = await auditMember(deps, run, account);
    await recordResult(deps, run, result);
    return result;
  };
  const first = /** @type {MemberAccount} */ (members[0]);
  const alone = async () => {
    counter.reset();
    centralCounter.reset();
    const cpuBefore = cpuMs();
    const began = performance.now();
    const result = await auditOne(first);
    const wallMs = performance.now() - began;
    return { wallMs, cpuMs: cpuMs() - cpuBefore, status: result.status, byCommand: { ...counter.snapshot(), ...prefixed(centralCounter.snapshot()) } };
  };
  const cold = await alone();
  const before = [];
  for (let index = 0; index < aloneRuns; index += 1) before.push(await alone());

  counter.reset();
  centralCounter.reset();
  fullGc();
  const eluBefore = performance.eventLoopUtilization();
  const cpuBefore = cpuMs();
  started = performance.now();
  const results = await mapBounded(members, concurrency, auditOne);
  const fanOutMs = performance.now() - started;
  const fanOutCpuMs = cpuMs() - cpuBefore;
  const utilization = performance.eventLoopUtilization(eluBefore).utilization;
  const fanOutCommands = { ...counter.snapshot(), ...prefixed(centralCounter.snapshot()) };

  const after = [];
  for (let index = 0; index < aloneRuns; index += 1) after.push(await alone());

  const mergeTelemetry = createTelemetry('merge-organization-audit');
  started = performance.now();
  const mergeCpuBefore = cpuMs();
  const outcome = await mergeOrganization(
    {
      store,
      reports: { bucket: config.reportsBucket, prefix: config.audit.reportsPrefix, kmsKeyArn: config.reportsKmsKeyArn, consoleHost: consoleHostOf('aws') },
      callerAccountId: CALLER,
      homeRegion: REGION,
      publisher: new SnsNotificationPublisher(sns, /** @type {string} */ (config.findingsTopicArn)),
      measure: snsMessageBytes,
      budgetBytes: SNS_MESSAGE_BUDGET_BYTES,
      recorder: powertoolsMergeRecorder(mergeTelemetry.logger, mergeTelemetry.metrics),
      openSpool: () => new LocalReportSpool(),
      concurrency: config.audit.concurrency,
    },
    run,
  );
  const mergeMs = performance.now() - started;
  const mergeCpuMs = cpuMs() - mergeCpuBefore;

  const statuses = results.reduce((/** @type {Record<string, number>} */ counts, /** @type {AccountResult} */ result) => ({ ...counts, [result.status]: (counts[result.status] ?? 0) + 1 }), {});
  const audited = results.filter((result) => result.status === 'audited');
  const findings = audited.reduce((sum, result) => sum + Object.values(result.findings).reduce((a, b) => a + b, 0), 0);
  return {
    accounts,
    buckets,
    keys,
    concurrency,
    auditConcurrency: config.audit.concurrency,
    latencyMs,
    aloneRuns,
    opened: organization.opened,
    listMs,
    cold,
    alone: [...before, ...after],
    fanOut: { wallMs: fanOutMs, cpuMs: fanOutCpuMs, eventLoopUtilization: utilization, statuses, findings, byCommand: fanOutCommands },
    merge: { wallMs: mergeMs, cpuMs: mergeCpuMs, outcome: mergeSummary(outcome) },
  };
};

/** The reports account's commands, apart from the members'. @param {Record<string, number>} counts */
const prefixed = (counts) => Object.fromEntries(Object.entries(counts).map(([name, count]) => [`reports:${name}`, count]));

/** @param {MergeOutcome} outcome */
const mergeSummary = (outcome) => ({ accounts: outcome.accounts, findings: outcome.findings, failing: outcome.failing, page: outcome.page, notifications: outcome.notifications, reportError: outcome.reportError, statesNotSaved: outcome.statesNotSaved });

/**
 * @typedef {object} MergeOptions
 * @property {number} accounts
 * @property {number} findings Findings in each audited account's report.
 * @property {number} templateBuckets Buckets of the simulated account whose real audit gives the findings.
 * @property {number} keys Its keys.
 * @property {number} latencyMs Every GetObject, PutObject, CopyObject and Publish.
 * @property {string} requiredKeyAlias
 * @property {string} spoolParent Where the merge's spool goes (as /tmp in Lambda).
 * @property {number} memoryMb The function's memory the process is sized for, for the record.
 * @property {number} warmUpAccounts Accounts of the warm-up merge, run before the measured one (not measured).
 */

/**
 * One merge of `accounts` accounts' results, timed, its retained heap read at every listing batch.
 * @param {MergeOptions} options
 */
const merge = async ({ accounts, findings, templateBuckets, keys, latencyMs, requiredKeyAlias, spoolParent, memoryMb, warmUpAccounts }) => {
  const config = organizationConfig(requiredKeyAlias);
  const run = organizationRun(NIGHT);
  const warmUpRun = organizationRun(WARM_UP_NIGHT);
  const layout = organizationRunLayout(config.audit.reportsPrefix, run);
  const warmUpLayout = organizationRunLayout(config.audit.reportsPrefix, warmUpRun);
  const template = await auditedFindings({ config, buckets: templateBuckets, keys, findings, startedAt: NIGHT });
  const night = await organizationNight({ config, run, findings: template.findings, scan: template.scan });
  const warmUpNight = await organizationNight({ config, run: warmUpRun, findings: template.findings, scan: template.scan });

  // Memory, read after a full GC: at every 256th account's result read, every 256th copy, each report written and the summary published.
  let measuring = false;
  const memory = { baseline: 0, retained: 0, baselineCode: 0, retainedCode: 0, probes: 0, peakRss: 0, afterAccounts: NaN, afterAccountsCode: NaN };
  /** Every reading, for their median. @type {number[]} */
  const readings = [];
  /** The readings while the accounts are merged, with how many results had been read. @type {[number, number][]} */
  const byAccount = [];
  const probe = () => {
    fullGc();
    const { heapUsed, rss } = process.memoryUsage();
    const code = compiledCodeBytes();
    memory.retained = Math.max(memory.retained, heapUsed);
    memory.retainedCode = Math.max(memory.retainedCode, code);
    memory.peakRss = Math.max(memory.peakRss, rss);
    memory.probes += 1;
    readings.push(heapUsed);
    return { heapUsed, code };
  };
  const marks = { firstWrite: NaN, published: NaN, firstCopy: NaN };
  let startedAt = 0;
  const seen = { results: 0, copies: 0 };
  /** @type {Set<string>} */
  const kept = new Set([layout.listingKey, layout.accountsKey, warmUpLayout.listingKey, warmUpLayout.accountsKey]);
  const store = new SimulatedReportStore({
    latencyMs: 0,
    synthesize: (key) => night.synthesize(key) ?? warmUpNight.synthesize(key),
    synthesizes: (key) => night.synthesizes(key) || warmUpNight.synthesizes(key),
    // The listings are kept (as bytes, outside the heap); the organization reports and the states only counted.
    keeps: (key) => kept.has(key),
    onCall: (operation, key) => {
      if (!measuring) return;
      if (operation === 'GetObject' && night.isResult(key) && (seen.results += 1) % PROBE_EVERY === 0) byAccount.push([seen.results, probe().heapUsed]);
      if (operation === 'CopyObject') {
        if (Number.isNaN(marks.firstCopy)) marks.firstCopy = performance.now() - startedAt;
        if ((seen.copies += 1) % PROBE_EVERY === 0) probe();
      }
      if (operation === 'PutObject') {
        const { heapUsed, code } = probe();
        // The first report written: every account merged, none in flight; what is held now stays for the rest of the run.
        if (Number.isNaN(marks.firstWrite)) {
          marks.firstWrite = performance.now() - startedAt;
          memory.afterAccounts = heapUsed;
          memory.afterAccountsCode = code;
        }
      }
    },
  });
  const statusOf = (/** @type {number} */ index) => (kindOf(index) === 'skipped' ? 'SUSPENDED' : 'ACTIVE');
  /** @param {typeof run} listed @param {number} count */
  const list = (listed, count) =>
    listOrganizationAccounts(
      { lister: simulatedLister({ accounts: count, latencyMs: 0, statusOf }), resourceControlPolicies: simulatedResourceControlPolicies({ accounts: count, latencyMs: 0 }), partition: 'aws', store, reportsBucket: config.reportsBucket, reportsPrefix: config.audit.reportsPrefix, reportsKmsKeyArn: config.reportsKmsKeyArn, scope: config.scope },
      listed,
    );
  await list(run, accounts);
  await list(warmUpRun, warmUpAccounts);
  const listingBytes = store.objects.get(layout.listingKey)?.length ?? 0;

  const published = { messages: 0, bytes: 0 };
  let snsLatencyMs = 0;
  const sns = simulatedClient(SNSClient, {
    region: REGION,
    latencyMs: () => snsLatencyMs,
    respond: (_command, input) => {
      published.messages += 1;
      published.bytes += Buffer.byteLength(String(input.Message ?? ''), 'utf8');
      if (measuring) {
        marks.published = performance.now() - startedAt;
        probe();
      }
      return PUBLISHED;
    },
  });
  const { logger, metrics } = createTelemetry('merge-organization-audit');
  const spool = { bytes: 0, files: /** @type {Record<string, number>} */ ({}) };
  /** The function's spool (in /tmp there), its files' sizes read when it is discarded. @returns {ReportSpool} */
  const openSpool = () => {
    const local = new LocalReportSpool({ parent: spoolParent, removeLeftovers: true });
    /** @type {Map<string, SpoolFile>} */
    const files = new Map();
    return {
      file: (name) => {
        const file = local.file(name);
        files.set(name, file);
        return file;
      },
      discard: async () => {
        for (const [name, file] of files) spool.files[name] = file.bytes;
        spool.bytes = Object.values(spool.files).reduce((sum, bytes) => sum + bytes, 0);
        await local.discard();
      },
    };
  };
  /** @type {MergeDependencies} */
  const deps = {
    store,
    reports: { bucket: config.reportsBucket, prefix: config.audit.reportsPrefix, kmsKeyArn: config.reportsKmsKeyArn, consoleHost: consoleHostOf('aws') },
    callerAccountId: CALLER,
    homeRegion: REGION,
    publisher: new SnsNotificationPublisher(sns, /** @type {string} */ (config.findingsTopicArn)),
    measure: snsMessageBytes,
    budgetBytes: SNS_MESSAGE_BUDGET_BYTES,
    recorder: powertoolsMergeRecorder(logger, metrics),
    openSpool,
    concurrency: config.audit.concurrency,
  };

  // The warm-up: another night's merge of `warmUpAccounts` accounts, without latency and not measured, so V8 has compiled
  // the merge's code before the baseline at every size; what it compiles grows with how long the process has run, not
  // with what the merge holds.
  const warmUp = await mergeOrganization(deps, warmUpRun);
  if (warmUp.accounts.listed !== warmUpAccounts) throw new Error(`organization-figures.mjs: the warm-up merged ${warmUp.accounts.listed} accounts, not ${warmUpAccounts}`);
  published.messages = 0;
  published.bytes = 0;
  store.latencyMs = latencyMs;
  snsLatencyMs = latencyMs;
  store.calls = { GetObject: 0, PutObject: 0, CopyObject: 0 };
  store.bytes = { read: 0, written: 0, largestWrite: 0 };
  fullGc();
  fullGc();
  memory.baseline = process.memoryUsage().heapUsed;
  memory.baselineCode = compiledCodeBytes();
  memory.retained = memory.baseline;
  memory.retainedCode = memory.baselineCode;
  const cpuBefore = cpuMs();
  measuring = true;
  startedAt = performance.now();
  const outcome = await mergeOrganization(deps, run);
  const wallMs = performance.now() - startedAt;
  measuring = false;
  const mergeCpuMs = cpuMs() - cpuBefore;

  // The least time the calls allow at this concurrency with no CPU at all: the listing; then per listing batch
  // of 256, its reads shared by `concurrency` workers (a result, then the report of an audited account);
  // the two reports together; the summary; the copies shared by the workers.
  const kinds = Array.from({ length: accounts }, (_, index) => kindOf(index));
  let rounds = 1;
  for (let first = 0; first < accounts; first += LISTING_BATCH) {
    const reads = kinds.slice(first, first + LISTING_BATCH).reduce((sum, kind) => sum + (kind === 'skipped' ? 0 : kind === 'not-audited' || kind === 'no-result' ? 1 : 2), 0);
    rounds += Math.ceil(reads / deps.concurrency);
  }
  const reported = kinds.filter((kind) => kind === 'steady' || kind === 'changed' || kind === 'first').length;
  rounds += 1 + published.messages + Math.ceil(reported / deps.concurrency);

  const expectedFindings = reported * findings + kinds.filter((kind) => kind !== 'skipped').length;
  return {
    accounts,
    warmUpAccounts,
    memoryMb,
    heapLimitBytes: getHeapStatistics().heap_size_limit,
    concurrency: deps.concurrency,
    latencyMs,
    template: {
      buckets: template.buckets,
      recorded: template.recorded,
      findings: template.findings.length,
      failing: template.findings.filter((finding) => finding.status === 'failed' || finding.status === 'error').length,
      reportBytes: Object.fromEntries([...night.templates].map(([kind, texts]) => [kind, texts.reportBytes])),
      checked: night.checked,
    },
    kinds: kinds.reduce((/** @type {Record<string, number>} */ counts, kind) => ({ ...counts, [kind]: (counts[kind] ?? 0) + 1 }), {}),
    listingBytes,
    wallMs,
    cpuMs: mergeCpuMs,
    phasesMs: { accounts: marks.firstWrite, reportsAndSummary: marks.firstCopy - marks.firstWrite, states: wallMs - marks.firstCopy },
    bound: { rounds, ms: rounds * latencyMs },
    calls: { ...store.calls, Publish: published.messages },
    bytes: { ...store.bytes, organizationReport: store.bytes.largestWrite, summary: published.bytes },
    spool,
    memory: {
      ...memory,
      retainedHeap: memory.retained - memory.baseline,
      medianReading: median(readings) - memory.baseline,
      // The highest reading in each tenth of the accounts merged: whether what is held grows as the accounts go by.
      byTenth: Array.from({ length: 10 }, (_, tenth) =>
        Math.max(...byAccount.filter(([read]) => Math.min(9, Math.floor((10 * (read - 1)) / Math.max(1, seen.results))) === tenth).map(([, heapUsed]) => heapUsed - memory.baseline)),
      ),
      heldAfterAccounts: memory.afterAccounts - memory.baseline,
      heldCodeAfterAccounts: memory.afterAccountsCode - memory.baselineCode,
      retainedCodeBytes: memory.retainedCode - memory.baselineCode,
      maxRss: process.resourceUsage().maxRSS * 1024,
    },
    expectedFindings,
    outcome: mergeSummary(outcome),
  };
};

const tasks = { 'fan-out': fanOut, merge };

/**
 * What each task writes: bench/sections/organization.mjs reads it back with these types.
 * @typedef {typeof tasks} OrganizationTasks
 * @typedef {Awaited<ReturnType<typeof fanOut>>} FanOutFigures
 * @typedef {Awaited<ReturnType<typeof merge>>} MergeFigures
 */

const [resultFile, task = '', options = '{}'] = process.argv.slice(2);
if (!resultFile || !(task in tasks)) throw new Error(`usage: organization-figures.mjs <result.json> ${Object.keys(tasks).join('|')} [options as JSON]`);
writeFileSync(resultFile, JSON.stringify(await tasks[/** @type {keyof OrganizationTasks} */ (task)](JSON.parse(options))));
