import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReportStore, StoredReport } from '../shared/ports/report-store.js';

/** Where a run without a reports bucket says its reports are: no bucket, and no key on a local disk. */
export const LOCAL_REPORTS = { bucket: 'local-run', keyArn: 'arn:aws:kms:us-east-1:000000000000:key/local-run-not-encrypted' } as const;

/**
 * Reports kept in a local directory instead of a bucket, for an organization audit run from the
 * command line without --reports-bucket: the run still files, reads back and merges each account's
 * report, and nothing is kept after it. No encryption key applies on a local disk.
 */
export class DirectoryReportStore implements ReportStore {
  constructor(private readonly root: string) {}

  private path(key: string): string {
    const path = resolve(this.root, key);
    if (relative(this.root, path).startsWith('..')) throw new Error(`report key "${key}" leaves the report directory`);
    return path;
  }

  async readLines(key: string): Promise<AsyncIterable<string> | undefined> {
    const path = this.path(key);
    const stream = createReadStream(path, { encoding: 'utf8' });
    const opened = await new Promise<boolean>((done, fail) => {
      stream.once('open', () => done(true));
      stream.once('error', (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? done(false) : fail(error)));
    });
    if (!opened) return undefined;
    return createInterface({ input: stream, crlfDelay: Infinity });
  }

  async write(report: StoredReport): Promise<void> {
    const path = this.path(report.key);
    await mkdir(dirname(path), { recursive: true });
    await pipeline(Readable.from(report.body(), { objectMode: false }), createWriteStream(path, { mode: 0o600 }));
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    const to = this.path(toKey);
    await mkdir(dirname(to), { recursive: true });
    await copyFile(this.path(fromKey), to);
  }
}
