export interface StoredReport {
  readonly key: string;
  readonly body: string;
  readonly contentType: string;
  /** Reports are written SSE-KMS under this key. */
  readonly kmsKeyArn: string;
}

/** Where audit reports are kept, and read back as the state of the previous run. */
export interface ReportStore {
  /** The object's text, or undefined when there is none. */
  read(key: string): Promise<string | undefined>;
  write(report: StoredReport): Promise<void>;
}
