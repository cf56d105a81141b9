// The functions, imported from their built bundles and invoked as Lambda invokes them, with their
// log lines captured (CloudWatch's part).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ACCOUNT, CREDENTIALS, REGION } from './local-aws.mjs';
import { say } from './report.mjs';
import { KEYS, MIB, POLICY, REPORTS_BUCKET } from './sample-estate.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENFORCE_BUNDLE = join(ROOT, 'dist', 'enforce-object-encryption', 'index.mjs');
const AUDIT_BUNDLE = join(ROOT, 'dist', 'audit-encryption', 'index.mjs');
export const ENFORCE_BUNDLE_NAME = relative(ROOT, ENFORCE_BUNDLE);
/** This run's stand-in for the function timeout. */
const FUNCTION_TIMEOUT_MS = 60_000;
const VERBOSE = process.argv.includes('--verbose');

// ---------------------------------------------------------------------------------------------
// The bundles: built when missing or older than any source.

const newestSource = () => {
  let newest = 0;
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
// Lambda's part: configuration, context, captured output.

/** The functions read their configuration once, when their bundle is imported: set it before. */
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

/** The result or error of `run`, and every line it wrote to stdout or stderr meanwhile. One at a time: it swaps the process's streams. */
export const captureOutput = async (run) => {
  const lines = [];
  const original = { out: process.stdout.write, err: process.stderr.write };
  const tap = (chunk, encoding, callback) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    if (typeof encoding === 'function') encoding();
    else if (typeof callback === 'function') callback();
    return true;
  };
  process.stdout.write = tap;
  process.stderr.write = tap;
  try {
    return { result: await run(), lines };
  } catch (error) {
    return { error, lines };
  } finally {
    process.stdout.write = original.out;
    process.stderr.write = original.err;
  }
};

export const parseLogs = (lines) =>
  lines.map((line) => {
    try {
      return JSON.parse(line);
    } catch {
      return { level: 'TEXT', message: line };
    }
  });

export const lambdaContext = (functionName) => {
  const deadline = Date.now() + FUNCTION_TIMEOUT_MS;
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: `local-${Date.now()}-${Math.random().toString(16).slice(2)}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local-run',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
};

/** Warnings, errors and plain text always; per-object lines only with --verbose (the tables show them). */
export const echoLogs = (name, logs) => {
  for (const log of logs) {
    const interesting = VERBOSE || log.level === 'WARN' || log.level === 'ERROR' || log.level === 'TEXT';
    const perObject = ['object enforced', 'object not remediable', 'object not enforced'].includes(log.message);
    if (interesting && (VERBOSE || !perObject)) say(`  [${name}] ${JSON.stringify(log)}`);
  }
};

// ---------------------------------------------------------------------------------------------
// The two functions.

/** The enforce function's handler, configured from process.env as it is at import. */
export const loadEnforce = async () => (await import(pathToFileURL(ENFORCE_BUNDLE).href)).handler;

/** One invocation of the audit, with the event its schedule sends; answers its outcome. */
export const runAudit = async () => {
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'audit-encryption';
  const audit = await import(pathToFileURL(AUDIT_BUNDLE).href);
  const audited = await captureOutput(() =>
    audit.handler({ 'detail-type': 'Scheduled Event', source: 'aws.events', time: new Date().toISOString() }, lambdaContext('audit-encryption')),
  );
  echoLogs('audit', parseLogs(audited.lines));
  if (audited.error) throw new Error(`the audit failed: ${audited.error.message}`);
  return audited.result;
};
