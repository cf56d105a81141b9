import type { Finding } from '../../shared/audit/finding.js';
import type { FixResult } from '../../shared/audit/plan-fixes.js';
import type { AuditOutcome } from './audit-account.js';

/** Where the run is written down: one line per fix and per failing finding, a summary, metrics. */
export interface AuditRecorder {
  /** Each finding once, as the run makes it. */
  findingRecorded(finding: Finding): void;
  factsGathered(counts: { buckets: number; unreachable: number; exempt: number; keys: number }): void;
  fixAttempted(result: FixResult): void;
  previousReportUnavailable(reason: string): void;
  /** The previous state was read, but the details of what changed could not be read back. */
  previousDetailsUnavailable(reason: string): void;
  reportNotWritten(what: string, error: unknown): void;
  runCompleted(outcome: AuditOutcome): void;
}
