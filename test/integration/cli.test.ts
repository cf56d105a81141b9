import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateAliasCommand, CreateKeyCommand } from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertCliBuilt, runCli, startCli } from './support/cli-process.js';
import { motoClients, type MotoClients } from './support/moto-clients.js';
import { motoEnvironment, startMotoServer, TEST_ACCOUNT, type MotoServer } from './support/moto-server.js';

/**
 * The built `enforcer` CLI (dist/cli/enforcer.mjs) as a child process against moto: scan finds
 * exactly the non-compliant objects, remediate --dry-run writes nothing, remediate fixes them with
 * bytes, headers and tags intact, an interrupted remediate resumes from its checkpoint without
 * redoing finished objects, explain prints the decision, audit --json prints findings, and the exit
 * codes are 0, 1 and 2 as documented.
 */
const BUCKET = 'cli-estate';
const REQUIRED_ALIAS = 'alias/cli-required';

type UploadClass = 'none' | 'sse-s3' | 'sse-kms-other' | 'sse-kms-required' | 'dsse-other' | 'dsse-required';

/** One object per encryption class moto can hold, under keys with spaces, `+` and non-ASCII. */
const ESTATE: readonly { key: string; upload: UploadClass; scanClass: string }[] = [
  { key: 'plain/Q1 2026+draft 日本.txt', upload: 'none', scanClass: 'unencrypted' },
  { key: 'sse-s3/report résumé.csv', upload: 'sse-s3', scanClass: 'sse-s3' },
  { key: 'other-key/partner+feed.json', upload: 'sse-kms-other', scanClass: 'sse-kms-other-key' },
  { key: 'ok/compliant file.txt', upload: 'sse-kms-required', scanClass: 'compliant' },
  { key: 'dsse/other key.bin', upload: 'dsse-other', scanClass: 'dsse-kms-other-key' },
  { key: 'dsse/required key.bin', upload: 'dsse-required', scanClass: 'compliant' },
];
const NON_COMPLIANT = ESTATE.filter((object) => object.scanClass !== 'compliant');

let moto: MotoServer;
let clients: MotoClients;
let keys: { required: string; other: string };
let cwd: string;

const env = (): Record<string, string> => ({ ...motoEnvironment(moto.endpoint), REQUIRED_KMS_KEY: REQUIRED_ALIAS });

const encryptionOf = (upload: UploadClass): Partial<PutObjectCommandInput> => {
  switch (upload) {
    case 'none':
      return {};
    case 'sse-s3':
      return { ServerSideEncryption: 'AES256' };
    // moto repeats the key id it was sent (S3 answers with the ARN): upload with ARNs.
    case 'sse-kms-other':
      return { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keys.other };
    case 'sse-kms-required':
      return { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: keys.required, BucketKeyEnabled: true };
    case 'dsse-other':
      return { ServerSideEncryption: 'aws:kms:dsse', SSEKMSKeyId: keys.other };
    case 'dsse-required':
      return { ServerSideEncryption: 'aws:kms:dsse', SSEKMSKeyId: keys.required };
  }
};

const upload = async (key: string, upload: UploadClass): Promise<void> => {
  await clients.s3.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: key,
      Body: `${upload} bytes of ${key}\n${'z'.repeat(1000)}`,
      ContentType: 'text/plain; charset=utf-8',
      CacheControl: 'max-age=60',
      ContentDisposition: 'attachment',
      Metadata: { owner: 'data-platform', 'source-system': `uploader ${upload}` },
      Tagging: `team=data+platform&class=${upload}`,
      ...encryptionOf(upload),
    }),
  );
};

/** Everything a user relies on about an object, read back through the S3 API. */
const snapshot = async (key: string) => {
  const head = await clients.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
  const body = await (await clients.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body?.transformToByteArray();
  const { TagSet = [] } = await clients.s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }));
  return {
    encryption: { algorithm: head.ServerSideEncryption, keyId: head.SSEKMSKeyId },
    eTag: head.ETag,
    lastModified: head.LastModified?.toISOString(),
    sha256: createHash('sha256')
      .update(body ?? new Uint8Array())
      .digest('hex'),
    headers: { contentType: head.ContentType, cacheControl: head.CacheControl, contentDisposition: head.ContentDisposition, metadata: head.Metadata },
    tags: [...TagSet].sort((a, b) => (a.Key ?? '').localeCompare(b.Key ?? '')),
  };
};

const snapshotAll = async (objectKeys: readonly string[]) => Object.fromEntries(await Promise.all(objectKeys.map(async (key) => [key, await snapshot(key)] as const)));

const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

beforeAll(async () => {
  assertCliBuilt();
  moto = await startMotoServer();
  clients = motoClients(moto.endpoint);
});

