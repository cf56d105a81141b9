// Each reachable member's enforcer, consuming its own queue: an SSE-S3 object is uploaded into the
// member's non-compliant bucket as a user would (the AWS CLI, with the member's credentials; the SDK
// when the CLI is not installed), the bucket notifies the member's queue, and the built
// enforce-object-encryption bundle consumes that queue as Lambda's event source mapping does, with
// the member's credentials and the member stack's environment. The object must end under the
// member's own key, its bytes unchanged.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { isObjectLine } from '../../../tooling/enforce-log.mjs';
import { consumeQueue } from '../../../tooling/sqs-event-source.mjs';
import { ENFORCER_FUNCTION, REGION, REQUIRED_ALIAS, destroyAll, memberClients } from './estate.mjs';
import { invokeBundle } from './lambda-bundles.mjs';

/** @import { S3Client } from '@aws-sdk/client-s3' */
/** @import { ConsumerFigures } from '../../../tooling/sqs-event-source.mjs' */
/** @import { Member } from './estate.mjs' */

/** @typedef {{ algorithm: string | undefined, keyArn: string | undefined, sha256: string }} Encryption */
/**
 * @typedef {object} MemberEnforcement
 * @property {Member} member
 * @property {string} object `s3://bucket/key`
 * @property {string} uploadedWith
 * @property {Encryption} before
 * @property {Encryption} after
 * @property {string} outcome The enforcer's own account of the object, from its log line.
 * @property {ConsumerFigures} figures
 * @property {Record<string, unknown>[]} problems Warnings and errors the enforcer logged.
 * @property {string | undefined} notOk Why the object is not as it should be; undefined when it is.
 */

export const ENFORCE_BUNDLE = 'enforce-object-encryption';
const OBJECT_KEY = 'invoices/2026/inv-0001.csv';
const BODY = 'invoice,amount\n0001,42.00\n';
const QUEUE_LIMIT_MS = 120_000;

/** Whether the AWS CLI can upload here; checked once. */
const awsCli = (() => {
  /** @type {boolean | undefined} */
  let available;
  return () => (available ??= spawnSync('aws', ['--version'], { stdio: 'ignore' }).status === 0);
})();

/**
 * `aws --endpoint-url … s3 cp --sse AES256` with the member's credentials, and nothing of the caller's profile.
 * @param {string} endpoint
 * @param {Member} member
 * @param {string} bucket
 */
