import { Buffer } from 'node:buffer';
import { closeSync, createReadStream, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReportSpool, SpoolFile } from '../ports/report-spool.js';

/** Appends are gathered in memory up to this size, then written with one system call. */
const FLUSH_BYTES = 64 * 1024;

class LocalSpoolFile implements SpoolFile {
  private readonly fd: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  private written = 0;
  private closed = false;

  constructor(private readonly path: string) {
    this.fd = openSync(path, 'w', 0o600);
  }

  get bytes(): number {
    return this.written + this.pendingBytes;
  }

  append(text: string): void {
    if (this.closed) throw new Error(`spool file ${this.path} was already read`);
    this.pending.push(text);
    this.pendingBytes += Buffer.byteLength(text, 'utf8');
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  private flush(): void {
    if (this.pendingBytes === 0) return;
    const chunk = Buffer.from(this.pending.join(''), 'utf8');
    let offset = 0;
    while (offset < chunk.length) offset += writeSync(this.fd, chunk, offset, chunk.length - offset);
    this.written += chunk.length;
    this.pending = [];
    this.pendingBytes = 0;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    closeSync(this.fd);
    this.closed = true;
  }

  read(): AsyncIterable<Uint8Array> {
    this.close();
    return createReadStream(this.path, { highWaterMark: FLUSH_BYTES });
  }
}

const PREFIX = 'encryption-audit-';

export interface LocalReportSpoolOptions {
  /** Where the spool's directory is made; the system's temporary directory by default. */
  readonly parent?: string | undefined;
  /**
   * Remove spools a run left behind when it was stopped (a Lambda timeout leaves /tmp to the next
   * invocation). Only where runs never overlap, as in one Lambda execution environment.
   */
  readonly removeLeftovers?: boolean | undefined;
}

/**
 * A private directory under the system's temporary directory (Lambda: /tmp, 512 MB by default,
 * which holds the reports of tens of thousands of buckets). Files are readable by this user only.
 */
export class LocalReportSpool implements ReportSpool {
  private readonly directory: string;
  private readonly files = new Map<string, LocalSpoolFile>();

  constructor({ parent = tmpdir(), removeLeftovers = false }: LocalReportSpoolOptions = {}) {
    if (removeLeftovers) {
      for (const name of readdirSync(parent)) if (name.startsWith(PREFIX)) rmSync(join(parent, name), { recursive: true, force: true });
    }
    this.directory = mkdtempSync(join(parent, PREFIX));
  }

  file(name: string): SpoolFile {
    if (!/^[\w.-]+$/.test(name)) throw new Error(`spool file names are plain file names, not "${name}"`);
    let file = this.files.get(name);
    if (!file) {
      file = new LocalSpoolFile(join(this.directory, name));
      this.files.set(name, file);
    }
    return file;
  }

  async discard(): Promise<void> {
    for (const file of this.files.values()) file.close();
    this.files.clear();
    rmSync(this.directory, { recursive: true, force: true });
  }
}
