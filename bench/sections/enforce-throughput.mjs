// Section 2: enforce throughput with a simulated S3 latency per call (varying, and constant alongside),
// judged against the bare SDK's own ceiling for the same calls, measured in the same run: the very
// commands the enforcer sent for the case (traced), sent again by the same SDK client with no enforcer,
// at the same concurrency, latencies and simulated S3. Beside it, as context: the bound a pool of
// OBJECT_CONCURRENCY workers with no CPU time would reach, the simulation's own ceiling (the waits
// alone), and the CPU floor of one call.
import { ceilingVerdict, columns, markdownTable, passFail, say } from '../lib/output.mjs';
import { fixed, median } from '../lib/stats.mjs';
import { SETTINGS, TARGETS } from '../settings.mjs';

/** @import { RunEnforce } from '../lib/enforce-runner.mjs' */
/** @import { SectionReport, SummaryRow } from '../lib/output.mjs' */
/** @import { CeilingRun, ThroughputRun } from '../entries/enforce-figures.mjs' */
/** @typedef {{ rate: number, bound: number, ratio: number }} RunFigures */

const VARYING = SETTINGS.throughputLatency;
const varyingName = `varying ${VARYING.meanMs - VARYING.spreadMs}–${VARYING.meanMs + VARYING.spreadMs} ms (mean ${VARYING.meanMs})`;
const constantName = `constant ${SETTINGS.latencyMs} ms`;

/**
 * @typedef {object} ThroughputCase
 * @property {'auto' | 'copy'} strategy
 * @property {'BucketOwnerEnforced' | 'ObjectWriter'} ownership
 * @property {'compliant' | 'sse-s3' | 'unencrypted'} objectClass
 * @property {string} what
 * @property {number} [batch]
 * @property {number} [objects]
 */

/** @type {ThroughputCase[]} */
const THROUGHPUT_CASES = [
  { strategy: 'auto', ownership: 'BucketOwnerEnforced', objectClass: 'compliant', what: 'compliant, HeadObject only' },
  { strategy: 'auto', ownership: 'BucketOwnerEnforced', objectClass: 'sse-s3', what: 'SSE-S3, update in place' },
  { strategy: 'copy', ownership: 'BucketOwnerEnforced', objectClass: 'unencrypted', what: 'unencrypted, copy in place' },
  { strategy: 'copy', ownership: 'ObjectWriter', objectClass: 'unencrypted', what: 'unencrypted, copy, ACL carried' },
  { strategy: 'copy', ownership: 'BucketOwnerEnforced', objectClass: 'unencrypted', what: 'unencrypted, copy, 10-message batches', batch: 10, objects: SETTINGS.throughputBatchObjects },
];

/**
 * How long `durations` (each object's total simulated latency, in the order the objects were sent)
 * take with zero CPU on a greedy pool of `concurrency` workers: each worker takes the next object
 * of its batch when it finishes one, and each batch starts when the previous one has finished.
 * @param {readonly number[]} durations
 * @param {number} batch
 * @param {number} concurrency
 */
const poolMakespanMs = (durations, batch, concurrency) => {
  let total = 0;
  for (let first = 0; first < durations.length; first += batch) {
    /** @type {number[]} */
    const freeAt = new Array(Math.min(concurrency, durations.length - first)).fill(0);
    for (const duration of durations.slice(first, first + batch)) {
      const worker = freeAt.indexOf(Math.min(...freeAt));
      freeAt[worker] = /** @type {number} */ (freeAt[worker]) + duration;
    }
    total += Math.max(...freeAt);
  }
  return total;
};

/**
 * One run's rate, its bound and their ratio; valid only if every object ended compliant and every call's latency belongs to an object.
 * @param {ThroughputRun} run
 * @returns {RunFigures & { valid: boolean }}
 */