const uploadWithCli = (endpoint, member, bucket) => {
  const dir = mkdtempSync(join(tmpdir(), 'local-upload-'));
  try {
    const file = join(dir, 'inv-0001.csv');
    writeFileSync(file, BODY);
    const inherited = Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_'));
    const { accessKeyId, secretAccessKey, sessionToken = '' } = member.credentials;
    const run = spawnSync('aws', ['--endpoint-url', endpoint, 's3', 'cp', file, `s3://${bucket}/${OBJECT_KEY}`, '--sse', 'AES256', '--content-type', 'text/csv', '--only-show-errors'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...Object.fromEntries(inherited),
        AWS_ACCESS_KEY_ID: accessKeyId,
        AWS_SECRET_ACCESS_KEY: secretAccessKey,
        AWS_SESSION_TOKEN: sessionToken,
        AWS_DEFAULT_REGION: REGION,
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_PAGER: '',
      },
    });
    if (run.status !== 0) throw new Error(`aws s3 cp into ${bucket} failed (${run.status ?? run.signal}): ${`${run.stderr}${run.stdout}`.trim()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/**
 * @param {S3Client} s3
 * @param {string} bucket
 * @returns {Promise<Encryption>}
 */
const encryptionOf = async (s3, bucket) => {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: OBJECT_KEY }));
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: OBJECT_KEY }));
  const bytes = (await object.Body?.transformToByteArray()) ?? new Uint8Array();
  return { algorithm: head.ServerSideEncryption, keyArn: head.SSEKMSKeyId, sha256: createHash('sha256').update(bytes).digest('hex') };
};

/**
 * The member stack's environment for its enforcer, with the member's credentials (Lambda's execution role there).
 * @param {string} endpoint
 * @param {Member} member
 * @param {string} topicArn The central findings topic, as the member template gives it.
 * @returns {Record<string, string>}
 */
const enforcerEnvironment = (endpoint, member, topicArn) => ({
  AWS_ACCESS_KEY_ID: member.credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: member.credentials.secretAccessKey,
  AWS_SESSION_TOKEN: member.credentials.sessionToken ?? '',
  AWS_REGION: REGION,
  AWS_DEFAULT_REGION: REGION,
  AWS_ENDPOINT_URL: endpoint,
  S3_FORCE_PATH_STYLE: 'true',
  REQUIRED_KMS_KEY: REQUIRED_ALIAS,
  FINDINGS_TOPIC_ARN: topicArn,
  POWERTOOLS_LOG_LEVEL: 'INFO',
});

/** @param {Record<string, unknown>[]} logs @param {string} bucket */
const outcomeOf = (logs, bucket) => {
  const lines = logs.filter(isObjectLine).filter((log) => log.bucket === bucket && log.key === OBJECT_KEY);
  // The write, if there was one: the copy's own ObjectCreated event is then found compliant.
  const line = lines.find((log) => log.outcome === 'remediated') ?? lines.at(-1);
  if (!line) return 'no outcome logged';
  if (line.outcome === 'remediated') return `remediated (${line.strategy})`;
  if (line.outcome === 'skipped') return `skipped (${line.reason})`;
  return line.outcome === 'failed' ? `failed (${line.error?.code ?? 'error'})` : 'compliant, no write';
};

/**
 * One member's upload and its enforcer's run.
 * @param {string} endpoint moto.
 * @param {Member} member
 * @param {string} topicArn
 * @returns {Promise<MemberEnforcement>}
 */
export const enforceInMember = async (endpoint, member, topicArn) => {
  const clients = memberClients(endpoint, member.credentials);
  const { s3, sqs } = clients;
  const bucket = member.buckets.nonCompliant;
  try {
    let uploadedWith = 'AWS CLI (aws s3 cp --sse AES256)';
    if (awsCli()) uploadWithCli(endpoint, member, bucket);
    else {
      uploadedWith = 'SDK PutObject, SSE-S3 (no AWS CLI here)';
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: OBJECT_KEY, Body: BODY, ContentType: 'text/csv', ServerSideEncryption: 'AES256' }));
    }
    const before = await encryptionOf(s3, bucket);

    /** @type {Record<string, unknown>[]} */
    const logs = [];
    const env = enforcerEnvironment(endpoint, member, topicArn);
    const invoke = async (/** @type {unknown} */ event) => {
      const invocation = await invokeBundle({ bundle: ENFORCE_BUNDLE, functionName: ENFORCER_FUNCTION, account: member.accountId, env, event });
      logs.push(...invocation.logs, ...invocation.text.map((message) => ({ level: 'TEXT', message })));
      return invocation.error ? { error: invocation.error } : { result: invocation.result };
    };
    const figures = await consumeQueue({ sqs, queue: member.queue, region: REGION, invoke, deadline: performance.now() + QUEUE_LIMIT_MS });
    const after = await encryptionOf(s3, bucket);

    const wrong = [
      figures.timedOut && `its queue was not quiet after ${QUEUE_LIMIT_MS / 1000} s`,
      (after.algorithm !== 'aws:kms' || after.keyArn !== member.keyArn) && `ends ${after.algorithm ?? 'unencrypted'} ${after.keyArn ?? ''}, not under ${member.keyArn}`.trim(),
      after.sha256 !== before.sha256 && 'its bytes changed',
    ].filter((problem) => typeof problem === 'string');
    return {
      member,
      object: `s3://${bucket}/${OBJECT_KEY}`,
      uploadedWith,
      before,
      after,
      outcome: outcomeOf(logs, bucket),
      figures,
      problems: logs.filter((log) => log['level'] === 'WARN' || log['level'] === 'ERROR' || log['level'] === 'TEXT'),
      notOk: wrong.length > 0 ? wrong.join('; ') : undefined,
    };
  } finally {
    destroyAll(Object.values(clients));
  }
};
