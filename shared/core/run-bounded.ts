/**
 * Runs `work` over `items` with at most `limit` in flight; results keep the input order.
 * On the first failure no new item is started, and the failure is thrown only once every item
 * already started has settled: the caller's clean-up (aborting a multipart upload, say) never
 * races work still in flight.
 */
export const mapBounded = async <T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> => {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index] as T);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
};

/**
 * Like mapBounded, but hands each result to `deliver` as soon as it and every result before it
 * are ready, in input order, and keeps none: memory holds only results that finished ahead of a
 * slower one, and no item starts more than `window` places ahead of the first one not yet
 * delivered (a stuck item holds back at most that many results). A failure (of `work` or of
 * `deliver`) stops new work and is thrown once in-flight work has settled.
 */
export const forEachBoundedInOrder = async <T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
  deliver: (result: R, index: number) => void | Promise<void>,
  window: number = 4 * Math.max(1, limit),
): Promise<void> => {
  const ready = new Map<number, R>();
  let next = 0;
  let delivered = 0;
  let failure: { error: unknown } | undefined;
  let delivering: Promise<void> = Promise.resolve();
  let advanced: { promise: Promise<void>; resolve: () => void } | undefined;
  const signalAdvance = (): void => {
    advanced?.resolve();
    advanced = undefined;
  };
  const headAdvanced = (): Promise<void> => {
    if (!advanced) {
      let resolve = (): void => undefined;
      const promise = new Promise<void>((done) => {
        resolve = done;
      });
      advanced = { promise, resolve };
    }
    return advanced.promise;
  };
  const drain = async (): Promise<void> => {
    while (failure === undefined && ready.has(delivered)) {
      const index = delivered;
      const result = ready.get(index) as R;
      ready.delete(index);
      delivered += 1;
      signalAdvance();
      await deliver(result, index);
    }
  };
  const fail = (error: unknown): void => {
    failure ??= { error };
    signalAdvance();
  };
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      if (next - delivered >= Math.max(window, limit)) {
        await headAdvanced();
        continue;
      }
      const index = next++;
      try {
        ready.set(index, await work(items[index] as T));
        delivering = delivering.then(drain).catch(fail);
        await delivering;
      } catch (error) {
        fail(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  await delivering;
  if (failure !== undefined) throw failure.error;
};
