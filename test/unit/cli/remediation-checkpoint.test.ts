import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../../cli/cli-errors.js';
import {
  checkpointMismatch,
  defaultCheckpointPath,
  ListingFrontier,
  readCheckpoint,
  removeCheckpoint,
  writeCheckpoint,
  type RemediationCheckpoint,
} from '../../../cli/remediation-checkpoint.js';

const CHECKPOINT: RemediationCheckpoint = {
  kind: 'enforcer-remediate-checkpoint',
  version: 1,
  bucket: 'data-bucket',
  prefix: 'logs/',
  lastKey: 'logs/b',
  doneAfter: ['logs/d'],
  processed: 3,
  startedAt: '2026-11-22T03:00:00.000Z',
  updatedAt: '2026-11-22T03:05:00.000Z',
};

describe('ListingFrontier', () => {
  it('moves lastKey only past keys that are done with every key before them', () => {
    const frontier = new ListingFrontier();
    for (const key of ['a', 'b', 'c', 'd']) frontier.admit(key);
    frontier.complete('b');
    expect([frontier.lastKey, frontier.doneAfter()]).toEqual([undefined, ['b']]);
    frontier.complete('d');
    expect([frontier.lastKey, frontier.doneAfter()]).toEqual([undefined, ['b', 'd']]);
    frontier.complete('a');
    expect([frontier.lastKey, frontier.doneAfter()]).toEqual(['b', ['d']]);
    frontier.complete('c');
    expect([frontier.lastKey, frontier.doneAfter()]).toEqual(['d', []]);
  });

  it('starts from a checkpoint', () => {
    const frontier = new ListingFrontier('m');
    expect(frontier.lastKey).toBe('m');
    frontier.admit('n');
    expect(frontier.lastKey).toBe('m');
    frontier.complete('n');
    expect(frontier.lastKey).toBe('n');
  });

  it('refuses a key it never admitted', () => {
    expect(() => new ListingFrontier().complete('x')).toThrow('key "x" was completed but never admitted');
  });

  it('keeps working past many keys (it drops what it has passed)', () => {
    const frontier = new ListingFrontier();
    const keys = Array.from({ length: 5000 }, (_, index) => `k${String(index).padStart(5, '0')}`);
    for (const key of keys) frontier.admit(key);
    for (const key of keys.slice(0, 4000)) frontier.complete(key);
    frontier.complete(keys[4500] as string);
    expect([frontier.lastKey, frontier.doneAfter()]).toEqual(['k03999', ['k04500']]);
  });
});

describe('checkpoint files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'enforcer-checkpoint-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('live in the working directory by default, named after the bucket', () => {
    expect(defaultCheckpointPath('/work/here', 'data-bucket')).toBe('/work/here/.enforcer-checkpoint-data-bucket.json');
  });

  it('round-trip, and leave no temporary file behind', () => {
    const path = join(dir, 'cp.json');
    expect(readCheckpoint(path)).toBeUndefined();
    writeCheckpoint(path, CHECKPOINT);
    expect(readCheckpoint(path)).toEqual(CHECKPOINT);
    expect(readFileSync(path, 'utf8').endsWith('}\n')).toBe(true);
    expect(readdirSync(dir)).toEqual(['cp.json']);
    removeCheckpoint(path);
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each([
    ['not JSON', 'not json', 'is not JSON: delete it, or pass --restart'],
    ['another document', '{"kind":"x"}', 'is not an enforcer remediate checkpoint: delete it, or pass --restart'],
    ['a wrong field type', JSON.stringify({ ...CHECKPOINT, doneAfter: 'logs/d' }), 'is not an enforcer remediate checkpoint'],
  ])('refuse %s as a usage error', (_name, text, message) => {
    const path = join(dir, 'cp.json');
    writeFileSync(path, text);
    expect(() => readCheckpoint(path)).toThrow(UsageError);
    expect(() => readCheckpoint(path)).toThrow(message);
  });

  it('only resume the same bucket and prefix', () => {
    expect(checkpointMismatch(CHECKPOINT, 'data-bucket', 'logs/')).toBeUndefined();
    expect(checkpointMismatch(CHECKPOINT, 'data-bucket', '')).toBe(
      'the checkpoint is for s3://data-bucket/logs/, not s3://data-bucket/: pass --checkpoint FILE for a separate one, or --restart',
    );
  });
});
