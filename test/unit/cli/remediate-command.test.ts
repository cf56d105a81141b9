import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CopyObjectCommand, HeadObjectCommand, ListObjectsV2Command, UpdateObjectEncryptionCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../../cli/exit-codes.js';
import { runCli } from '../../../cli/run-cli.js';
import { s3Error } from '../../fixtures/aws-errors.js';
import { givenObjects, resetMocks, s3, writesSent } from './support/aws-mocks.js';
import { fakeIo, jsonLines, OTHER, REQUIRED } from './support/fake-io.js';

let cwd: string;
const env = () => ({ AWS_REGION: 'us-east-1', REQUIRED_KMS_KEY: 'alias/required', AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', S3_FORCE_PATH_STYLE: 'true' });
const CHECKPOINT = () => join(cwd, '.enforcer-checkpoint-data-bucket.json');

beforeEach(() => {
  resetMocks();
  cwd = mkdtempSync(join(tmpdir(), 'enforcer-remediate-'));
  s3.on(CopyObjectCommand).resolves({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: REQUIRED, BucketKeyEnabled: true });
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

const remediate = async (argv: string[], io = fakeIo(env(), { cwd })) => ({ code: await runCli(['remediate', ...argv], io), io });

const KEYS = ['k1 plain', 'k2+sse-s3', 'k3 compliant', 'k4 other', 'k5 plain'] as const;
const givenEstate = (): void =>
  givenObjects('data-bucket', [
    [
      [KEYS[0], 'unencrypted'],
      [KEYS[1], 'sse-s3'],
      [KEYS[2], 'compliant'],
    ],
    [
      [KEYS[3], 'other-key'],
      [KEYS[4], 'unencrypted'],
    ],
  ]);

describe('enforcer remediate --dry-run', () => {
  it('decides every object, writes nothing (not even a checkpoint) and exits 1 when some need work', async () => {
    givenEstate();
    const { code, io } = await remediate(['s3://data-bucket', '--dry-run', '--concurrency', '1']);
    expect(writesSent()).toEqual([]);
    expect(readdirSync(cwd)).toEqual([]);
    expect(io.stdout.text).toBe(
      [
        'would copy-in-place                k1 plain  [unencrypted]',
        'would copy-in-place                k2+sse-s3  [sse-s3]',
        'compliant                          k3 compliant  [sse-kms(required key, bucket key)]',
        `would copy-in-place                k4 other  [sse-kms(${OTHER})]`,
        'would copy-in-place                k5 plain  [unencrypted]',
        '',
        's3://data-bucket/: 5 object(s) planned, 4 need work',
        '',
        'PLAN                 OBJECTS',
        'compliant                  1',
        'would copy-in-place        4',
        '',
      ].join('\n'),
    );
    expect(code).toBe(EXIT.findings);
  });

  it('exits 0 when nothing needs work', async () => {
    givenObjects('data-bucket', [[['a', 'compliant']]]);
    const { code } = await remediate(['s3://data-bucket', '--dry-run']);
    expect(code).toBe(EXIT.compliant);
  });
});

describe('enforcer remediate', () => {
  it('copies each non-compliant object onto itself under the required key, guarded by the ETag it saw', async () => {
    givenEstate();
    const { code, io } = await remediate(['s3://data-bucket', '--concurrency', '1']);
    const copies = s3.commandCalls(CopyObjectCommand).map((call) => call.args[0].input);
    expect(copies).toEqual(
      [KEYS[0], KEYS[1], KEYS[3], KEYS[4]].map((key) => ({
        Bucket: 'data-bucket',
        Key: key,
        CopySource: `data-bucket/${encodeURIComponent(key)}`,
        CopySourceIfMatch: `"etag-${key}"`,
        IfMatch: `"etag-${key}"`,
        MetadataDirective: 'COPY',
        TaggingDirective: 'COPY',
        StorageClass: 'STANDARD',
        WebsiteRedirectLocation: undefined,
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: REQUIRED,
        BucketKeyEnabled: true,
      })),
    );
    expect(s3.commandCalls(UpdateObjectEncryptionCommand)).toHaveLength(0);
    expect(io.stdout.text).toContain('remediated (copy-in-place)         k1 plain  [unencrypted → sse-kms(required key, bucket key)]\n');
    expect(io.stdout.text).toContain('compliant                          k3 compliant  [sse-kms(required key, bucket key)]\n');
    expect(io.stdout.text).toContain('s3://data-bucket/: 5 object(s) processed, 0 left non-compliant\n');
    expect(existsSync(CHECKPOINT())).toBe(false);
    expect(code).toBe(EXIT.compliant);
  });

  it('reports what it could not fix and exits 1', async () => {
    givenObjects('data-bucket', [[['denied', 'sse-s3'], ['fine', 'compliant']]]);
    s3.on(CopyObjectCommand).rejects(s3Error('AccessDenied', 403, 'Access Denied'));
    const { code, io } = await remediate(['s3://data-bucket', '--json']);
    const lines = jsonLines(io.stdout.text);
    expect(lines.find((line) => line['key'] === 'denied')).toEqual({
      type: 'object',
      bucket: 'data-bucket',
      key: 'denied',
      outcome: 'failed',
      error: { code: 'AccessDenied', message: 'CopyObject failed: AccessDenied (HTTP 403): Access Denied', transient: false },
      before: 'sse-s3',
      after: 'sse-s3',
    });
    expect(lines.at(-1)).toEqual({
      type: 'summary',
      bucket: 'data-bucket',
      prefix: '',
      dryRun: false,
      processed: 2,
      alreadyDone: 0,
      byOutcome: { compliant: 1, 'failed (AccessDenied)': 1 },
      leftNonCompliant: 1,
      completed: true,
      checkpoint: null,
    });
    expect(code).toBe(EXIT.findings);
  });

  it('in report mode writes nothing and reports every non-compliant object', async () => {
    givenObjects('data-bucket', [[['a', 'sse-s3']]]);
    const { code, io } = await remediate(['s3://data-bucket', '--mode', 'report']);
    expect(writesSent()).toEqual([]);
    expect(io.stdout.text).toContain(`not remediated (report-only)       a  [sse-s3]: not compliant; enforce mode would re-encrypt it under ${REQUIRED}\n`);
    expect(code).toBe(EXIT.findings);
  });
});

describe('enforcer remediate: interruption and resumption', () => {
  it('Ctrl-C lets the object in flight finish, saves the checkpoint and exits 130; the next run resumes after it', async () => {
    givenEstate();
    const first = fakeIo(env(), { cwd });
    s3.on(CopyObjectCommand, { Key: KEYS[1] }).callsFake(async () => {
      first.interrupt();
      return { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: REQUIRED, BucketKeyEnabled: true };
    });
    const interrupted = await remediate(['s3://data-bucket', '--concurrency', '1'], first);
    expect(interrupted.code).toBe(EXIT.interrupted);
    expect(s3.commandCalls(HeadObjectCommand).map((call) => call.args[0].input.Key)).toEqual([KEYS[0], KEYS[1]]);
    expect(JSON.parse(readFileSync(CHECKPOINT(), 'utf8'))).toEqual({
      kind: 'enforcer-remediate-checkpoint',
      version: 1,
      bucket: 'data-bucket',
      prefix: '',
      lastKey: KEYS[1],
      doneAfter: [],
      processed: 2,
      startedAt: '2026-11-22T03:00:00.000Z',
      updatedAt: '2026-11-22T03:00:00.000Z',
    });
    expect(first.stderr.text).toBe('enforcer remediate: SIGINT: finishing the objects in flight, then saving the checkpoint (again to stop at once)\n');
    expect(first.stdout.text).toContain(`Interrupted: run the same command again to resume (checkpoint ${CHECKPOINT()}, after "${KEYS[1]}").\n`);
    expect(first.listening()).toBe(0);

    resetMocks();
    s3.on(CopyObjectCommand).resolves({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: REQUIRED, BucketKeyEnabled: true });
    givenObjects('data-bucket', [
      [[KEYS[2], 'compliant']],
      [
        [KEYS[3], 'other-key'],
        [KEYS[4], 'unencrypted'],
      ],
    ]);
    const resumed = await remediate(['s3://data-bucket', '--concurrency', '1']);
    expect(s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toEqual({ Bucket: 'data-bucket', MaxKeys: 1000, StartAfter: KEYS[1] });
    expect(s3.commandCalls(HeadObjectCommand).map((call) => call.args[0].input.Key)).toEqual([KEYS[2], KEYS[3], KEYS[4]]);
    expect(s3.commandCalls(CopyObjectCommand).map((call) => call.args[0].input.Key)).toEqual([KEYS[3], KEYS[4]]);
    expect(resumed.io.stderr.text).toBe(`enforcer remediate: resuming from ${CHECKPOINT()}: 2 object(s) done, continuing after "${KEYS[1]}"\n`);
    expect(existsSync(CHECKPOINT())).toBe(false);
    expect(resumed.code).toBe(EXIT.compliant);
  });

  it('does not look again at objects a previous run finished out of order (doneAfter)', async () => {
    writeFileSync(
      CHECKPOINT(),
      JSON.stringify({ kind: 'enforcer-remediate-checkpoint', version: 1, bucket: 'data-bucket', prefix: '', lastKey: 'a', doneAfter: ['c'], processed: 2, startedAt: 'x', updatedAt: 'y' }),
    );
    givenObjects('data-bucket', [[['b', 'sse-s3'], ['c', 'sse-s3'], ['d', 'compliant']]]);
    const { code, io } = await remediate(['s3://data-bucket', '--json']);
    expect(s3.commandCalls(HeadObjectCommand).map((call) => call.args[0].input.Key).sort()).toEqual(['b', 'd']);
    expect(jsonLines(io.stdout.text).at(-1)).toMatchObject({ processed: 2, alreadyDone: 1, completed: true });
    expect(code).toBe(EXIT.compliant);
  });

  it('--restart ignores the checkpoint and starts from the first key', async () => {
    writeFileSync(
      CHECKPOINT(),
      JSON.stringify({ kind: 'enforcer-remediate-checkpoint', version: 1, bucket: 'data-bucket', prefix: '', lastKey: 'z', doneAfter: [], processed: 9, startedAt: 'x', updatedAt: 'y' }),
    );
    givenObjects('data-bucket', [[['a', 'compliant']]]);
    const { code } = await remediate(['s3://data-bucket', '--restart']);
    expect(s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toEqual({ Bucket: 'data-bucket', MaxKeys: 1000 });
    expect(existsSync(CHECKPOINT())).toBe(false);
    expect(code).toBe(EXIT.compliant);
  });

  it('--resume-from KEY starts at KEY, inclusive, in listing order', async () => {
    givenObjects('data-bucket', [[['logs/2026-01-0', 'sse-s3'], ['logs/2026-01-09', 'sse-s3'], ['logs/2026-01-1', 'sse-s3'], ['logs/2026-01-10', 'sse-s3']]]);
    await remediate(['s3://data-bucket/logs/', '--resume-from', 'logs/2026-01-1', '--dry-run']);
    expect(s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toEqual({ Bucket: 'data-bucket', MaxKeys: 1000, Prefix: 'logs/', StartAfter: 'logs/2026-01-' });
    expect(s3.commandCalls(HeadObjectCommand).map((call) => call.args[0].input.Key).sort()).toEqual(['logs/2026-01-1', 'logs/2026-01-10']);
  });

  it('refuses a checkpoint of another prefix, or one it cannot read (exit 2)', async () => {
    writeFileSync(
      CHECKPOINT(),
      JSON.stringify({ kind: 'enforcer-remediate-checkpoint', version: 1, bucket: 'data-bucket', prefix: 'other/', doneAfter: [], processed: 1, startedAt: 'x', updatedAt: 'y' }),
    );
    const mismatch = await remediate(['s3://data-bucket/logs/']);
    expect(mismatch.code).toBe(EXIT.usage);
    expect(mismatch.io.stderr.text).toBe(
      `enforcer remediate: ${CHECKPOINT()}: the checkpoint is for s3://data-bucket/other/, not s3://data-bucket/logs/: pass --checkpoint FILE for a separate one, or --restart\nRun 'enforcer remediate --help' for usage.\n`,
    );
    writeFileSync(CHECKPOINT(), '{"kind":"something else"}');
    const corrupt = await remediate(['s3://data-bucket']);
    expect(corrupt.code).toBe(EXIT.usage);
    expect(corrupt.io.stderr.text).toContain(`checkpoint ${CHECKPOINT()} is not an enforcer remediate checkpoint: delete it, or pass --restart`);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(0);
  });

  it('--checkpoint FILE keeps the checkpoint where it is told', async () => {
    givenObjects('data-bucket', [[['a', 'sse-s3'], ['b', 'sse-s3']]]);
    const io = fakeIo(env(), { cwd });
    s3.on(CopyObjectCommand, { Key: 'a' }).callsFake(async () => {
      io.interrupt();
      return { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: REQUIRED };
    });
    const { code } = await remediate(['s3://data-bucket', '--checkpoint', 'state/run.json', '--concurrency', '1'], io);
    expect(code).toBe(EXIT.interrupted);
    expect(JSON.parse(readFileSync(join(cwd, 'state', 'run.json'), 'utf8'))).toMatchObject({ lastKey: 'a', processed: 1 });
  });
});
