import { describe, expect, it } from 'vitest';
import { forEachBoundedInOrder, mapBounded } from '../../../shared/core/run-bounded.js';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
};

/** Lets every promise that can settle, settle. */
const settle = () => new Promise((done) => setTimeout(done, 0));

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

describe('forEachBoundedInOrder', () => {
  /** Work whose items finish when the test says so, with a log of what happened in which order. */
  const controlled = (count: number) => {
    const gates = Array.from({ length: count }, deferred);
    const events: string[] = [];
    let running = 0;
    let most = 0;
    const work = async (item: number): Promise<string> => {
      running += 1;
      most = Math.max(most, running);
      events.push(`start ${item}`);
      await gates[item]?.promise;
      running -= 1;
      events.push(`end ${item}`);
      return `result ${item}`;
    };
    return { gates, events, work, most: () => most };
  };

  it('delivers in input order while later items finish first, holding those until the slow one arrives', async () => {
    const { gates, events, work, most } = controlled(5);
    const delivered: [string, number][] = [];
    const run = forEachBoundedInOrder([0, 1, 2, 3, 4], 3, work, (result, index) => {
      delivered.push([result, index]);
      events.push(`deliver ${index}`);
    });
    await settle();
    expect(events).toEqual(['start 0', 'start 1', 'start 2']);
    gates[2]?.resolve();
    await settle();
    gates[1]?.resolve();
    await settle();
    // 1 and 2 are done, but 0 is not: nothing is delivered yet; their places went to 3 and 4.
    expect(delivered).toEqual([]);
    expect(events).toEqual(['start 0', 'start 1', 'start 2', 'end 2', 'start 3', 'end 1', 'start 4']);
    gates[0]?.resolve();
    await settle();
    // The slow one arrives: it and everything finished behind it go out at once, in order.
    expect(delivered).toEqual([
      ['result 0', 0],
      ['result 1', 1],
      ['result 2', 2],
    ]);
    gates[4]?.resolve();
    gates[3]?.resolve();
    await run;
    expect(delivered.map(([, index]) => index)).toEqual([0, 1, 2, 3, 4]);
    expect(events.slice(-4)).toEqual(['end 4', 'end 3', 'deliver 3', 'deliver 4']);
    expect(most()).toBe(3);
  });

  it('never has more than the limit in flight, with timers finishing in any order, and a slow delivery', async () => {
    let running = 0;
    let most = 0;
    const delivered: number[] = [];
    const delays = [9, 1, 7, 3, 5, 2, 8, 4, 6, 0, 3, 1];
    await forEachBoundedInOrder(
      delays.map((delay, index) => ({ delay, index })),
      4,
      async ({ delay, index }) => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((done) => setTimeout(done, delay));
        running -= 1;
        return index;
      },
      async (index) => {
        await new Promise((done) => setTimeout(done, 1));
        delivered.push(index);
      },
    );
    expect(delivered).toEqual(delays.map((_, index) => index));
    expect(most).toBe(4);
  });

  it('does nothing for no items', async () => {
    const calls: string[] = [];
    await forEachBoundedInOrder([], 4, async () => calls.push('work'), () => void calls.push('deliver'));
    expect(calls).toEqual([]);
  });

  it('after a failed item starts nothing new, delivers nothing more, and rejects once the work in flight has settled', async () => {
    const slow = deferred();
    const events: string[] = [];
    const run = forEachBoundedInOrder(
      ['slow', 'fails', 'never-1', 'never-2'],
      2,
      async (item) => {
        events.push(`start ${item}`);
        if (item === 'slow') await slow.promise;
        if (item === 'fails') throw new Error('bucket 2 refused');
        events.push(`end ${item}`);
        return item;
      },
      (item) => void events.push(`deliver ${item}`),
    );
    let settled = false;
    run.catch(() => (settled = true));
    await settle();
    expect(settled).toBe(false);
    slow.resolve();
    await expect(run).rejects.toThrow('bucket 2 refused');
    expect(events).toEqual(['start slow', 'start fails', 'end slow']);
  });

  it('after a failed delivery starts nothing new, delivers nothing more, and rejects with it once the work in flight has settled', async () => {
    const { gates, events, work } = controlled(6);
    const run = forEachBoundedInOrder([0, 1, 2, 3, 4, 5], 2, work, (_result, index) => {
      events.push(`deliver ${index}`);
      if (index === 1) throw new Error('the spool is full');
    });
    let settled = false;
    run.catch(() => (settled = true));
    await settle();
    gates[1]?.resolve();
    await settle();
    expect(events).toEqual(['start 0', 'start 1', 'end 1', 'start 2']);
    gates[0]?.resolve();
    await settle();
    // Delivering 1 failed while 2 was in flight: the run waits for 2, and starts nothing after it.
    expect(events).toEqual(['start 0', 'start 1', 'end 1', 'start 2', 'end 0', 'deliver 0', 'deliver 1']);
    expect(settled).toBe(false);
    gates[2]?.resolve();
    await expect(run).rejects.toThrow('the spool is full');
    expect(events).toEqual(['start 0', 'start 1', 'end 1', 'start 2', 'end 0', 'deliver 0', 'deliver 1', 'end 2']);
  });

  it('a delivery that rejects counts as a failed delivery', async () => {
    const delivered: number[] = [];
    await expect(
      forEachBoundedInOrder([0, 1, 2, 3], 1, async (item) => item, async (item) => {
        if (item === 2) throw new Error('no room');
        delivered.push(item);
      }),
    ).rejects.toThrow('no room');
    expect(delivered).toEqual([0, 1]);
  });

  it('starts nothing more than `window` places ahead of a stuck item, and catches up once it arrives', async () => {
    let releaseFirst = (): void => undefined;
    const first = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const started: number[] = [];
    const delivered: number[] = [];
    const items = Array.from({ length: 40 }, (_, index) => index);
    const run = forEachBoundedInOrder(
      items,
      3,
      async (item) => {
        started.push(item);
        if (item === 0) await first;
        return item;
      },
      (item) => {
        delivered.push(item);
      },
      6,
    );
    for (let turn = 0; turn < 50; turn += 1) await Promise.resolve();
    await new Promise((resolve) => setTimeout(resolve, 10));
    // Item 0 is stuck: items 1..5 ran and wait to be delivered; item 6 is not started.
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(delivered).toEqual([]);
    releaseFirst();
    await run;
    expect(delivered).toEqual(items);
    expect(started.sort((a, b) => a - b)).toEqual(items);
  });
});

describe('the failure both rethrow', () => {
  it('is the very value the work threw, Error or not', async () => {
    const refusal = { code: 'AccessDenied' };
    await expect(mapBounded([1, 2, 3], 2, async (n) => (n === 2 ? Promise.reject(refusal) : n))).rejects.toBe(refusal);
    await expect(forEachBoundedInOrder([1, 2, 3], 2, async (n) => (n === 2 ? Promise.reject(refusal) : n), () => undefined)).rejects.toBe(refusal);
  });

  it('mapBounded returns an empty list for no items', async () => {
    await expect(mapBounded([], 4, async (n: number) => n)).resolves.toEqual([]);
  });
});
