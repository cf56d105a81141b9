/**
 * Scratch space for a report too large to hold in memory: text is appended to named files as the
 * audit goes, and read back once, in order, when the report is uploaded.
 */
export interface SpoolFile {
  append(text: string): void;
  /** UTF-8 bytes appended so far. */
  readonly bytes: number;
  /** The file's content from its start, once everything is appended (nothing can be appended after). */
  read(): AsyncIterable<Uint8Array>;
}

export interface ReportSpool {
  /** The file of that name, created on first use. */
  file(name: string): SpoolFile;
  /** Removes every file; the spool cannot be used afterwards. */
  discard(): Promise<void>;
}
