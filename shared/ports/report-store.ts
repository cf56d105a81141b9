export interface StoredReport {
  readonly key: string;
  readonly contentType: string;
  /** Reports are written SSE-KMS under this key. */
  readonly kmsKeyArn: string;
  /**
   * The content in pieces, in order, from the start each time it is called (a retried upload reads
   * it again); `contentLength` is its exact size in bytes.
   */
  readonly body: () => AsyncIterable<Uint8Array | string>;
  readonly contentLength: number;
}

/** Where audit reports are kept, and read back as the state of the previous run. */
export interface ReportStore {
  /** The object's text line by line, streamed; undefined when there is no such object. */
  readLines(key: string): Promise<AsyncIterable<string> | undefined>;
  write(report: StoredReport): Promise<void>;
  /** A server-side copy within the store, re-encrypted under `kmsKeyArn`. */
  copy(fromKey: string, toKey: string, kmsKeyArn: string): Promise<void>;
}
