import { mapBounded } from '../shared/core/run-bounded.js';
import { listingFrom, type ListedKey } from './s3-object-lister.js';
import { readAhead } from './read-ahead.js';
import { CHECKPOINT_KIND, ListingFrontier, type RemediationCheckpoint } from './remediation-checkpoint.js';

/** Where a backfill starts: from the beginning, after a checkpoint, or at a key (--resume-from). */
export interface BackfillStart {
  readonly from?: string | undefined;
  readonly lastKey?: string | undefined;
  readonly doneAfter: readonly string[];
  readonly processed: number;
  readonly startedAt: string;
}

export interface BackfillOptions {
  readonly bucket: string;
  readonly prefix: string;
  readonly concurrency: number;
  readonly start: BackfillStart;
  /** ListObjectsV2 pages under the prefix, in listing order, after `startAfter`. */
  readonly listPages: (startAfter: string | undefined) => AsyncIterable<readonly ListedKey[]>;
  /** One object, to its final outcome; must not throw. */
  readonly process: (item: ListedKey) => Promise<void>;
  /** Stores a checkpoint; absent for a dry run, which writes nothing. */
  readonly save?: ((checkpoint: RemediationCheckpoint) => void) | undefined;
  /** True once the run is asked to stop: objects in flight finish, no new one starts. */
  readonly stopping: () => boolean;
  readonly now: () => Date;
  readonly onListed?: ((count: number) => void) | undefined;
}

export interface BackfillResult {
  /** Objects processed by this run. */
  readonly processed: number;
  /** Objects a previous run had finished, passed over without a call. */
  readonly alreadyDone: number;
  /** The listing was exhausted and every object processed. */
  readonly completed: boolean;
  readonly checkpoint: RemediationCheckpoint;
}

/** Saved at every page's end, and within a page at most this often. */
const SAVE_EVERY_MS = 1_000;

export const startOf = (checkpoint: RemediationCheckpoint | undefined, resumeFrom: string | undefined, now: Date): BackfillStart => {
  if (resumeFrom !== undefined) return { from: resumeFrom, doneAfter: [], processed: 0, startedAt: now.toISOString() };
  if (checkpoint) return checkpoint;
  return { doneAfter: [], processed: 0, startedAt: now.toISOString() };
};

/**
 * Processes every object under a prefix in listing order, `concurrency` at a time, one page after
 * another, and keeps a checkpoint of what is done: resumable, and never doing a finished object twice.
 */
export const backfill = async (options: BackfillOptions): Promise<BackfillResult> => {
  const { start } = options;
  const scope = start.from !== undefined ? listingFrom(start.from) : undefined;
  const startAfter = start.lastKey ?? scope?.startAfter;
  const frontier = new ListingFrontier(start.lastKey);
  const doneBefore = new Set(start.doneAfter);
  let processed = 0;
  let alreadyDone = 0;
  let lastSaved = options.now().getTime();

  const checkpoint = (): RemediationCheckpoint => ({
    kind: CHECKPOINT_KIND,
    version: 1,
    bucket: options.bucket,
    prefix: options.prefix,
    ...(start.from !== undefined ? { from: start.from } : {}),
    ...(frontier.lastKey !== undefined ? { lastKey: frontier.lastKey } : {}),
    doneAfter: frontier.doneAfter(),
    processed: start.processed + processed,
    startedAt: start.startedAt,
    updatedAt: options.now().toISOString(),
  });
  const save = (): void => {
    if (!options.save) return;
    options.save(checkpoint());
    lastSaved = options.now().getTime();
  };

  let exhausted = true;
  for await (const page of readAhead(options.listPages(startAfter))) {
    const inScope = scope ? page.filter((item) => scope.keep(item.key)) : page;
    const todo: ListedKey[] = [];
    for (const item of inScope) {
      frontier.admit(item.key);
      if (doneBefore.delete(item.key)) {
        frontier.complete(item.key);
        alreadyDone += 1;
      } else {
        todo.push(item);
      }
    }
    options.onListed?.(inScope.length);
    await mapBounded(todo, options.concurrency, async (item) => {
      if (options.stopping()) return;
      await options.process(item);
      frontier.complete(item.key);
      processed += 1;
      if (options.now().getTime() - lastSaved >= SAVE_EVERY_MS) save();
    });
    save();
    if (options.stopping()) {
      exhausted = false;
      break;
    }
  }
  return { processed, alreadyDone, completed: exhausted && !options.stopping(), checkpoint: checkpoint() };
};
