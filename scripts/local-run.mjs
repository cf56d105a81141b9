// npm start: the main job on this machine, nothing deployed.
//
// moto's server stands in for S3, KMS, SNS and SQS. A sample estate is provisioned (buckets with
// different default encryption and policies, keys with and without rotation, objects of every
// encryption class moto can hold, with metadata, tags and awkward keys); every bucket's
// object-created notifications go to an SQS queue; the REAL built enforce bundle consumes that queue
// the way Lambda's event source mapping does; then the REAL built audit bundle runs and its on-call
// summary is read back from a queue subscribed to the findings topic. Prints every object before
// and after, and the summary; exits 1 if an object that should be under the required key is not
// (or lost a byte, a header or a tag), 2 if it cannot run here, 130 on Ctrl-C. Stops everything it
// started, also on Ctrl-C.
//
//   npm start                      (node scripts/local-run.mjs; builds the bundles first when stale)
//   npm start -- --verbose         also prints every log line of the two functions
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { Buffer } from 'node:buffer';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CreateAliasCommand, CreateKeyCommand, EnableKeyRotationCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REGION = 'us-east-1';
/** moto's account. */
const ACCOUNT = '123456789012';
const VERBOSE = process.argv.includes('--verbose');
const INSTALL_HINT = 'pip install "moto[server]"';
const ENFORCE_BUNDLE = join(ROOT, 'dist', 'enforce-object-encryption', 'index.mjs');
const AUDIT_BUNDLE = join(ROOT, 'dist', 'audit-encryption', 'index.mjs');
/** moto 5.2.1 answers as S3 does where it otherwise would not (DSSE-KMS key ids, multipart headers). */
const MOTO_FIDELITY = join(ROOT, 'scripts', 'moto-fidelity');
/** Lambda's SQS default batch size, and this run's stand-in for the function timeout. */
const BATCH_SIZE = 10;
const FUNCTION_TIMEOUT_MS = 60_000;
/** Short, so a failed message is retried within the run; after 3 receives it is dead-lettered. */
const VISIBILITY_TIMEOUT_S = 3;
const MAX_RECEIVE_COUNT = 3;
const RUN_LIMIT_MS = 180_000;
const MIB = 1024 ** 2;

const say = (line = '') => process.stdout.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------
// Everything started is stopped: on the way out, on an error, and on Ctrl-C / SIGTERM.

const cleanups = [];
let stopping = false;
/** Set by Ctrl-C / SIGTERM: whatever fails after it is the shutdown, not a finding. */
let interruptedWith;
const stopEverything = async () => {
  if (stopping) return;
  stopping = true;
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
};
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.once(signal, () => {
    interruptedWith = code;
    process.stderr.write(`\n${signal}: stopping moto and exiting.\n`);
    stopEverything().finally(() => process.exit(code));
  });
}

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