afterAll(async () => {
  clients?.destroy();
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
  cwd = mkdtempSync(join(tmpdir(), 'enforcer-cli-'));
  const required = (await clients.kms.send(new CreateKeyCommand({ Description: 'required' }))).KeyMetadata;
  const other = (await clients.kms.send(new CreateKeyCommand({ Description: 'other' }))).KeyMetadata;
  if (!required?.Arn || !required.KeyId || !other?.Arn) throw new Error('moto created no keys');
  await clients.kms.send(new CreateAliasCommand({ AliasName: REQUIRED_ALIAS, TargetKeyId: required.KeyId }));
  keys = { required: required.Arn, other: other.Arn };
  await clients.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  for (const object of ESTATE) await upload(object.key, object.upload);
});

afterEach(() => rmSync(cwd, { recursive: true, force: true }));

describe('enforcer scan', () => {
  it('finds exactly the non-compliant objects, with counts by class, and exits 1', async () => {
    const run = await runCli(['scan', `s3://${BUCKET}`, '--json'], env(), cwd);
    const lines = jsonLines(run.stdout);
    expect(lines.filter((line) => line['type'] === 'object').map((line) => [line['key'], line['class']]).sort()).toEqual(
      NON_COMPLIANT.map((object) => [object.key, object.scanClass]).sort(),
    );
    expect(lines.at(-1)).toEqual({
      type: 'summary',
      bucket: BUCKET,
      prefix: '',
      objects: 6,
      nonCompliant: 4,
      errors: 0,
      byClass: { compliant: 2, unencrypted: 1, 'sse-s3': 1, 'sse-kms-other-key': 1, 'dsse-kms-other-key': 1 },
      interrupted: false,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
  });

  it('scans only under the prefix, and prints a table for people', async () => {
    const run = await runCli(['scan', `s3://${BUCKET}/dsse/`], env(), cwd);
    expect(run.stdout).toContain('dsse-kms-other-key     copy-in-place');
    expect(run.stdout).toContain('dsse/other key.bin\n');
    expect(run.stdout).toContain(`s3://${BUCKET}/dsse/: 2 object(s) scanned, 1 not compliant\n`);
    expect(run.code).toBe(1);
  });
});

describe('enforcer remediate', () => {
  it('--dry-run writes nothing: every object is as it was, and no checkpoint is left', async () => {
    const before = await snapshotAll(ESTATE.map((object) => object.key));
    const run = await runCli(['remediate', `s3://${BUCKET}`, '--dry-run', '--json'], env(), cwd);
    expect(await snapshotAll(ESTATE.map((object) => object.key))).toEqual(before);
    expect(readdirSync(cwd)).toEqual([]);
    const planned = jsonLines(run.stdout).filter((line) => line['type'] === 'object');
    expect(planned.filter((line) => (line['planned'] as { kind: string }).kind === 'remediate').map((line) => line['key']).sort()).toEqual(
      NON_COMPLIANT.map((object) => object.key).sort(),
    );
    expect(run.code).toBe(1);
  });

  it('brings every object under the required key with bytes, headers and tags intact; a second scan finds nothing', async () => {
    const before = await snapshotAll(ESTATE.map((object) => object.key));
    const run = await runCli(['remediate', `s3://${BUCKET}`, '--concurrency', '4'], env(), cwd);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const after = await snapshotAll(ESTATE.map((object) => object.key));
    for (const object of ESTATE) {
      const was = before[object.key];
      const now = after[object.key];
      const dsse = object.upload.startsWith('dsse');
      expect(now?.encryption, object.key).toEqual({ algorithm: dsse ? 'aws:kms:dsse' : 'aws:kms', keyId: keys.required });
      expect(now?.sha256, object.key).toBe(was?.sha256);
      expect(now?.headers, object.key).toEqual(was?.headers);
      expect(now?.tags, object.key).toEqual(was?.tags);
    }
    for (const object of ESTATE.filter((candidate) => candidate.scanClass === 'compliant')) {
      expect(after[object.key]?.lastModified, `${object.key} was compliant: no write`).toBe(before[object.key]?.lastModified);
    }
    expect(run.stdout).toContain(`s3://${BUCKET}/: 6 object(s) processed, 0 left non-compliant\n`);
    expect(existsSync(join(cwd, `.enforcer-checkpoint-${BUCKET}.json`))).toBe(false);

    const rescan = await runCli(['scan', `s3://${BUCKET}`], env(), cwd);
    expect(rescan.stdout).toContain(`s3://${BUCKET}/: 6 object(s) scanned, 0 not compliant\n`);
    expect(rescan.code).toBe(0);
  });

  it('an interrupted run resumes from its checkpoint without redoing finished objects', async () => {
    const bulk = Array.from({ length: 40 }, (_, index) => `bulk/object ${String(index).padStart(3, '0')}+ü.txt`);
    for (const key of bulk) await upload(key, 'none');
    const checkpoint = join(cwd, `.enforcer-checkpoint-${BUCKET}.json`);

    const first = startCli(['remediate', `s3://${BUCKET}/bulk/`, '--concurrency', '1', '--json'], env(), cwd);
    await first.linesOut(3);
    first.child.kill('SIGINT');
    const interrupted = await first.done;
    expect(interrupted.code).toBe(130);
    const firstKeys = jsonLines(interrupted.stdout).filter((line) => line['type'] === 'object').map((line) => line['key'] as string);
    expect(firstKeys.length).toBeGreaterThanOrEqual(3);
    expect(firstKeys.length).toBeLessThan(bulk.length);
    expect(firstKeys).toEqual(bulk.slice(0, firstKeys.length));
    const saved = JSON.parse(readFileSync(checkpoint, 'utf8')) as Record<string, unknown>;
    expect(saved).toMatchObject({ kind: 'enforcer-remediate-checkpoint', bucket: BUCKET, prefix: 'bulk/', lastKey: firstKeys.at(-1), doneAfter: [], processed: firstKeys.length });
    expect(jsonLines(interrupted.stdout).at(-1)).toMatchObject({ type: 'summary', completed: false, checkpoint });
    const finished = await snapshotAll(firstKeys);

    const resumed = await runCli(['remediate', `s3://${BUCKET}/bulk/`, '--concurrency', '4', '--json'], env(), cwd);
    expect(resumed.code).toBe(0);
    const secondKeys = jsonLines(resumed.stdout).filter((line) => line['type'] === 'object').map((line) => line['key'] as string);
    expect(secondKeys.sort()).toEqual(bulk.slice(firstKeys.length));
    expect(await snapshotAll(firstKeys)).toEqual(finished);
    expect(resumed.stderr).toContain(`resuming from ${checkpoint}: ${firstKeys.length} object(s) done`);
    expect(existsSync(checkpoint)).toBe(false);
    for (const key of bulk) expect((await snapshot(key)).encryption, key).toEqual({ algorithm: 'aws:kms', keyId: keys.required });
  });
});

describe('enforcer explain', () => {
  it('prints the decision for one object and why', async () => {
    const run = await runCli(['explain', `s3://${BUCKET}/sse-s3/report résumé.csv`], env(), cwd);
    expect(run.stdout).toContain(`s3://${BUCKET}/sse-s3/report résumé.csv\n`);
    expect(run.stdout).toContain('  class         sse-s3\n');
    expect(run.stdout).toContain(`  decision      remediate by copy-in-place to aws:kms under ${keys.required}, bucket key on\n`);
    expect(run.stdout).toContain(`UpdateObjectEncryption is not used: the S3 endpoint ${moto.endpoint} is not Amazon S3`);
    expect(run.code).toBe(1);
  });

  it('a compliant object exits 0; a missing one exits 3', async () => {
    const compliant = await runCli(['explain', `s3://${BUCKET}/dsse/required key.bin`, '--json'], env(), cwd);
    expect(JSON.parse(compliant.stdout)).toMatchObject({ class: 'compliant', decision: 'compliant: no write' });
    expect(compliant.code).toBe(0);
    const missing = await runCli(['explain', `s3://${BUCKET}/no such key`], env(), cwd);
    expect(missing.stderr).toContain('does not exist');
    expect(missing.code).toBe(3);
  });
});

describe('enforcer audit', () => {
  it('--json prints the findings of the nightly audit, without publishing', async () => {
    const run = await runCli(['audit', '--json'], env(), cwd);
    const document = JSON.parse(run.stdout) as { accountId: string; published: number; findings: { check: string; status: string; resource: string; observed: string }[] };
    expect(document.accountId).toBe(TEST_ACCOUNT);
    expect(document.published).toBe(0);
    expect(document.findings).toContainEqual(
      expect.objectContaining({ check: 's3-default-encryption-kms', status: 'failed', resource: `arn:aws:s3:::${BUCKET}`, observed: 'no default encryption configuration' }),
    );
    expect(run.code).toBe(1);
  });
});

describe('exit code 2', () => {
  it('for usage errors and for configuration the functions would refuse', async () => {
    const usage = await runCli(['scan'], env(), cwd);
    expect(usage.stderr).toBe("enforcer scan: missing s3://BUCKET[/PREFIX]\nRun 'enforcer scan --help' for usage.\n");
    expect(usage.code).toBe(2);
    const withoutKey = Object.fromEntries(Object.entries(env()).filter(([name]) => name !== 'REQUIRED_KMS_KEY'));
    const configuration = await runCli(['scan', `s3://${BUCKET}`], withoutKey, cwd);
    expect(configuration.stderr).toContain('REQUIRED_KMS_KEY is not set');
    expect(configuration.code).toBe(2);
    const unknownKey = await runCli(['scan', `s3://${BUCKET}`, '--required-key', 'alias/does-not-exist'], env(), cwd);
    expect(unknownKey.stderr).toContain('KMS key "alias/does-not-exist" does not exist');
    expect(unknownKey.code).toBe(2);
  });
});
