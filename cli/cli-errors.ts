import { EnforcerError } from '../shared/errors.js';

/** The command line cannot be used as given: a flag, a value or an argument is wrong. */
export class UsageError extends EnforcerError {
  override readonly name = 'UsageError';
  readonly code = 'UsageError';
  constructor(
    message: string,
    /** The command whose `--help` explains the fix, if any. */
    readonly command?: string | undefined,
  ) {
    super(message);
  }
}
