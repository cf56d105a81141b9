// Bundled by bench/run.mjs with the functions' esbuild options and run in its own process
// (with --expose-gc), one audit size per process so memory figures do not mix:
//   node --expose-gc audit-figures.mjs <result.json> '{"buckets":1000,"keys":100,"latencyMs":20,"seedFile":"…","retainedProbeMs":100}'
//   node --expose-gc audit-figures.mjs <result.json> '{"buckets":1000,"keys":100,"latencyMs":20,"seedFile":"…","runCallsFile":"…","sdkCeiling":true}'
// The audit use case (auditAccount) runs with the real adapters over real SDK clients whose HTTP
// handler is the simulated account of bench/lib, composed by auditServices as the function and the
// CLI compose it, with configuration from the real loader. Each measured run is a cold process, as a
// nightly invocation is; it reads the previous night's report, left by a seeding run (given a
// `seedFile` that does not exist yet, the process runs the first night without latency and saves
// its reports there). With `sdkCeiling`, the process makes no audit at all: it makes the same night's
// calls with the bare SDK clients (bench/lib/audit-sdk-ceiling.mjs), equally cold, for the audit's
// verdict; `runCallsFile` carries the calls of the run itself from a measured night to it.
import { Buffer } from 'node:buffer';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { auditAccount } from '../../functions/audit-encryption/audit-account.ts';
import { announceOnSns, auditServices } from '../../functions/audit-encryption/audit-services.ts';
import { powertoolsAuditRecorder } from '../../functions/audit-encryption/powertools-audit-recorder.ts';
import { LocalReportSpool } from '../../shared/adapters/local-report-spool.ts';
import { SnsNotificationPublisher } from '../../shared/adapters/sns-notification-publisher.ts';
import { loadAuditConfig } from '../../shared/config/audit-config.ts';
import { createTelemetry } from '../../shared/observability/powertools.ts';
import { auditCallsWithTheSdk, recordRunCalls } from '../lib/audit-sdk-ceiling.mjs';
import { CallCounter, simulatedClient } from '../lib/simulated-aws.mjs';
import { SimulatedAccount } from '../lib/simulated-account.mjs';

/** @import { AuditRecorder } from '../../functions/audit-encryption/audit-recorder.ts' */
/** @import { AccountClients } from '../../functions/audit-encryption/audit-services.ts' */
/** @import { RunCall } from '../lib/audit-sdk-ceiling.mjs' */
/** @import { CommandInput } from '../lib/simulated-aws.mjs' */