const throughputFigures = (run) => {
  const rate = run.objects / (run.elapsedMs / 1000);
  let bound;
  if (run.latency) {
    bound = run.objects / (poolMakespanMs(run.objectLatencyMs, run.batch, run.concurrency) / 1000);
  } else {
    let rounds = 0;
    for (let first = 0; first < run.objects; first += run.batch) rounds += Math.ceil(Math.min(run.batch, run.objects - first) / run.concurrency);
    bound = run.objects / ((rounds * (run.calls / run.objects) * /** @type {number} */ (run.latencyMs)) / 1000);
  }
  const valid = run.compliantAfter === run.objects && run.unattributedLatencyMs === 0 && run.objectLatencyMs.length === run.objects;
  return { rate, bound, ratio: rate / bound, valid };
};

/**
 * A ceiling run's rate against the bound of its own latencies.
 * @param {CeilingRun} run
 * @returns {RunFigures}
 */
const ceilingFigures = (run) => {
  const rate = run.objects / (run.elapsedMs / 1000);
  const bound = run.objects / (poolMakespanMs(run.objectLatencyMs, run.batch, run.concurrency) / 1000);
  return { rate, bound, ratio: rate / bound };
};

/** @param {readonly RunFigures[]} figures */
const medians = (figures) => ({
  rate: median(figures.map(({ rate }) => rate)),
  bound: median(figures.map(({ bound }) => bound)),
  ratio: median(figures.map(({ ratio }) => ratio)),
});

/** @param {Record<string, number>} counts */
const countsText = (counts) => Object.entries(counts).map(([name, count]) => `${name.replace(/Command$/, '')} ${count}`).join(', ');

/**
 * Why a ceiling run does not stand for the same calls as the enforcer's run of the same seed, if it does not.
 * @param {CeilingRun} ceiling
 * @param {ThroughputRun} enforced
 * @param {string} what
 * @returns {string | undefined}
 */
const ceilingMismatch = (ceiling, enforced, what) => {
  if (JSON.stringify(ceiling.byCommand) !== JSON.stringify(enforced.byCommand)) return `${what} sent ${countsText(ceiling.byCommand)}, the enforcer ${countsText(enforced.byCommand)}`;
  if (ceiling.objectLatencyMs.some((ms, index) => ms !== enforced.objectLatencyMs[index])) return `${what} waited other latencies than the enforcer's run of the same seed`;
  if (ceiling.refused > 0) return `${ceiling.refused} of the ${what}'s calls were refused`;
  if (ceiling.compliantAfter !== ceiling.objects) return `${ceiling.objects - ceiling.compliantAfter} objects did not end compliant in the ${what}`;
  return undefined;
};

/** @param {number} value */
const signed = (value) => {
  const magnitude = fixed(Math.abs(value), 3);
  return Number(magnitude) === 0 ? magnitude : `${value < 0 ? '−' : '+'}${magnitude}`;
};
/** @param {number[]} values */
const signedRange = (values) => `${signed(Math.min(...values))} to ${signed(Math.max(...values))}`;

/**
 * @param {RunEnforce} runEnforce
 * @returns {Promise<SectionReport>}
 */