const ensureBundles = () => {
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
// moto's server on a free loopback port.

const motoMissing = () => {
  const probe = spawnSync('python3', ['-c', 'import moto.server, flask'], { encoding: 'utf8' });
  if (probe.error) return `python3 was not found. Install Python 3, then: ${INSTALL_HINT}`;
  if (probe.status !== 0) return `moto's server is not installed for python3. Install it with: ${INSTALL_HINT}`;
  return undefined;
};

const startMoto = () =>
  new Promise((resolve, reject) => {
    const pythonPath = [existsSync(MOTO_FIDELITY) ? MOTO_FIDELITY : undefined, process.env.PYTHONPATH].filter(Boolean).join(delimiter);
    const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONPATH: pythonPath },
    });
    const stop = () =>
      new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
      });
    cleanups.push(stop);
    process.once('exit', () => child.kill('SIGKILL'));
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`moto did not report its port within 30 s:\n${seen}`)), 30_000);
    const onData = (chunk) => {
      seen += chunk;
      const match = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(seen);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.removeListener('data', onData);
      child.stderr.removeListener('data', onData);
      child.stdout.resume();
      child.stderr.resume();
      resolve(`http://127.0.0.1:${match[1]}`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`moto could not be started (${error.message}). ${INSTALL_HINT}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`moto exited with code ${code} before it was ready:\n${seen}`));
    });
  });

// ---------------------------------------------------------------------------------------------
// The sample estate.

const KEYS = {
  required: { alias: 'alias/enforcer-required', rotation: true, description: 'the key every object must be under' },
  partner: { alias: 'alias/partner-data', rotation: false, description: "a partner team's key" },
};

const REPORTS_BUCKET = 'acme-enforcer-reports';
const POLICY = { exemptions: [{ bucket: 'acme-media', prefix: 'tmp/' }] };

/** `policyAfterRun`: moto evaluates a Deny without its condition, so a TLS-only policy would refuse every request. */
const BUCKETS = [
  { name: 'acme-media', what: 'default SSE-S3; tmp/ exempt by POLICY', defaultEncryption: { SSEAlgorithm: 'AES256' } },
  { name: 'acme-finance', what: 'default SSE-KMS under the required key, bucket key on; TLS-only bucket policy', defaultEncryption: { SSEAlgorithm: 'aws:kms', key: 'required' }, bucketKey: true, tlsOnly: true },
  { name: 'acme-partner-exchange', what: 'default SSE-KMS under another key (alias/partner-data)', defaultEncryption: { SSEAlgorithm: 'aws:kms', key: 'partner' } },
  { name: 'acme-archive', what: 'versioned; no default encryption', versioned: true },
  { name: REPORTS_BUCKET, what: "the audit's reports; default SSE-KMS under the required key", defaultEncryption: { SSEAlgorithm: 'aws:kms', key: 'required' }, bucketKey: true },
];

/** How each object is uploaded: `default` sends no encryption header and gets the bucket's default. */
const OBJECTS = [
  { bucket: 'acme-media', key: 'uploads/cat photo.jpg', upload: 'default', contentType: 'image/jpeg', team: 'marketing' },
  { bucket: 'acme-media', key: 'uploads/Q1 2026+draft/Résumé 日本.txt', upload: 'sse-s3', contentType: 'text/plain; charset=utf-8', team: 'hr' },
  { bucket: 'acme-media', key: 'videos/launch film.mp4', upload: 'default', contentType: 'video/mp4', team: 'marketing', sizeBytes: 6 * MIB },
  { bucket: 'acme-media', key: 'tmp/scratch upload.bin', upload: 'default', contentType: 'application/octet-stream', team: 'marketing' },
  { bucket: 'acme-finance', key: 'ledger/2026/März+Q1.csv', upload: 'default', contentType: 'text/csv', team: 'finance' },
  { bucket: 'acme-finance', key: 'ledger/partner feed.json', upload: 'kms-partner', contentType: 'application/json', team: 'finance' },
  { bucket: 'acme-partner-exchange', key: 'inbound/order 1001.json', upload: 'default', contentType: 'application/json', team: 'partners' },
  { bucket: 'acme-partner-exchange', key: 'inbound/contrat signé+annexe.pdf', upload: 'dsse-partner', contentType: 'application/pdf', team: 'legal' },
  { bucket: 'acme-partner-exchange', key: 'outbound/price list.csv', upload: 'kms-required', contentType: 'text/csv', team: 'partners' },
  { bucket: 'acme-archive', key: '2019/backup 01.tar', upload: 'none', contentType: 'application/x-tar', team: 'platform' },
  { bucket: 'acme-archive', key: '2019/Ünïcödé + spaces.log', upload: 'dsse-required', contentType: 'text/plain', team: 'platform' },
  { bucket: 'acme-archive', key: '2020/legacy+export.dat', upload: 'sse-s3', contentType: 'application/octet-stream', team: 'platform' },
];

const uploadEncryption = (upload, keys) => {
  switch (upload) {
    case 'default':
    case 'none':
      return {};
    case 'sse-s3':
      return { ServerSideEncryption: 'AES256' };
    // S3 answers with the key ARN whatever the upload named; moto repeats what it was sent: send ARNs.
    case 'kms-partner':
      return { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keys.partner };
    case 'kms-required':
      return { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keys.required, BucketKeyEnabled: true };
    case 'dsse-partner':
      return { ServerSideEncryption: 'aws:kms:dsse', SSEKMSKeyId: keys.partner };
    case 'dsse-required':
      return { ServerSideEncryption: 'aws:kms:dsse', SSEKMSKeyId: keys.required };
    default:
      throw new Error(`unknown upload ${upload}`);
  }
};

const tlsOnlyPolicy = (bucket) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  });

const provision = async ({ s3, kms, sns, sqs }) => {
  const keys = {};
  for (const [name, spec] of Object.entries(KEYS)) {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: spec.description }));
    await kms.send(new CreateAliasCommand({ AliasName: spec.alias, TargetKeyId: KeyMetadata.KeyId }));
    if (spec.rotation) await kms.send(new EnableKeyRotationCommand({ KeyId: KeyMetadata.KeyId, RotationPeriodInDays: 365 }));
    keys[name] = KeyMetadata.Arn;
  }

  const queue = async (name, attributes = {}) => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    return { url: QueueUrl, arn: Attributes.QueueArn };
  };
  const deadLetters = await queue('enforcer-object-created-dlq');
  const objectCreated = await queue('enforcer-object-created', {
    VisibilityTimeout: String(VISIBILITY_TIMEOUT_S),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetters.arn, maxReceiveCount: MAX_RECEIVE_COUNT }),
  });
  const { TopicArn: topicArn } = await sns.send(new CreateTopicCommand({ Name: 'encryption-findings' }));
  const onCall = await queue('on-call-inbox');
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: onCall.arn }));

  for (const bucket of BUCKETS) {
    await s3.send(new CreateBucketCommand({ Bucket: bucket.name }));
    if (bucket.versioned) await s3.send(new PutBucketVersioningCommand({ Bucket: bucket.name, VersioningConfiguration: { Status: 'Enabled' } }));
    if (bucket.defaultEncryption) {
      const { SSEAlgorithm, key } = bucket.defaultEncryption;
      await s3.send(
        new PutBucketEncryptionCommand({
          Bucket: bucket.name,
          ServerSideEncryptionConfiguration: {
            Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm, ...(key ? { KMSMasterKeyID: keys[key] } : {}) }, BucketKeyEnabled: bucket.bucketKey === true }],
          },
        }),
      );
    }
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket.name,
        NotificationConfiguration: { QueueConfigurations: [{ Id: 'enforcer', QueueArn: objectCreated.arn, Events: ['s3:ObjectCreated:*'] }] },
      }),
    );
  }

  for (const object of OBJECTS) {
    const body = object.sizeBytes ? randomBytes(object.sizeBytes) : Buffer.from(`${object.team} data for ${object.key}\n${'x'.repeat(200)}\n`);
    await s3.send(
      new PutObjectCommand({
        Bucket: object.bucket,
        Key: object.key,
        Body: body,
        ContentType: object.contentType,
        CacheControl: 'max-age=300',
        Metadata: { owner: object.team, 'source-system': 'local-run' },
        Tagging: `team=${object.team}&classification=internal`,
        ...uploadEncryption(object.upload, keys),
      }),
    );
  }
  return { keys, objectCreated, deadLetters, topicArn, onCall };
};

// ---------------------------------------------------------------------------------------------
// Object snapshots: what S3 says about an object, and a digest of its bytes.

const snapshot = async (s3, { bucket, key }) => {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = await object.Body.transformToByteArray();
  return {
    algorithm: head.ServerSideEncryption,
    keyArn: head.SSEKMSKeyId,
    bucketKey: head.BucketKeyEnabled === true,
    versionId: head.VersionId,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    contentType: head.ContentType,
    cacheControl: head.CacheControl,
    metadata: JSON.stringify(Object.entries(head.Metadata ?? {}).sort()),
    tags: JSON.stringify((tags.TagSet ?? []).map((tag) => `${tag.Key}=${tag.Value}`).sort()),
  };
};

const INTACT_FIELDS = ['sha256', 'contentType', 'cacheControl', 'metadata', 'tags'];

// ---------------------------------------------------------------------------------------------
// The functions, imported from their built files, with their log lines captured (CloudWatch's part).

const captureOutput = async (run) => {
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

const parseLogs = (lines) =>
  lines.map((line) => {
    try {
      return JSON.parse(line);
    } catch {
      return { level: 'TEXT', message: line };
    }
  });

const lambdaContext = (functionName) => {
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

/** What Lambda hands the function for one SQS message. */
const lambdaRecord = (message, queueArn) => ({
  messageId: message.MessageId,
  receiptHandle: message.ReceiptHandle,
  body: message.Body,
  attributes: message.Attributes ?? {},
  messageAttributes: {},
  md5OfBody: message.MD5OfBody,
  eventSource: 'aws:sqs',
  eventSourceARN: queueArn,
  awsRegion: REGION,
});

const queueDepth = async (sqs, url) => {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
};

const echoLogs = (name, logs) => {
  for (const log of logs) {
    const interesting = VERBOSE || log.level === 'WARN' || log.level === 'ERROR' || log.level === 'TEXT';
    const perObject = ['object enforced', 'object not remediable', 'object not enforced'].includes(log.message);
    if (interesting && (VERBOSE || !perObject)) say(`  [${name}] ${JSON.stringify(log)}`);
  }
};

/**
 * Lambda's event source mapping, on one poller: long-poll up to 10 messages, invoke, delete the
 * messages the function did not name in batchItemFailures (or none, if it threw), until the queue
 * is empty and nothing is in flight. Failed messages come back after the visibility timeout.
 */
const consumeQueue = async ({ sqs, queue, handler, startedAt }) => {
  const stats = { messages: 0, batches: 0, failedDeliveries: 0, invocationErrors: 0 };
  const logs = [];
  for (;;) {
    if (Date.now() - startedAt > RUN_LIMIT_MS) throw new Error(`the queue was not quiet after ${RUN_LIMIT_MS / 1000} s`);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: BATCH_SIZE, WaitTimeSeconds: 1, AttributeNames: ['All'] }),
    );
    if (Messages.length === 0) {
      if ((await queueDepth(sqs, queue.url)) === 0) return { stats, logs };
      continue;
    }
    stats.batches += 1;
    stats.messages += Messages.length;
    const event = { Records: Messages.map((message) => lambdaRecord(message, queue.arn)) };
    const { result, error, lines } = await captureOutput(() => handler(event, lambdaContext('enforce-object-encryption')));
    const parsed = parseLogs(lines);
    logs.push(...parsed);
    echoLogs('enforce', parsed);
    let failed;
    if (error) {
      stats.invocationErrors += 1;
      say(`  [enforce] invocation failed: ${error.message}; the whole batch is retried`);
      failed = new Set(Messages.map((message) => message.MessageId));
    } else {
      failed = new Set((result?.batchItemFailures ?? []).map((item) => item.itemIdentifier));
    }
    stats.failedDeliveries += failed.size;
    const done = Messages.filter((message) => !failed.has(message.MessageId));
    if (done.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: queue.url, Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })) }),
      );
    }
  }
};

const drainQueue = async (sqs, url) => {
  const all = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (Messages.length === 0) return all;
    all.push(...Messages);
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })) }));
  }
};

// ---------------------------------------------------------------------------------------------
// Output.

const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff\uff00-\uff60\uffe0-\uffe6]/u;
const width = (text) => [...text].reduce((sum, character) => sum + (WIDE.test(character) ? 2 : 1), 0);
const table = (headers, rows) => {
  const widths = headers.map((header, column) => Math.max(width(header), ...rows.map((row) => width(row[column]))));
  const line = (cells) => cells.map((cell, column) => cell + ' '.repeat(widths[column] - width(cell))).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
};

const keyName = (arn, keys) => {
  if (arn === undefined) return 'aws/s3';
  const entry = Object.entries(keys).find(([, keyArn]) => keyArn === arn);
  return entry ? (entry[0] === 'required' ? 'required key' : KEYS[entry[0]].alias.replace('alias/', '')) : arn;
};

const encryptionText = (state, keys) => {
  switch (state.algorithm) {
    case undefined:
      return 'none';
    case 'AES256':
      return 'SSE-S3';
    case 'aws:kms':
      return `SSE-KMS ${keyName(state.keyArn, keys)}`;
    case 'aws:kms:dsse':
      return `DSSE-KMS ${keyName(state.keyArn, keys)}`;
    default:
      return state.algorithm;
  }
};

/** The function's own account of an object, from its log lines: the write if there was one, else the last word. */
const outcomeText = (object, logs) => {
  const lines = logs.filter((log) => log.bucket === object.bucket && log.key === object.key && log.outcome);
  if (lines.length === 0) return 'no event handled';
  const remediated = lines.find((log) => log.outcome === 'remediated');
  const retries = lines.filter((log) => log.outcome === 'failed').length;
  const last = remediated ?? lines.at(-1);
  const text =
    last.outcome === 'remediated'
      ? `remediated (${last.strategy})`
      : last.outcome === 'skipped'
        ? `skipped (${last.reason})`
        : last.outcome === 'failed'
          ? `failed (${last.error?.code ?? 'error'})`
          : 'compliant, no write';
  return retries > 0 && last.outcome !== 'failed' ? `${text} after ${retries} failure(s)` : text;
};

/** Notices by S3 event name, from the function's log lines. */
const eventsHandled = (logs) => {
  const counts = new Map();
  for (const log of logs) {
    const name = log.outcome ? log.eventName : log.message === 'notice acknowledged without work' ? 's3:TestEvent and other non-object notices' : undefined;
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts.entries()].map(([name, count]) => `${count} ${name}`).join(', ');
};

const isExempt = (object) => POLICY.exemptions.some((rule) => rule.bucket === object.bucket && object.key.startsWith(rule.prefix));

/** What must be true after the run; an empty list means it is. */
const problemsOf = (object, before, after, keys) => {
  const problems = [];
  if (isExempt(object)) {
    if (encryptionText(before, keys) !== encryptionText(after, keys)) problems.push('exempt, but its encryption changed');
  } else {
    const dsse = before.algorithm === 'aws:kms:dsse';
    if (after.algorithm !== (dsse ? 'aws:kms:dsse' : 'aws:kms') || after.keyArn !== keys.required) problems.push('not under the required key');
  }
  for (const field of INTACT_FIELDS) if (before[field] !== after[field]) problems.push(`${field} changed`);
  return problems;
};

const printOnCall = (messages) => {
  const audit = [];
  const alerts = [];
  for (const message of messages) {
    const envelope = JSON.parse(message.Body);
    const document = JSON.parse(envelope.Message);
    if (document.kind === 'object-alerts') alerts.push({ subject: envelope.Subject, document });
    else audit.push({ subject: envelope.Subject, document });
  }
  say('On-call summary, as the findings topic delivered it to a subscribed SQS queue');
  if (audit.length === 0) say('  (no audit summary arrived)');
  for (const { subject, document } of audit) {
    const { summary, findings } = document;
    say(`  Subject: ${subject}`);
    say(`  ${summary.changes.new} new, ${summary.changes.changed} changed, ${summary.changes.resolved} resolved; ${summary.failing} failing in all; page on-call: ${summary.page ? 'yes' : 'no'}`);
    say(`  Report: ${summary.report?.uri ?? `not written${summary.reportError ? ` (${summary.reportError})` : ''}`}`);
    for (const finding of findings) say(`  - [${finding.severity}] ${finding.change.toUpperCase()} ${finding.check} ${finding.resource}: ${finding.observed}`);
  }
  for (const { subject, document } of alerts) {
    say('');
    say(`  Subject: ${subject} (from the enforce function)`);
    for (const alert of document.alerts) say(`  - [${alert.severity}] ${alert.reason} s3://${alert.bucket}/${alert.key}: ${alert.detail}`);
  }
};

