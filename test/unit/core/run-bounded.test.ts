import { describe, expect, it } from 'vitest';
import { mapBounded } from '../../../shared/core/run-bounded.js';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
};

describe('mapBounded', () => {
  it('keeps the input order and never runs more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const results = await mapBounded([5, 1, 4, 2, 3], 2, async (n) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((done) => setTimeout(done, n));
      running -= 1;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });

  it('after a failure starts nothing new, and rejects only once the work in flight has settled', async () => {
    const slow = deferred();
    const events: string[] = [];
    const run = mapBounded(['slow', 'fails', 'never-1', 'never-2'], 2, async (item) => {
      events.push(`start ${item}`);
      if (item === 'slow') await slow.promise;
      if (item === 'fails') throw new Error('part 2 refused');
      events.push(`end ${item}`);
      return item;
    });
    let settled = false;
    run.catch(() => (settled = true));
    await new Promise((done) => setTimeout(done, 10));
    expect(settled).toBe(false);
    slow.resolve();
    await expect(run).rejects.toThrow('part 2 refused');
    expect(events).toEqual(['start slow', 'start fails', 'end slow']);
  });
});
