// The bare SDK's own ceiling for one audit night: the calls the audit makes for the simulated account,
// made directly with SDK clients — no checks, findings, ledger, reports built, summary or log lines —
// in the audit's order and at its concurrency (scan-account.ts, gather-facts.ts, audit-run.ts):
//
//   the previous report read (GetObject, the body read to its end) while the first ListBuckets page
//   is listed; the policy's key (DescribeKey, then rotation and key policy together); then each page
//   of buckets, the next page listed meanwhile, AUDIT_CONCURRENCY buckets at a time, each bucket's
//   encryption, policy and notifications read together, then every key its default encryption names
//   for the first time looked up (DescribeKey, then rotation and key policy together; a bucket naming
//   a key being looked up waits for it); then a second read of the previous report if the audit made
//   one, the reports (PutObject, together, bodies of the same length), the summary's parts one after
//   another (Publish) and the copy to latest.json (CopyObject).
//
// The reads per bucket and per key are made from what the simulated account answers, as the audit
// makes them; every other call (ListBuckets' page size, the reports, the summary, the copy) is
// recorded from a measured night (recordRunCalls) and sent again as it was. The caller compares the
// commands sent with the audit's: a ceiling that did not send the same calls does not stand.
import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import { DescribeKeyCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand } from '@aws-sdk/client-kms';
import {
  CopyObjectCommand,
  GetBucketEncryptionCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { PublishCommand } from '@aws-sdk/client-sns';

/** @import { KMSClient } from '@aws-sdk/client-kms' */
/** @import { S3Client } from '@aws-sdk/client-s3' */
/** @import { SNSClient } from '@aws-sdk/client-sns' */
/** @import { CommandInput } from './simulated-aws.mjs' */

/** A call of the run itself, as recorded: the command's name and its input (a body's bytes left out; its length kept). @typedef {[command: string, input: CommandInput]} RunCall */

/** The reads per bucket and per key: the ceiling makes them from what it reads, so they are not recorded. */
const PER_BUCKET_AND_KEY = new Set([
  'GetBucketEncryptionCommand',
  'GetBucketPolicyCommand',
  'GetBucketNotificationConfigurationCommand',
  'DescribeKeyCommand',
  'GetKeyRotationStatusCommand',
  'GetKeyPolicyCommand',
]);
/** The calls of the run itself that the ceiling sends again. */
const RUN_CALLS = new Set(['ListBucketsCommand', 'GetObjectCommand', 'PutObjectCommand', 'PublishCommand', 'CopyObjectCommand']);

/** Chunks of a report body as a stream delivers them. */
const CHUNK_BYTES = 64 * 1024;

/**
 * Records the calls of the run itself (every call but the reads per bucket and per key), as an
 * `onCommand` for the simulated clients of a measured night.
 */
export const recordRunCalls = () => {
  /** @type {RunCall[]} */
  const calls = [];
  /**
   * @param {string} command
   * @param {CommandInput} input
   */
  const onCommand = (command, input) => {
    if (PER_BUCKET_AND_KEY.has(command)) return;
    // A copy, as sent: a body is a stream of this run's, so only its length (ContentLength) is kept.
    calls.push([command, JSON.parse(JSON.stringify({ ...input, Body: undefined }))]);
  };
  return { calls, onCommand };
};

/**
 * Sends `handle(item)` for every item, `concurrency` at a time, in order, each worker taking the next item as it finishes one.
 * @template T
 * @param {readonly T[]} items
 * @param {number} concurrency
 * @param {(item: T) => Promise<unknown>} handle
 */
const pool = async (items, concurrency, handle) => {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await handle(/** @type {T} */ (items[next++]));
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
};

/** A refusal (an absent configuration, an unknown key) is an answer like any other here. */
const answered = () => undefined;

/**
 * One audit night's calls, made with bare SDK clients as described above; resolves when the last is answered.
 * @param {{ s3: S3Client, kms: KMSClient, sns: SNSClient, requiredKey: string, concurrency: number, runCalls: readonly RunCall[] }} options
 */
export const auditCallsWithTheSdk = async ({ s3, kms, sns, requiredKey, concurrency, runCalls }) => {
  const unknown = runCalls.filter(([command]) => !RUN_CALLS.has(command)).map(([command]) => command);
  if (unknown.length > 0) throw new Error(`audit SDK ceiling: the audit made calls the ceiling does not make (${[...new Set(unknown)].join(', ')})`);
  const inputsOf = (/** @type {string} */ name) => runCalls.filter(([command]) => command === name).map(([, input]) => input);
  const [listing = {}] = inputsOf('ListBucketsCommand');
  const [previousReport, ...rereads] = inputsOf('GetObjectCommand');

  /** @param {CommandInput | undefined} input */
  const readObject = async (input) => {
    if (!input) return;
    try {
      const { Body } = await s3.send(new GetObjectCommand(/** @type {any} */ (input)));
      for await (const chunk of /** @type {AsyncIterable<unknown>} */ (Body)) void chunk;
    } catch {
      // No previous report: an answer like any other.
    }
  };
  /** @param {string | undefined} token */
  const listPage = (token) => s3.send(new ListBucketsCommand({ ...listing, ContinuationToken: token }));

  /** @type {Map<string, Promise<void>>} */
  const keys = new Map();
  /** @param {string} reference */
  const lookUp = (reference) => {
    let lookup = keys.get(reference);
    if (!lookup) {
      lookup = (async () => {
        const { KeyMetadata: key } = await kms.send(new DescribeKeyCommand({ KeyId: reference }));
        if (key?.KeyManager !== 'CUSTOMER' || !key.Arn) return;
        await Promise.all([
          kms.send(new GetKeyRotationStatusCommand({ KeyId: key.Arn })).catch(answered),
          kms.send(new GetKeyPolicyCommand({ KeyId: key.Arn, PolicyName: 'default' })).catch(answered),
        ]);
      })().catch(answered);
      keys.set(reference, lookup);
    }
    return lookup;
  };
  /** @param {string} Bucket */
  const readBucket = async (Bucket) => {
    const [encryption] = await Promise.all([
      s3.send(new GetBucketEncryptionCommand({ Bucket })).catch(answered),
      s3.send(new GetBucketPolicyCommand({ Bucket })).catch(answered),
      s3.send(new GetBucketNotificationConfigurationCommand({ Bucket })).catch(answered),
    ]);
    const named = (encryption?.ServerSideEncryptionConfiguration?.Rules ?? []).flatMap((rule) => rule.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID || []);
    await Promise.all([...new Set(named)].map(lookUp));
  };

  const previous = readObject(previousReport);
  let page = await listPage(undefined);
  await lookUp(requiredKey);
  await previous;
  for (;;) {
    const token = page.ContinuationToken;
    const following = token ? listPage(token) : undefined;
    following?.catch(answered);
    await pool((page.Buckets ?? []).flatMap((bucket) => bucket.Name ?? []), concurrency, readBucket);
    if (!following) break;
    page = await following;
  }
  for (const input of rereads) await readObject(input);
  await Promise.all(
    inputsOf('PutObjectCommand').map((input) => {
      const body = Buffer.alloc(Number(input['ContentLength'] ?? 0), 0x20);
      const chunks = [];
      for (let offset = 0; offset < body.length; offset += CHUNK_BYTES) chunks.push(body.subarray(offset, offset + CHUNK_BYTES));
      return s3.send(new PutObjectCommand(/** @type {any} */ ({ ...input, Body: Readable.from(chunks, { objectMode: false }) })));
    }),
  );
  for (const input of inputsOf('PublishCommand')) await sns.send(new PublishCommand(/** @type {any} */ (input)));
  for (const input of inputsOf('CopyObjectCommand')) await s3.send(new CopyObjectCommand(/** @type {any} */ (input)));
};
