import type { RunRecorder } from './audit-run.js';
import type { ScanRecorder } from './scan-account.js';

/** Where an account's audit is written down: one line per fix and per failing finding, a summary, metrics. */
export type AuditRecorder = ScanRecorder & RunRecorder;
