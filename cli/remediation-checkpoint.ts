import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from './cli-errors.js';

/**
 * Where an interrupted `remediate` starts again. Keys are processed in listing order (S3's UTF-8
 * byte order) with some in flight at once, so the checkpoint is a frontier: every key up to
 * `lastKey` is done, and `doneAfter` lists the keys beyond it that finished early. A resumed run lists
 * from after `lastKey` and skips `doneAfter`, so no finished object is looked at again.
 * Losing the newest checkpoint (a crash between writes) only redoes objects, which is harmless:
 * enforcement is idempotent (a compliant object gets one HeadObject and no write).
 */
export interface RemediationCheckpoint {
  readonly kind: typeof CHECKPOINT_KIND;
  readonly version: 1;
  readonly bucket: string;
  readonly prefix: string;
  /** Set by --resume-from: keys before it are out of this run's scope. */
  readonly from?: string | undefined;
  readonly lastKey?: string | undefined;
  readonly doneAfter: readonly string[];
  /** Objects processed by every run so far. */
  readonly processed: number;
  readonly startedAt: string;
  readonly updatedAt: string;
}

export const CHECKPOINT_KIND = 'enforcer-remediate-checkpoint';

export const defaultCheckpointPath = (cwd: string, bucket: string): string => join(cwd, `.enforcer-checkpoint-${bucket}.json`);

const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

export const parseCheckpoint = (text: string, path: string): RemediationCheckpoint => {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UsageError(`checkpoint ${path} is not JSON: delete it, or pass --restart`, 'remediate');
  }
  const value = (raw ?? {}) as Record<string, unknown>;
  const valid =
    value['kind'] === CHECKPOINT_KIND &&
    value['version'] === 1 &&
    typeof value['bucket'] === 'string' &&
    typeof value['prefix'] === 'string' &&
    (value['from'] === undefined || typeof value['from'] === 'string') &&
    (value['lastKey'] === undefined || typeof value['lastKey'] === 'string') &&
    isStringList(value['doneAfter']) &&
    typeof value['processed'] === 'number' &&
    typeof value['startedAt'] === 'string' &&
    typeof value['updatedAt'] === 'string';
  if (!valid) throw new UsageError(`checkpoint ${path} is not an enforcer remediate checkpoint: delete it, or pass --restart`, 'remediate');
  return value as unknown as RemediationCheckpoint;
};

/** The checkpoint at `path`, or undefined when there is none. */
export const readCheckpoint = (path: string): RemediationCheckpoint | undefined => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read checkpoint ${path}: ${(error as Error).message}`, 'remediate');
  }
  return parseCheckpoint(text, path);
};

/** Written beside the target and renamed over it: a reader never sees half a checkpoint. */
export const writeCheckpoint = (path: string, checkpoint: RemediationCheckpoint): void => {
  const temporary = `${path}.${process.pid}.tmp`;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(temporary, `${JSON.stringify(checkpoint, null, 2)}\n`);
  renameSync(temporary, path);
};

export const removeCheckpoint = (path: string): void => rmSync(path, { force: true });

/** A checkpoint only resumes the run it was written by: the same bucket and prefix. */
export const checkpointMismatch = (checkpoint: RemediationCheckpoint, bucket: string, prefix: string): string | undefined =>
  checkpoint.bucket === bucket && checkpoint.prefix === prefix
    ? undefined
    : `the checkpoint is for s3://${checkpoint.bucket}/${checkpoint.prefix}, not s3://${bucket}/${prefix}: pass --checkpoint FILE for a separate one, or --restart`;

interface FrontierEntry {
  readonly key: string;
  done: boolean;
}

/**
 * Tracks which keys are done, in listing order. Keys are admitted in listing order and completed
 * in any order; `lastKey` only moves past a key once it and every key before it are done.
 */
export class ListingFrontier {
  private readonly entries: FrontierEntry[] = [];
  private readonly byKey = new Map<string, FrontierEntry>();
  private head = 0;
  private last: string | undefined;

  constructor(lastKey?: string | undefined) {
    this.last = lastKey;
  }

  get lastKey(): string | undefined {
    return this.last;
  }

  admit(key: string): void {
    const entry = { key, done: false };
    this.entries.push(entry);
    this.byKey.set(key, entry);
  }

  complete(key: string): void {
    const entry = this.byKey.get(key);
    if (!entry) throw new Error(`key ${JSON.stringify(key)} was completed but never admitted`);
    entry.done = true;
    while (this.head < this.entries.length && (this.entries[this.head] as FrontierEntry).done) {
      const passed = this.entries[this.head] as FrontierEntry;
      this.byKey.delete(passed.key);
      this.last = passed.key;
      this.head += 1;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Keys after lastKey that are done, in listing order. */
  doneAfter(): string[] {
    return this.entries.slice(this.head).flatMap((entry) => (entry.done ? [entry.key] : []));
  }
}
