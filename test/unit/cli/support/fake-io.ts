import type { CliIo } from '../../../../cli/cli-io.js';

export interface CapturedStream {
  text: string;
  readonly isTTY: boolean;
  readonly columns: number;
  write(chunk: string): boolean;
}

const captured = (isTTY: boolean): CapturedStream => ({
  text: '',
  isTTY,
  columns: 100,
  write(chunk: string) {
    this.text += chunk;
    return true;
  },
});

export interface FakeIo extends CliIo {
  readonly stdout: CapturedStream;
  readonly stderr: CapturedStream;
  /** Delivers SIGINT to whoever is listening, as Ctrl-C would. */
  interrupt(): void;
  readonly listening: () => number;
}

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const REQUIRED = 'arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111';
export const OTHER = 'arn:aws:kms:us-east-1:123456789012:key/22222222-2222-2222-2222-222222222222';
export const TOPIC = 'arn:aws:sns:us-east-1:123456789012:findings';

/** The variables a deployed function would have, minus the topic (the CLI does not need one to read). */
export const baseEnv = (): Record<string, string | undefined> => ({ AWS_REGION: REGION, REQUIRED_KMS_KEY: 'alias/required' });

export const fakeIo = (env: Record<string, string | undefined> = baseEnv(), options: { cwd?: string; tty?: boolean } = {}): FakeIo => {
  const handlers = new Set<(signal: string) => void>();
  return {
    stdout: captured(options.tty ?? false),
    stderr: captured(options.tty ?? false),
    env,
    cwd: options.cwd ?? '/nonexistent-cwd',
    onInterrupt(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    interrupt() {
      for (const handler of [...handlers]) handler('SIGINT');
    },
    listening: () => handlers.size,
    now: () => new Date('2026-11-22T03:00:00Z'),
  };
};

/** Lines of JSON a command printed with --json (one object per line). */
export const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
