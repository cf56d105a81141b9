/** Where a command writes; a terminal (isTTY) gets a progress bar and tables cut to its width. */
export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

/**
 * Everything a command touches outside AWS, so commands run the same under test as in a shell.
 * The entry point (enforcer.ts) binds it to the process.
 */
export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /**
   * The process environment: read for configuration, and written for the variables the SDK reads
   * itself (AWS_PROFILE, AWS_ENDPOINT_URL) when a flag overrides them.
   */
  readonly env: Record<string, string | undefined>;
  /** Where checkpoint files go by default. */
  readonly cwd: string;
  /** Calls `handler` on the first SIGINT or SIGTERM; returns a function that stops listening. */
  onInterrupt(handler: (signal: string) => void): () => void;
  readonly now: () => Date;
}
