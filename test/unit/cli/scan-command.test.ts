import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../../cli/exit-codes.js';
import { runCli } from '../../../cli/run-cli.js';
import { s3Error } from '../../fixtures/aws-errors.js';
import { givenObjects, resetMocks, s3, writesSent, type HeadName } from './support/aws-mocks.js';
import { baseEnv, fakeIo, jsonLines, OTHER } from './support/fake-io.js';

beforeEach(resetMocks);

const ESTATE: readonly (readonly (readonly [string, HeadName])[])[] = [
  [
    ['a/compliant.txt', 'compliant'],
    ['a/plain.txt', 'unencrypted'],
    ['b/Résumé 日本 + notes.txt', 'sse-s3'],
  ],
  [
    ['c/other key.bin', 'other-key'],
    ['d/dsse.bin', 'dsse-other'],
    ['e/also-compliant.txt', 'compliant'],
  ],
];

const scan = async (argv: string[], options: { tty?: boolean; env?: Record<string, string> } = {}) => {
  const io = fakeIo({ ...baseEnv(), ...options.env }, { tty: options.tty ?? false });
  const code = await runCli(['scan', ...argv], io);
  return { code, io };
};

describe('enforcer scan', () => {
  it('lists every page under the prefix, inspects each object once and writes nothing', async () => {
    givenObjects('data-bucket', ESTATE);
    const { code } = await scan(['s3://data-bucket/logs/']);
    expect(s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input)).toEqual([
      { Bucket: 'data-bucket', MaxKeys: 1000, Prefix: 'logs/' },
      { Bucket: 'data-bucket', MaxKeys: 1000, Prefix: 'logs/', ContinuationToken: 'token-1' },
    ]);
    expect(s3.commandCalls(HeadObjectCommand).map((call) => call.args[0].input.Key).sort()).toEqual(ESTATE.flat().map(([key]) => key).sort());
    expect(writesSent()).toEqual([]);
    expect(code).toBe(EXIT.findings);
  });

  it('prints the non-compliant objects and the counts by class', async () => {
    givenObjects('data-bucket', ESTATE);
    const { io } = await scan(['s3://data-bucket', '--concurrency', '1']);
    expect(io.stdout.text).toBe(
      [
        'CLASS                  ACTION                             SIZE  KEY',
        'unencrypted            copy-in-place                      42 B  a/plain.txt',
        'sse-s3                 update-in-place                    42 B  b/Résumé 日本 + notes.txt',
        'sse-kms-other-key      update-in-place                    42 B  c/other key.bin',
        'dsse-kms-other-key     copy-in-place                      42 B  d/dsse.bin',
        '',
        's3://data-bucket/: 6 object(s) scanned, 4 not compliant',
        '',
        'CLASS               OBJECTS',
        'compliant                 2',
        'unencrypted               1',
        'sse-s3                    1',
        'sse-kms-other-key         1',
        'dsse-kms-other-key        1',
        '',
      ].join('\n'),
    );
    expect(io.stderr.text).toBe('');
  });

  it('exits 0 when everything is compliant', async () => {
    givenObjects('data-bucket', [[['x', 'compliant']]]);
    const { code, io } = await scan(['s3://data-bucket']);
    expect(io.stdout.text).toBe('s3://data-bucket/: 1 object(s) scanned, 0 not compliant\n\nCLASS      OBJECTS\ncompliant        1\n');
    expect(code).toBe(EXIT.compliant);
  });

  it('--json: one line per non-compliant object, then a summary', async () => {
    givenObjects('data-bucket', [[['a', 'compliant'], ['b', 'other-key']]]);
    const { io } = await scan(['s3://data-bucket', '--json']);
    expect(jsonLines(io.stdout.text)).toEqual([
      {
        type: 'object',
        bucket: 'data-bucket',
        key: 'b',
        sizeBytes: 42,
        class: 'sse-kms-other-key',
        encryption: `sse-kms(${OTHER})`,
        action: expect.objectContaining({ kind: 'remediate', method: 'update-in-place' }),
      },
      { type: 'summary', bucket: 'data-bucket', prefix: '', objects: 2, nonCompliant: 1, errors: 0, byClass: { compliant: 1, 'sse-kms-other-key': 1 }, interrupted: false },
    ]);
  });

  it('objects that cannot be inspected are reported and make the exit code 3 when nothing else is wrong', async () => {
    givenObjects('data-bucket', [[['a', 'compliant'], ['locked', 'compliant']]]);
    s3.on(HeadObjectCommand, { Bucket: 'data-bucket', Key: 'locked' }).rejects(s3Error('AccessDenied', 403));
    const { code, io } = await scan(['s3://data-bucket', '--json']);
    expect(jsonLines(io.stdout.text)).toEqual([
      {
        type: 'object',
        bucket: 'data-bucket',
        key: 'locked',
        sizeBytes: 42,
        class: 'error',
        error: { code: 'AccessDenied', message: 'HeadObject failed: AccessDenied (HTTP 403): AccessDenied' },
      },
      { type: 'summary', bucket: 'data-bucket', prefix: '', objects: 2, nonCompliant: 0, errors: 1, byClass: { compliant: 1, error: 1 }, interrupted: false },
    ]);
    expect(code).toBe(EXIT.failure);
  });

  it('objects deleted since the listing count as gone, not as findings', async () => {
    givenObjects('data-bucket', [[['a', 'gone']]]);
    const { code, io } = await scan(['s3://data-bucket', '--json']);
    expect(jsonLines(io.stdout.text)).toEqual([
      { type: 'summary', bucket: 'data-bucket', prefix: '', objects: 1, nonCompliant: 0, errors: 0, byClass: { gone: 1 }, interrupted: false },
    ]);
    expect(code).toBe(EXIT.compliant);
  });

  it('draws a progress bar on stderr only when stderr is a terminal', async () => {
    givenObjects('data-bucket', [[['a', 'compliant'], ['b', 'sse-s3']]]);
    const piped = await scan(['s3://data-bucket']);
    expect(piped.io.stderr.text).toBe('');
    resetMocks();
    givenObjects('data-bucket', [[['a', 'compliant'], ['b', 'sse-s3']]]);
    const terminal = await scan(['s3://data-bucket'], { tty: true });
    expect(terminal.io.stderr.text).toContain('\r\x1b[Kscanning s3://data-bucket/ [########################] 2/2 · 1 non-compliant');
    expect(terminal.io.stderr.text.endsWith('\r\x1b[K')).toBe(true);
  });

  it('stops at Ctrl-C with the counts so far, exit 130', async () => {
    givenObjects('data-bucket', [[['a', 'sse-s3'], ['b', 'sse-s3'], ['c', 'sse-s3']]]);
    const io = fakeIo(baseEnv());
    s3.on(HeadObjectCommand, { Bucket: 'data-bucket', Key: 'a' }).callsFake(async () => {
      io.interrupt();
      return { ETag: '"e"', ContentLength: 1, ServerSideEncryption: 'AES256' };
    });
    const code = await runCli(['scan', 's3://data-bucket', '--concurrency', '1', '--json'], io);
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(1);
    expect(jsonLines(io.stdout.text).at(-1)).toEqual({
      type: 'summary',
      bucket: 'data-bucket',
      prefix: '',
      objects: 1,
      nonCompliant: 1,
      errors: 0,
      byClass: { 'sse-s3': 1 },
      interrupted: true,
    });
    expect(code).toBe(EXIT.interrupted);
    expect(io.listening()).toBe(0);
  });
});
