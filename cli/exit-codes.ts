/**
 * What `enforcer` exits with. Scripts branch on these, so they stay stable:
 * findings (1) are an answer, not a failure; a command that could not finish says so with 3.
 */
export const EXIT = {
  /** Everything looked at is compliant (or, for remediate, is now). */
  compliant: 0,
  /** Non-compliant objects found or left behind, or failing audit findings. */
  findings: 1,
  /** Bad arguments or configuration: nothing was looked at. */
  usage: 2,
  /** An AWS call failed so the command could not finish (access denied, no such bucket or object, network). */
  failure: 3,
  /** Stopped by SIGINT or SIGTERM (remediate saves its checkpoint first). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
