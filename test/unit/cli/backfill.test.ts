import { describe, expect, it } from 'vitest';
import { backfill, startOf, type BackfillOptions } from '../../../cli/backfill.js';
import type { RemediationCheckpoint } from '../../../cli/remediation-checkpoint.js';
import type { ListedKey } from '../../../cli/s3-object-lister.js';

const NOW = new Date('2026-11-22T03:00:00Z');
const keysOf = (pages: readonly (readonly string[])[]): ListedKey[][] => pages.map((page) => page.map((key) => ({ key })));

/** A listing that honours StartAfter as S3 does (keys strictly after it), page by page. */
const listing = (pages: readonly (readonly string[])[], asked: (string | undefined)[]) => (startAfter: string | undefined) => {
  asked.push(startAfter);
  return (async function* () {
    for (const page of keysOf(pages)) {
      const rest = page.filter((item) => startAfter === undefined || Buffer.compare(Buffer.from(item.key), Buffer.from(startAfter)) > 0);
      if (rest.length > 0) yield rest;
    }
  })();
};

const run = (overrides: Partial<BackfillOptions> & Pick<BackfillOptions, 'listPages' | 'process'>) =>
  backfill({
    bucket: 'b-bucket',
    prefix: '',
    concurrency: 1,
    start: startOf(undefined, undefined, NOW),
    stopping: () => false,
    now: () => NOW,
    ...overrides,
  });

describe('backfill', () => {
  it('processes every key once, in listing order, and saves at the end of each page', async () => {
    const processed: string[] = [];
    const saved: RemediationCheckpoint[] = [];
    const result = await run({
      listPages: listing([['a', 'b'], ['c']], []),
      process: async (item) => {
        processed.push(item.key);
      },
      save: (checkpoint) => saved.push(checkpoint),
    });
    expect(processed).toEqual(['a', 'b', 'c']);
    expect(saved.map((checkpoint) => [checkpoint.lastKey, checkpoint.processed])).toEqual([
      ['b', 2],
      ['c', 3],
    ]);
    expect(result).toEqual({
      processed: 3,
      alreadyDone: 0,
      completed: true,
      checkpoint: { kind: 'enforcer-remediate-checkpoint', version: 1, bucket: 'b-bucket', prefix: '', lastKey: 'c', doneAfter: [], processed: 3, startedAt: NOW.toISOString(), updatedAt: NOW.toISOString() },
    });
  });

  it('a stop lets the keys in flight finish, in any order, and starts no other', async () => {
    let stop = false;
    const release: Record<string, () => void> = {};
    const started: string[] = [];
    const pending = run({
      concurrency: 3,
      listPages: listing([['a', 'b', 'c', 'd', 'e']], []),
      process: (item) =>
        new Promise<void>((resolve) => {
          started.push(item.key);
          release[item.key] = resolve;
        }),
      stopping: () => stop,
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual(['a', 'b', 'c']);
    stop = true;
    release['c']?.();
    release['b']?.();
    await new Promise((resolve) => setImmediate(resolve));
    release['a']?.();
    const result = await pending;
    expect(started).toEqual(['a', 'b', 'c']);
    expect(result.completed).toBe(false);
    expect(result.checkpoint).toMatchObject({ lastKey: 'c', doneAfter: [], processed: 3 });
  });

  it('a checkpoint saved while a key is in flight lists the keys after it that are done (doneAfter)', async () => {
    const release: Record<string, () => void> = {};
    const saved: RemediationCheckpoint[] = [];
    let clock = NOW.getTime();
    const pending = run({
      concurrency: 3,
      listPages: listing([['a', 'b', 'c']], []),
      process: (item) =>
        new Promise<void>((resolve) => {
          release[item.key] = resolve;
        }),
      // Every completion is more than a second after the last save: each one saves.
      now: () => new Date((clock += 1_500)),
      save: (checkpoint) => saved.push(checkpoint),
    });
    await new Promise((resolve) => setImmediate(resolve));
    release['c']?.();
    await new Promise((resolve) => setImmediate(resolve));
    release['b']?.();
    await new Promise((resolve) => setImmediate(resolve));
    release['a']?.();
    await pending;
    expect(saved.map((checkpoint) => [checkpoint.lastKey ?? null, checkpoint.doneAfter])).toEqual([
      [null, ['c']],
      [null, ['b', 'c']],
      ['c', []],
      ['c', []],
    ]);
  });

  it('resumes after lastKey and passes over doneAfter without processing them', async () => {
    const asked: (string | undefined)[] = [];
    const processed: string[] = [];
    const previous: RemediationCheckpoint = {
      kind: 'enforcer-remediate-checkpoint',
      version: 1,
      bucket: 'b-bucket',
      prefix: '',
      lastKey: 'b',
      doneAfter: ['d'],
      processed: 3,
      startedAt: '2026-11-21T00:00:00.000Z',
      updatedAt: '2026-11-21T00:10:00.000Z',
    };
    const result = await run({
      start: startOf(previous, undefined, NOW),
      listPages: listing([['a', 'b', 'c'], ['d', 'e']], asked),
      process: async (item) => {
        processed.push(item.key);
      },
    });
    expect(asked).toEqual(['b']);
    expect(processed).toEqual(['c', 'e']);
    expect(result).toMatchObject({ processed: 2, alreadyDone: 1, completed: true });
    expect(result.checkpoint).toMatchObject({ lastKey: 'e', doneAfter: [], processed: 5, startedAt: '2026-11-21T00:00:00.000Z' });
  });

  it('--resume-from: starts at the key, inclusive, and remembers it in the checkpoint', async () => {
    const asked: (string | undefined)[] = [];
    const processed: string[] = [];
    const result = await run({
      start: startOf(undefined, 'm2', NOW),
      listPages: listing([['m1', 'm10', 'm2', 'm20', 'm3']], asked),
      process: async (item) => {
        processed.push(item.key);
      },
    });
    expect(asked).toEqual(['m']);
    expect(processed).toEqual(['m2', 'm20', 'm3']);
    expect(result.checkpoint).toMatchObject({ from: 'm2', lastKey: 'm3' });
  });

  it('an interrupted --resume-from run keeps its start in the checkpoint, so the resumption stays in scope', async () => {
    let stop = false;
    const first = await run({
      start: startOf(undefined, 'm2', NOW),
      listPages: listing([['m1', 'm10', 'm2', 'm20', 'm3']], []),
      process: async () => {
        stop = true;
      },
      stopping: () => stop,
    });
    expect(first.checkpoint).toMatchObject({ from: 'm2', lastKey: 'm2', processed: 1 });
    const processed: string[] = [];
    await run({
      start: startOf(first.checkpoint, undefined, NOW),
      listPages: listing([['m1', 'm10', 'm2', 'm20', 'm3']], []),
      process: async (item) => {
        processed.push(item.key);
      },
    });
    expect(processed).toEqual(['m20', 'm3']);
  });

});