/**
 * The options bench/sections/audit.mjs passes, as JSON.
 * @typedef {object} AuditFiguresOptions
 * @property {number} buckets
 * @property {number} keys
 * @property {number} latencyMs Every call's latency on the measured night.
 * @property {string} [seedFile] The previous night's reports: written by the seeding run when absent, read by a measured one.
 * @property {number} [retainedProbeMs] A probe run: a full GC at this interval, to read the heap the audit retains.
 * @property {string} [runCallsFile] A measured night writes the calls of the run itself here (not the reads per bucket and key); the SDK's ceiling reads them.
 * @property {boolean} [sdkCeiling] Measure the SDK's ceiling for the same night's calls instead of an audit.
 */

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:object-created`;

const [resultFile, options = '{}'] = process.argv.slice(2);
if (!resultFile) throw new Error('usage: audit-figures.mjs <result.json> [options]');
const { buckets, keys, latencyMs, seedFile, retainedProbeMs, runCallsFile, sdkCeiling } = /** @type {AuditFiguresOptions} */ (JSON.parse(options));
const seeding = seedFile !== undefined && !existsSync(seedFile);

const account = new SimulatedAccount({ buckets, keys, region: REGION, account: ACCOUNT, queueArn: QUEUE_ARN });
const config = loadAuditConfig({
  REQUIRED_KMS_KEY: account.requiredKeyArn,
  FINDINGS_TOPIC_ARN: `arn:aws:sns:${REGION}:${ACCOUNT}:encryption-findings`,
  AWS_REGION: REGION,
  REPORTS_BUCKET: 'bench-audit-reports',
  ENFORCER_QUEUE_ARN: QUEUE_ARN,
});
// Without a reports bucket the audit would run without reports, and a measured night would have no previous report to read.
if (config.reportsBucket === undefined) throw new Error('audit-figures.mjs: the bench configuration has no reports bucket (REPORTS_BUCKET); the audit figures need one');

// Memory is sampled on a timer (every 20 ms) and at every 16th request, so the busy stretches between requests are
// seen too, without the sampling itself becoming a noticeable share of the audit's CPU.
const peak = { heapUsed: 0, rss: 0 };
const sample = () => {
  peak.heapUsed = Math.max(peak.heapUsed, getHeapStatistics().used_heap_size);
  peak.rss = Math.max(peak.rss, process.memoryUsage.rss());
};

let latency = 0;
const counter = new CallCounter();
// A measured night records the calls of the run itself, for the SDK's ceiling to make again.
const runCalls = !sdkCeiling && !seeding && runCallsFile ? recordRunCalls() : undefined;
const onCommand = runCalls ? { onCommand: runCalls.onCommand } : {};
let requests = 0;
/**
 * @param {string} command
 * @param {CommandInput} input
 */
const respond = (command, input) => {
  if ((requests += 1) % 16 === 0) sample();
  return account.respond(command, input);
};
/**
 * One client per region, made on first use, as shared/aws/aws-clients.ts makes them.
 * @template {S3Client | KMSClient} C
 * @param {new (config: any) => C} ClientClass
 * @returns {(region: string) => C}
 */
const regional = (ClientClass) => {
  /** @type {Map<string, C>} */
  const clients = new Map();
  return (region) => {
    let client = clients.get(region);
    if (!client) {
      client = simulatedClient(ClientClass, { region, latencyMs: () => latency, respond, counter, ...onCommand });
      clients.set(region, client);
    }
    return client;
  };
};
const s3In = regional(S3Client);
const kmsIn = regional(KMSClient);
const sns = simulatedClient(SNSClient, { region: REGION, latencyMs: () => latency, respond, counter, ...onCommand });
const { logger, metrics } = createTelemetry('audit-encryption');

// Phase boundaries, read from the recorder the use case reports to. NaN until reached: a phase whose
// boundary never came is null in the result.
const marks = { started: NaN, factsGathered: NaN, runCompleted: NaN, returned: NaN };
/** @param {keyof typeof marks} name */
const mark = (name) => (marks[name] = performance.now());
/**
 * @param {AuditRecorder} recorder
 * @returns {AuditRecorder}
 */
const marking = (recorder) => ({
  ...recorder,
  // Called once the last bucket and key are checked: the streaming part of the run ends there.
  factsGathered(counts) {
    mark('factsGathered');
    recorder.factsGathered(counts);
  },
  runCompleted(outcome) {
    mark('runCompleted');
    recorder.runCompleted(outcome);
  },
});

/** @type {AccountClients} */
const clients = { s3In, kmsIn };
// The account audits itself and keeps its reports, as the function does.
const dependencies = auditServices({
  settings: config,
  audited: { accountId: ACCOUNT, clients },
  reportsOwner: { accountId: ACCOUNT, clients },
  ending: announceOnSns(new SnsNotificationPublisher(sns, config.findingsTopicArn)),
  recorder: marking(powertoolsAuditRecorder(logger, metrics)),
  openSpool: () => new LocalReportSpool(),
});

/** @param {number} day */
const night = (day) => new Date(Date.UTC(2025, 0, day, 3, 0, 0));

/**
 * The first night, without latency: its reports are what the measured night reads.
 * @param {string} file Where they are saved: the seed file.
 */
const seed = async (file) => {
  const started = performance.now();
  await auditAccount(dependencies, night(1));
  const wallMs = performance.now() - started;
  writeFileSync(file, JSON.stringify([...account.reports].map(([key, body]) => [key, body.toString('utf8')])));
  return { seeded: account.reports.size, wallMs, calls: counter.total };
};

/** The bytes in V8's code spaces: compiled and optimised functions. */
const compiledCodeBytes = () =>
  getHeapSpaceStatistics()
    .filter(({ space_name: name }) => name.startsWith('code'))
    .reduce((sum, { space_used_size: used }) => sum + used, 0);

/** A later night's account: the previous night's reports in place, and none of this night's kept. */
const previousNight = () => {
  if (seedFile) for (const [key, body] of JSON.parse(readFileSync(seedFile, 'utf8'))) account.reports.set(key, Buffer.from(body, 'utf8'));
  account.keepReports = false;
};

/** A later night, measured: wall time, phases, memory above the baseline, commands sent. */
const measure = async () => {
  previousNight();
  globalThis.gc?.();
  const baseline = { heapUsed: getHeapStatistics().used_heap_size, rss: process.memoryUsage.rss() };
  peak.heapUsed = baseline.heapUsed;
  peak.rss = baseline.rss;
  counter.reset();
  latency = latencyMs;
  const timer = setInterval(sample, 20);
  // A probe run (never a timed one): a full GC every retainedProbeMs, then the heap still in use, i.e.
  // what the audit holds rather than garbage not yet collected.
  // Compiled code is counted apart: V8 keeps compiling and optimising the hot functions for as long as
  // a run lasts, so it grows with the run's length, not with what the audit holds.
  const baselineCode = compiledCodeBytes();
  let retained = baseline.heapUsed;
  let retainedCode = baselineCode;
  const probe = retainedProbeMs
    ? setInterval(() => {
        globalThis.gc?.();
        retained = Math.max(retained, getHeapStatistics().used_heap_size);
        retainedCode = Math.max(retainedCode, compiledCodeBytes());
      }, retainedProbeMs)
    : undefined;
  const started = mark('started');
  const outcome = await auditAccount(dependencies, night(2));
  mark('returned');
  metrics.publishStoredMetrics();
  const wallMs = performance.now() - started;
  clearInterval(timer);
  if (probe) clearInterval(probe);
  sample();
  if (runCalls && runCallsFile) writeFileSync(runCallsFile, JSON.stringify(runCalls.calls));
  return {
    buckets,
    keys,
    latencyMs,
    concurrency: config.concurrency,
    objectSampleSize: config.audit.objectSampleSize,
    wallMs,
    phasesMs: { gatherFacts: marks.factsGathered - marks.started, checksAndReport: marks.runCompleted - marks.factsGathered, afterRun: marks.returned - marks.runCompleted },
    baseline,
    peak,
    ...(probe ? { retainedHeapUsed: retained, baselineCode, retainedCode } : {}),
    byCommand: counter.snapshot(),
    outcome: { buckets: outcome.buckets, keys: outcome.keys, findings: outcome.findings, changes: outcome.changes, notifications: outcome.notifications, report: outcome.report, reportError: outcome.reportError },
  };
};

/**
 * The SDK's own ceiling for the same night: no audit at all, only the same clients (same settings
 * and tuning, same simulated account and latency) making the calls the audit makes, in its order and
 * at its concurrency (bench/lib/audit-sdk-ceiling.mjs), in a process as cold as a measured night's,
 * from the same previous night. Timed as a measured night is; the commands sent are counted for the
 * section to compare with the audit's.
 */
const ceiling = async () => {
  if (!runCallsFile) throw new Error('audit-figures.mjs: the SDK ceiling needs the calls of a measured night (runCallsFile)');
  /** @type {RunCall[]} */
  const recorded = JSON.parse(readFileSync(runCallsFile, 'utf8'));
  previousNight();
  globalThis.gc?.();
  counter.reset();
  latency = latencyMs;
  const started = performance.now();
  // The clients as the audit has them: S3's made with the composition, KMS's on first use.
  await auditCallsWithTheSdk({ s3: s3In(REGION), kms: kmsIn(REGION), sns, requiredKey: config.policy.requiredKey, concurrency: config.concurrency, runCalls: recorded });
  const wallMs = performance.now() - started;
  return { buckets, latencyMs, concurrency: config.concurrency, wallMs, byCommand: counter.snapshot() };
};

writeFileSync(resultFile, JSON.stringify(await (sdkCeiling ? ceiling() : seeding && seedFile ? seed(seedFile) : measure())));