export const measureEnforceThroughput = async (runEnforce) => {
  const target = `≥ ${TARGETS.enforceVsSdk}`;
  say(`\n2. Enforce throughput with simulated S3 latency per call ${varyingName}, and ${constantName} alongside`);
  say(`   target: at least ${TARGETS.enforceVsSdk} × the bare SDK's ceiling for the same calls (varying latency), measured in this run: the commands the enforcer`);
  say('   sent for the case, traced, sent again per object by the same SDK client with no enforcer, same concurrency, events, latencies and simulated S3');
  say('   context: bound = objects ÷ the time a greedy pool of OBJECT_CONCURRENCY workers takes over the same objects, in the same order and batches,');
  say("   each object taking its calls' simulated latencies summed and no CPU; with a constant latency that is objects ÷ (rounds × calls per object × latency)");

  /** @type {SummaryRow[]} */
  const summary = [];
  /** @type {string[]} */
  const verdictLines = [];
  /** @type {(string | number)[][]} */
  const throughputTable = [
    ['case', 'objects', 'objects/s', 'SDK ceiling', '× ceiling', 'verdict', 'bound', '× bound', 'ceiling × bound', 'waits alone × bound', `${constantName}: × bound`, 'calls/object', 'CPU/object, no latency', 'latency + CPU'],
  ];
  /** @type {(string | number)[][]} */
  const throughputDoc = [];
  /** @type {number[]} */
  const ratioDifferences = [];
  /** @type {number[]} */
  const pairedSpreads = [];
  /** @type {number | undefined} */
  let throughputConcurrency;
  for (const [caseIndex, { what, objects = SETTINGS.throughputObjects, ...testCase }] of THROUGHPUT_CASES.entries()) {
    const options = { ...testCase, objects, warmup: SETTINGS.throughputWarmup };
    // The commands the enforcer sends for this case, object by object, for the ceilings to send again.
    const traceFile = runEnforce.scratchFile(`enforce-trace-${caseIndex + 1}`);
    await runEnforce('trace', { ...options, traceFile });
    /** @type {ThroughputRun[]} */
    const varyingRuns = [];
    /** @type {ThroughputRun[]} */
    const constantRuns = [];
    /** @type {CeilingRun[]} */
    const sdkRuns = [];
    /** @type {CeilingRun[]} */
    const timerRuns = [];
    // Interleaved, so that a change in the machine's load during the case falls on the enforcer and on
    // its ceilings alike; run n of each uses seed n, so the enforcer and its ceilings wait the same latencies.
    for (let run = 0; run < SETTINGS.throughputRuns; run += 1) {
      const latency = { ...VARYING, seed: run + 1 };
      varyingRuns.push(await runEnforce('throughput', { ...options, latency }));
      constantRuns.push(await runEnforce('throughput', { ...options, latencyMs: SETTINGS.latencyMs }));
      sdkRuns.push(await runEnforce('sdk-ceiling', { ...options, latency, traceFile }));
      timerRuns.push(await runEnforce('timer-ceiling', { ...options, latency, traceFile }));
    }
    const cpuOnly = await runEnforce('throughput', { ...options, latencyMs: 0 });
    const first = /** @type {ThroughputRun} */ (varyingRuns[0]);
    const { concurrency, batch } = first;
    throughputConcurrency = concurrency;
    const callsPerObject = first.calls / objects;
    const varyingFigures = varyingRuns.map(throughputFigures);
    const varying = medians(varyingFigures);
    const varyingValid = varyingFigures.every(({ valid }) => valid);
    const constantFigures = constantRuns.map(throughputFigures);
    const constant = medians(constantFigures);
    const constantRatio = constantFigures.every(({ valid }) => valid) ? fixed(constant.ratio, 3) : 'INVALID';
    const sdkFigures = sdkRuns.map(ceilingFigures);
    const sdk = medians(sdkFigures);
    const timers = medians(timerRuns.map(ceilingFigures));
    const mismatch =
      sdkRuns.map((ceiling, run) => ceilingMismatch(ceiling, /** @type {ThroughputRun} */ (varyingRuns[run]), 'SDK ceiling')).find(Boolean) ??
      timerRuns.map((ceiling, run) => ceilingMismatch(ceiling, /** @type {ThroughputRun} */ (varyingRuns[run]), 'waits alone')).find(Boolean);
    const ratio = varying.rate / sdk.rate;
    const paired = varyingFigures.map(({ rate }, run) => rate / /** @type {RunFigures} */ (sdkFigures[run]).rate);
    pairedSpreads.push(Math.max(...paired) - Math.min(...paired));
    const result = !varyingValid ? 'INVALID (an object did not end compliant, or a call had no object)' : mismatch ? `INVALID (${mismatch})` : passFail(ratio >= TARGETS.enforceVsSdk);
    ratioDifferences.push(varying.ratio - constant.ratio);
    const cpuPerObject = cpuOnly.elapsedMs / objects;
    // What the rate would be if the process's own CPU time never overlapped the waiting.
    const serial = 1 / (1 / varying.bound + cpuPerObject / 1000);
    const row = [
      fixed(varying.rate),
      fixed(sdk.rate),
      fixed(ratio, 3),
      result,
      fixed(varying.bound),
      fixed(varying.ratio, 3),
      fixed(sdk.ratio, 3),
      fixed(timers.ratio, 3),
      constantRatio,
      fixed(callsPerObject, 2),
      `${fixed(cpuPerObject, 2)} ms`,
      fixed(serial),
    ];
    throughputTable.push([what, objects, ...row]);
    throughputDoc.push([what, batch, objects, ...row.slice(0, 4), paired.map((value) => fixed(value, 3)).join(', '), ...row.slice(4)]);
    verdictLines.push(ceilingVerdict({ name: `enforce, ${what}`, value: `${fixed(varying.rate)} objects/s`, ratio, ceiling: `${fixed(sdk.rate)} objects/s`, target, result }));
    summary.push({
      figure: `enforce throughput: ${what}`,
      value:
        `${fixed(varying.rate)} objects/s = ${fixed(ratio, 3)} × SDK ceiling ${fixed(sdk.rate)} objects/s, latency ${varyingName} ` +
        `(context: ${fixed(varying.ratio, 3)} of the bound ${fixed(varying.bound)}, SDK ceiling ${fixed(sdk.ratio, 3)} of it, simulated waits alone ${fixed(timers.ratio, 3)}; ${constantName}: ${constantRatio})`,
      target: `${target} × SDK ceiling`,
      result,
    });
  }
  const concurrency = /** @type {number} */ (throughputConcurrency);
  const floor = await runEnforce('sdk-floor', { concurrency });
  say(columns(throughputTable, '   '));
  say(`   (OBJECT_CONCURRENCY ${concurrency}; objects per run after ${SETTINGS.throughputWarmup} untimed warm-up objects without latency; ${SETTINGS.throughputRuns} runs per model and ceiling, interleaved, seeds 1–${SETTINGS.throughputRuns};`);
  say('    objects/s, SDK ceiling and bound: medians of the runs; "× ceiling": the two medians\' ratio; "× bound": median of the runs\' ratios, each run');
  say("    against the bound of its own latencies; \"waits alone\": the same pool waiting the same latencies, no SDK and no enforcer (what Node's timers leave);");
  say('    "CPU/object, no latency": the same run with the latency at 0, the time the process itself spends per object;');
  say('    "latency + CPU": 1 ÷ (1 ÷ varying bound + CPU/object), the rate if that CPU time never overlapped the waiting)');
  say(`   varying ratio − constant ratio (to the bound): ${signedRange(ratioDifferences)} across the cases; run-by-run × ceiling spread within a case: up to ${fixed(Math.max(...pairedSpreads), 3)}`);
  say(`   floor: the SDK client and the simulated S3 alone take ${fixed(floor.headMs, 2)} ms of CPU per HeadObject and ${fixed(floor.copyMs, 2)} ms per CopyObject (${floor.concurrency} in flight, no latency);`);
  say(`   of that, the simulated S3 building an answer takes ${fixed(floor.answerMs, 3)} ms`);
  say(`   verdicts (varying latency, against the SDK's ceiling for the same calls in this run):`);
  for (const line of verdictLines) say(`   ${line}`);

  return {
    summary,
    markdown: [
      '## 2. Enforce throughput with simulated S3 latency',
      '',
      `\`enforceInvocation\` over the real adapter and SDK client, in a warm execution environment (${SETTINGS.throughputWarmup} objects handled first, untimed and without latency), the`,
      `objects of a run sent as one SQS event (${SETTINGS.throughputObjects} objects) or as 10-message events one after another (${SETTINGS.throughputBatchObjects} objects), the real Powertools`,
      `recorder writing its log line per object. \`OBJECT_CONCURRENCY\` ${concurrency} (the default). The simulated S3 answers each call after a latency:`,
      '',
      `- **${varyingName}**, the headline figure: each call waits a whole number of milliseconds drawn uniformly from ${VARYING.meanMs - VARYING.spreadMs} to ${VARYING.meanMs + VARYING.spreadMs}, from a seeded`,
      '  pseudo-random sequence of its object\'s own (mulberry32, seeded from the run\'s seed and the object\'s key; run *n* uses seed *n*): the *k*-th call for',
      '  an object waits the same in every run of that seed, whoever sends it. The latency each call drew is recorded against its object.',
      `- **${constantName}** for every call, alongside for comparison.`,
      '',
      `**Target: at least ${TARGETS.enforceVsSdk} × the bare SDK's ceiling for the same calls, measured in the same run.** The SDK's CPU time per call is the floor on`,
      'this machine, so the enforcer is judged against what the SDK alone reaches making the same calls. For each case the commands the enforcer sends',
      'are first traced (a run without latency, every command\'s name and input recorded against its object). The SDK ceiling then sends those very',
      'commands again, object by object in the order the enforcer sent them, through the same SDK client (same settings and tuning) with no enforcer,',
      'no SQS event and no logging, to a fresh copy of the same simulated bucket, with the same warm-up, the same events, `OBJECT_CONCURRENCY` workers',
      'and the same latencies per object (the same seed). A ceiling run stands only if it sent the same commands as the enforcer\'s run of that seed',
      `and waited the same latencies per object; otherwise the verdict is INVALID. ${SETTINGS.throughputRuns} runs of each, interleaved with the enforcer's; "× ceiling" is the`,
      "median objects/s over the ceiling's median objects/s (\"runs: × ceiling\" lists each run against the ceiling run of its seed).",
      '',
      'Context, not the verdict — bound: objects ÷ the time the same objects take on a greedy pool of `OBJECT_CONCURRENCY` workers with no CPU time at all —',
      'each object lasting the sum of the latencies its calls drew (its calls are sequential), each worker taking the next object of the event as soon',
      'as it finishes one, in the order the objects were sent, and each event starting when the previous one has finished, as the run does. With a',
      'constant latency this is objects ÷ (rounds × calls per object × latency), rounds = Σ⌈event size ÷ concurrency⌉; for one large event, concurrency ÷',
      '(calls per object × latency). Each run is measured against the bound of its own latencies ("× bound" is the median of the runs\' ratios), and so',
      'are the SDK ceiling ("ceiling × bound") and the simulation\'s own ceiling ("waits alone × bound": the same pool waiting the same latencies per',
      "object, with no SDK and no enforcer — Node's timers end each wait a little after the latency drawn, so that much of the bound no code reaches here).",
      '',
      'Why both latency models: with a constant latency the calls the workers send together come back together, round after round, so the workers tend to stay',
      "in lockstep and the CPU time of each call (the SDK's parsing and signing, the use case, logging) queues behind the other workers' instead of",
      "overlapping their waiting. S3's latency is never constant: with a varying latency the workers fall out of step and one",
      "worker's CPU time overlaps the others' waiting, so the varying figure is the realistic one. Measured here, the varying ratio minus the",
      `constant ratio (each to its bound) ranges from ${signedRange(ratioDifferences)} across the cases.`,
      '',
      '"CPU/object, no latency" is the same run with the latency at 0: the time the process itself spends per object (SDK serialisation, signing and',
      'parsing, the use case, logging, and the simulated S3 building its answers), which the bound leaves out.',
      '',
      markdownTable(
        [
          'case',
          'batch',
          'objects',
          'objects/s (median)',
          'SDK ceiling (objects/s)',
          '× ceiling',
          'verdict',
          'runs: × ceiling',
          'bound',
          '× bound',
          'ceiling × bound',
          'waits alone × bound',
          `${constantName}: × bound`,
          'calls/object',
          'CPU/object, no latency',
          'latency + CPU (objects/s)',
        ],
        throughputDoc,
      ),
      '',
      ...verdictLines.map((line) => `- ${line}`),
      '',
      `Floor: the SDK client and the simulated S3 alone, with no enforcer and no latency, take ${fixed(floor.headMs, 2)} ms of CPU per \`HeadObject\` and`,
      `${fixed(floor.copyMs, 2)} ms per \`CopyObject\` (${floor.concurrency} in flight), of which the simulated S3 building an answer is ${fixed(floor.answerMs, 3)} ms. The bound assumes the CPU time per call is small next to`,
      `the mean latency ÷ concurrency (${fixed(VARYING.meanMs / concurrency, 1)} ms here, the mean time between two calls completing). "Latency + CPU" is 1 ÷ (1 ÷ bound + CPU/object), with the varying model's bound: the rate`,
      "if the process's own CPU time never overlapped the waiting. An object's own CPU time can never overlap its own calls' waiting, only other",
      "objects', so even a perfect overlap leaves the ratio below about (calls per object × mean latency) ÷ (calls per object × mean latency + CPU/object).",
      '',
    ],
  };
};
