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

export const TARGETS = Object.freeze({ throughputRatio: 0.9, loadRatio: 1.3, auditRatio: 1.2, auditMemoryGrowth: 1.2 });
