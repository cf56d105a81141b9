// What the bench measures, how often, and the targets its verdicts are against.

/** What is measured, and how often. Medians are of `…Runs` runs. */
export const SETTINGS = Object.freeze({
  latencyMs: 20,
  callsObjects: 10,
  // Enforce throughput: objects per run (one event; 10-message events), and the varying latency model.
  throughputObjects: 400,
  throughputBatchObjects: 160,
  throughputLatency: { meanMs: 20, spreadMs: 10 },
  throughputWarmup: 32,
  throughputRuns: 3,
  loadRuns: 21,
  // The 5,000-bucket audit takes about 20 s a run here: two runs keep the bench within minutes. One more
  // run per size probes the memory the audit holds (a full GC every auditProbeMs; never timed).
  auditProbeMs: 100,
  audits: [
    { buckets: 1000, runs: 3 },
    { buckets: 5000, runs: 2 },
  ],
  // One more size, probed for memory only (not timed): where the retained heap goes past 5,000 buckets.
  auditMemoryOnly: 10000,
  auditKeys: 100,
  pipelineObjects: 100,
  pipelineRuns: 3,
});

/**
 * The SDK's CPU time per call is the floor on these 2-core machines, so throughput and wall time are
 * judged against the bare SDK's own ceiling for the same calls, measured in the same run:
 * - enforceVsSdk: enforce throughput at least this fraction of the SDK's rate for the same commands;
 * - auditVsSdk: audit wall time at most this multiple of the SDK's time for the same calls.
 * The latency bounds (no CPU time at all) are printed beside them, as context.
 */
export const TARGETS = Object.freeze({ enforceVsSdk: 0.95, auditVsSdk: 1.1, loadRatio: 1.3, auditMemoryGrowth: 1.2 });