// ---------------------------------------------------------------------------------------------

const main = async () => {
  const missing = motoMissing();
  if (missing) {
    process.stderr.write(`npm start needs moto's server, a local S3/KMS/SNS/SQS endpoint, and cannot start it:\n  ${missing}\n`);
    return 2;
  }
  ensureBundles();

  const startedAt = Date.now();
  const endpoint = await startMoto();
  const config = { region: REGION, endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const clients = { s3: new S3Client({ ...config, forcePathStyle: true }), kms: new KMSClient(config), sns: new SNSClient(config), sqs: new SQSClient(config) };
  cleanups.push(async () => Object.values(clients).forEach((client) => client.destroy()));
  const { s3, sqs } = clients;

  say(`S3 encryption enforcer, locally: moto at ${endpoint}, nothing deployed.\n`);
  const estate = await provision(clients);
  say('Estate');
  say(table(['BUCKET', 'SET UP'], BUCKETS.map((bucket) => [bucket.name, bucket.what])));
  say(`KMS keys: ${Object.values(KEYS).map((key) => `${key.alias} (rotation ${key.rotation ? 'on, 365 days' : 'off'})`).join(', ')}`);
  say(`Every bucket notifies s3:ObjectCreated:* to SQS enforcer-object-created (dead letters after ${MAX_RECEIVE_COUNT} receives).`);
  say(`POLICY: ${JSON.stringify(POLICY)}\n`);

  const before = new Map();
  for (const object of OBJECTS) before.set(object, await snapshot(s3, object));

  // The functions read their configuration once, when their bundle is imported.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL: endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    REQUIRED_KMS_KEY: KEYS.required.alias,
    FINDINGS_TOPIC_ARN: estate.topicArn,
    POLICY: JSON.stringify(POLICY),
    COPY_LIMIT_BYTES: String(5 * MIB),
    MULTIPART_PART_BYTES: String(5 * MIB),
    REPORTS_BUCKET,
    ENFORCER_QUEUE_ARN: estate.objectCreated.arn,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_LAMBDA_FUNCTION_NAME: 'enforce-object-encryption',
  });
  const enforce = await import(pathToFileURL(ENFORCE_BUNDLE).href);

  const { stats, logs } = await consumeQueue({ sqs, queue: estate.objectCreated, handler: enforce.handler, startedAt: Date.now() });
  const deadLettered = await drainQueue(sqs, estate.deadLetters.url);
  say(`Enforcement by ${relative(ROOT, ENFORCE_BUNDLE)}, consuming the queue as Lambda's event source mapping does:`);
  say(`  ${stats.messages} messages in ${stats.batches} batch(es) of up to ${BATCH_SIZE}; ${stats.failedDeliveries} delivery failure(s) retried, ${deadLettered.length} dead-lettered.`);
  say(`  Notices handled: ${eventsHandled(logs)}.`);
  say('  (Each copy fires its own ObjectCreated event; the function finds that object compliant and writes nothing.)\n');

  const rows = [];
  let problems = 0;
  for (const object of OBJECTS) {
    const was = before.get(object);
    const now = await snapshot(s3, object);
    const found = problemsOf(object, was, now, estate.keys);
    problems += found.length > 0 ? 1 : 0;
    rows.push([
      object.bucket,
      object.key,
      encryptionText(was, estate.keys),
      encryptionText(now, estate.keys),
      outcomeText(object, logs),
      found.length === 0 ? 'ok' : `NOT OK: ${found.join(', ')}`,
    ]);
  }
  say(table(['BUCKET', 'KEY', 'BEFORE', 'AFTER', 'OUTCOME', 'CHECK'], rows));
  say('(CHECK: under the required key, or untouched when exempt; bytes, content type, cache control, metadata and tags unchanged.)\n');

  // Set only now: moto would apply the Deny without its condition and refuse every request.
  for (const bucket of BUCKETS.filter((candidate) => candidate.tlsOnly)) {
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket.name, Policy: tlsOnlyPolicy(bucket.name) }));
  }
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'audit-encryption';
  const audit = await import(pathToFileURL(AUDIT_BUNDLE).href);
  const audited = await captureOutput(() =>
    audit.handler({ 'detail-type': 'Scheduled Event', source: 'aws.events', time: new Date().toISOString() }, lambdaContext('audit-encryption')),
  );
  echoLogs('audit', parseLogs(audited.lines));
  if (audited.error) throw new Error(`the audit failed: ${audited.error.message}`);
  const outcome = audited.result;
  say(
    `Audit: ${outcome.buckets} buckets, ${outcome.keys} keys; ${outcome.findings.failed + outcome.findings.error} failing, ${outcome.findings.passed} passed; ` +
      `${outcome.notifications} notification(s) published; report ${outcome.report ?? `not written (${outcome.reportError})`}.\n`,
  );
  printOnCall(await drainQueue(sqs, estate.onCall.url));

  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  say('');
  if (problems > 0 || deadLettered.length > 0) {
    say(`FAILED: ${problems} object(s) not as they should be, ${deadLettered.length} message(s) dead-lettered (${seconds} s).`);
    return 1;
  }
  say(`OK: every object is under the required key (the exempt one untouched), with bytes, headers, metadata and tags intact (${seconds} s).`);
  return 0;
};

let code;
try {
  code = await main();
} catch (error) {
  if (interruptedWith === undefined) process.stderr.write(`npm start: ${error.stack ?? error}\n`);
  code = 1;
} finally {
  await stopEverything();
}
process.exit(interruptedWith ?? code);
