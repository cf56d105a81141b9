import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReportStore, StoredReport } from '../shared/ports/report-store.js';

/**
 * The run's report store, which also writes one HTML page — the one `--html FILE` asks for — to a
 * local file as it is stored: the page is the one the run files, byte for byte. The local copy is
 * the command line's extra: when it cannot be written the report still counts as stored (the state
 * for the next run moves on), and `copyError` says why.
 */
export class HtmlCopyStore implements ReportStore {
  private copied: string | undefined;
  private failed: string | undefined;

  constructor(
    private readonly inner: ReportStore,
    private readonly isWanted: (key: string) => boolean,
    private readonly file: string,
  ) {}

  /** The key of the page written to the file, once it was. */
  get copiedKey(): string | undefined {
    return this.copied;
  }

  /** Why the page could not be written to the file. */
  get copyError(): string | undefined {
    return this.failed;
  }

  readLines(key: string): Promise<AsyncIterable<string> | undefined> {
    return this.inner.readLines(key);
  }

  async write(report: StoredReport): Promise<void> {
    await this.inner.write(report);
    if (!this.isWanted(report.key)) return;
    try {
      await mkdir(dirname(this.file), { recursive: true });
      await pipeline(Readable.from(report.body(), { objectMode: false }), createWriteStream(this.file, { mode: 0o644 }));
      this.copied = report.key;
    } catch (error) {
      this.failed = error instanceof Error ? error.message : String(error);
    }
  }

  copy(fromKey: string, toKey: string, kmsKeyArn: string): Promise<void> {
    return this.inner.copy(fromKey, toKey, kmsKeyArn);
  }
}
