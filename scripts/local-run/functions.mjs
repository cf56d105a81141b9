// The functions, imported from their built bundles into this process and invoked as Lambda invokes
// them (tooling/lambda-environment.mjs), with their log lines captured (CloudWatch's part). One warm
// execution environment per function for the whole run, as Lambda keeps one between batches.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isObjectLine } from '../../tooling/enforce-log.mjs';
import { captureOutput, importHandler, lambdaContext, parseLogLine } from '../../tooling/lambda-environment.mjs';
import { CREDENTIALS, REGION } from './local-aws.mjs';
import { say } from './report.mjs';
import { KEYS, MIB, POLICY, REPORTS_BUCKET } from './sample-estate.mjs';

/** @import { SQSEvent } from 'aws-lambda' */
/** @import { AuditOutcome } from '../../functions/audit-encryption/audit-run.js' */
/** @import { Invocation } from '../../tooling/sqs-event-source.mjs' */

/** A parsed log line; a line that is not JSON is kept as `{ level: 'TEXT', message }`. @typedef {Record<string, unknown>} LogLine */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENFORCE_BUNDLE = join(ROOT, 'dist', 'enforce-object-encryption', 'index.mjs');
const AUDIT_BUNDLE = join(ROOT, 'dist', 'audit-encryption', 'index.mjs');
export const ENFORCE_BUNDLE_NAME = relative(ROOT, ENFORCE_BUNDLE);
/** This run's stand-in for the function timeout. */
const FUNCTION_TIMEOUT_MS = 60_000;
const VERBOSE = process.argv.includes('--verbose');

// ---------------------------------------------------------------------------------------------
// The bundles: built when missing or older than any source.

/** The newest modification time of anything the bundles are built from. */
export const newestSource = () => {
  let newest = 0;
  /** @param {string} path */
  const walk = (path) => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const path of ['functions', 'shared', 'cli', join('infra', 'build.mjs'), 'package-lock.json']) walk(join(ROOT, path));
  return newest;
};

export const ensureBundles = () => {
  const built = [ENFORCE_BUNDLE, AUDIT_BUNDLE].map((path) => statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0);
  if (Math.min(...built) > newestSource()) return;
  say('Building the bundles (npm run build)…');
  const build = spawnSync(process.execPath, [join(ROOT, 'infra', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) {
    process.stderr.write('npm start: the build failed; fix it and run npm start again.\n');
    process.exit(2);
  }
};

// ---------------------------------------------------------------------------------------------
// Lambda's part: configuration, captured output.

/**
 * The functions read their configuration once, when their bundle is imported: set it before.
 * @param {{ endpoint: string, topicArn: string, enforcerQueueArn: string }} settings
 */
export const configureFunctions = ({ endpoint, topicArn, enforcerQueueArn }) => {
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL: endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    REQUIRED_KMS_KEY: KEYS.required.alias,
    FINDINGS_TOPIC_ARN: topicArn,
    POLICY: JSON.stringify(POLICY),
    COPY_LIMIT_BYTES: String(5 * MIB),
    MULTIPART_PART_BYTES: String(5 * MIB),
    REPORTS_BUCKET,
    ENFORCER_QUEUE_ARN: enforcerQueueArn,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_LAMBDA_FUNCTION_NAME: 'enforce-object-encryption',
  });
};

/**
 * @param {string[]} lines
 * @returns {LogLine[]}
 */
const parseLogs = (lines) => lines.map((line) => parseLogLine(line) ?? { level: 'TEXT', message: line });

/** The enforce function's line for an object that ended in the table's column, not its missing-object warning. @param {LogLine} log */
const inObjectTable = (log) => isObjectLine(log) && !(log.outcome === 'skipped' && log.reason === 'gone');

/**
 * Warnings, errors and plain text always; per-object lines only with --verbose (the tables show them).
 * @param {string} name
 * @param {LogLine[]} logs
 */
const echoLogs = (name, logs) => {
  for (const log of logs) {
    const interesting = VERBOSE || log['level'] === 'WARN' || log['level'] === 'ERROR' || log['level'] === 'TEXT';
    if (interesting && (VERBOSE || !inObjectTable(log))) say(`  [${name}] ${JSON.stringify(log)}`);
  }
};

// ---------------------------------------------------------------------------------------------
// The two functions.

/**
 * The enforce function, configured from process.env as it is now, as the event source mapping
 * invokes it; every log line it writes is kept in `logs`.
 * @returns {Promise<{ invoke: (event: SQSEvent) => Promise<Invocation>, logs: LogLine[] }>}
 */
export const loadEnforce = async () => {
  const handler = await importHandler(ENFORCE_BUNDLE);
  /** @type {LogLine[]} */
  const logs = [];
  /** @param {SQSEvent} event */
  const invoke = async (event) => {
    const { result, error, lines } = await captureOutput(() => handler(event, lambdaContext('enforce-object-encryption', { timeoutMs: FUNCTION_TIMEOUT_MS })));
    const parsed = parseLogs(lines);
    logs.push(...parsed);
    echoLogs('enforce', parsed);
    if (error !== undefined) say(`  [enforce] invocation failed: ${error instanceof Error ? error.message : String(error)}; the whole batch is retried`);
    return { result, error };
  };
  return { invoke, logs };
};

/**
 * One invocation of the audit, with the event its schedule sends; answers its outcome.
 * @returns {Promise<AuditOutcome>}
 */
export const runAudit = async () => {
  process.env['AWS_LAMBDA_FUNCTION_NAME'] = 'audit-encryption';
  const handler = await importHandler(AUDIT_BUNDLE);
  const audited = await captureOutput(() =>
    handler({ 'detail-type': 'Scheduled Event', source: 'aws.events', time: new Date().toISOString() }, lambdaContext('audit-encryption', { timeoutMs: FUNCTION_TIMEOUT_MS })),
  );
  echoLogs('audit', parseLogs(audited.lines));
  if (audited.error !== undefined) throw new Error(`the audit failed: ${audited.error instanceof Error ? audited.error.message : String(audited.error)}`);
  return /** @type {AuditOutcome} */ (audited.result);
};
