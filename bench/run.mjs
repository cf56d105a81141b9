// npm run bench: measures the enforcer on this machine, prints every figure with its target, and
// writes docs/BENCHMARKS.md. The bundles must be built first (the npm script runs `npm run build`): the figures are of
// the built bundles and of the code they are built from, bundled here with the same esbuild options.
//
// Everything stays on this machine: the model figures use a simulated S3/KMS/SNS at the SDK's HTTP
// boundary (bench/lib/simulated-*.mjs), the end-to-end figure moto's server on a loopback port.
// Every loop is bounded and every child process has a time limit; Ctrl-C stops them all.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { functionNames } from '../infra/build.mjs';
import { bundleEntry } from './lib/build-entry.mjs';
import { measureBundles } from './lib/bundle-figures.mjs';
import { MOTO_INSTALL_HINT, measurePipeline, motoMissing } from './lib/moto-pipeline.mjs';
import { runNode, stopChildren } from './lib/processes.mjs';
import { fixed, kib, median, mib } from './lib/stats.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(ROOT);
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** What is measured, and how often. Medians are of `…Runs` runs. */
const SETTINGS = Object.freeze({
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

const TARGETS = Object.freeze({ throughputRatio: 0.9, loadRatio: 1.3, auditRatio: 1.2, auditMemoryGrowth: 1.2 });

const say = (text = '') => process.stdout.write(`${text}\n`);
const verdict = (met) => (met ? 'MET' : 'MISSED');
const commandName = (name) => name.replace(/Command$/, '');

/** Rows of cells as aligned text columns. */
const columns = (rows, indent = '  ') => {
  const widths = rows[0].map((_, index) => Math.max(...rows.map((row) => String(row[index]).length)));
  return rows.map((row) => indent + row.map((cell, index) => String(cell).padEnd(widths[index])).join('  ').trimEnd()).join('\n');
};
const markdownTable = (header, rows) =>
  [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map((cell) => String(cell).replace(/\|/g, '\\|')).join(' | ')} |`)].join('\n');

const summary = [];
const record = (figure, value, target, result) => summary.push({ figure, value, target, result });
const doc = [];

// ---------------------------------------------------------------------------------------------
// Machine and preflight

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memory: totalmem(),
  node: process.version,
  os: `${type()} ${release()}`,
  date: new Date().toISOString(),
  loadBefore: loadavg(),
  commit: spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim() || 'unknown',
};

const missing = functionNames().filter((name) => !existsSync(join('dist', name, 'index.mjs')));
if (missing.length > 0) {
  say(`bench: no built bundle for ${missing.join(', ')}; run \`npm run build\` first`);
  process.exit(1);
}

const scratch = mkdtempSync(join(tmpdir(), 'enforcer-bench-'));
let moto;
const cleanUp = async () => {
  stopChildren();
  await moto?.stop();
  rmSync(scratch, { recursive: true, force: true });
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    say(`\nbench: ${signal}, stopping`);
    void cleanUp().finally(() => process.exit(130));
  });
}

// A copy of the built bundles, so a rebuild elsewhere during the run cannot change what is measured.
const functions = functionNames().map((name) => {
  const file = join(scratch, 'functions', name, 'index.mjs');
  mkdirSync(dirname(file), { recursive: true });
  copyFileSync(join('dist', name, 'index.mjs'), file);
  return { name, file };
});
const enforceBundle = functions.find(({ name }) => name === 'enforce-object-encryption')?.file;

const started = performance.now();
say(`S3 Encryption Enforcer benchmarks — ${machine.date}`);
say(`machine: ${machine.cpu}, ${machine.cores} cores, ${mib(machine.memory)}, ${machine.os}, Node ${machine.node}; load average ${machine.loadBefore.map((value) => fixed(value, 2)).join(' ')}`);
say(`commit ${machine.commit} (plus any uncommitted changes); simulated AWS latency per call: as each section says`);

doc.push(
  '# Benchmarks',
  '',
  'Generated by `npm run bench` (which builds the bundles first); do not edit by hand. Figures are medians of repeated runs on the machine below; they are',
  'measurements, including the ones that miss their target.',
  '',
  '## Machine',
  '',
  markdownTable(
    ['', ''],
    [
      ['date', machine.date],
      ['CPU', `${machine.cpu}, ${machine.cores} cores`],
      ['memory', mib(machine.memory)],
      ['OS', machine.os],
      ['Node', machine.node],
      ['load average at start (1, 5, 15 min)', machine.loadBefore.map((value) => fixed(value, 2)).join(', ')],
      ['commit', `${machine.commit} (plus any uncommitted changes)`],
    ],
  ),
  '',
);

let resultCount = 0;
const resultFileFor = (name) => join(scratch, `${name}-${(resultCount += 1)}.json`);
const buildEntry = async (entry, name) => (await bundleEntry(join('bench', 'entries', entry), scratch, name)).outfile;
const enforceFigures = await buildEntry('enforce-figures.mjs', 'enforce-figures');
const runEnforce = (task, options, timeoutMs = 180_000) => {
  const resultFile = resultFileFor(`enforce-${task}`);
  return runNode([enforceFigures, resultFile, task, JSON.stringify(options)], { resultFile, timeoutMs });
};

// ---------------------------------------------------------------------------------------------
// 1. API calls per object

say('\n1. S3 API calls per object (real S3ObjectStore, real S3Client, commands counted as sent)');
say('   minimum: 1 (HeadObject) for a compliant object; 2 (HeadObject + one write) otherwise');
const { rows: callRows } = await runEnforce('calls', { objects: SETTINGS.callsObjects });
const callsDoc = [];
const PRIMARY_WRITES = ['UpdateObjectEncryptionCommand', 'CopyObjectCommand', 'CreateMultipartUploadCommand'];
const COMMAND_ORDER = [
  'HeadObjectCommand',
  'GetBucketOwnershipControlsCommand',
  'GetObjectAclCommand',
  'GetObjectTaggingCommand',
  'UpdateObjectEncryptionCommand',
  'CopyObjectCommand',
  'CreateMultipartUploadCommand',
  'UploadPartCopyCommand',
  'CompleteMultipartUploadCommand',
];
const inOrder = (counts) => Object.entries(counts).sort(([a], [b]) => COMMAND_ORDER.indexOf(a) - COMMAND_ORDER.indexOf(b));
/** Why a call beyond HeadObject and one write is made, for the figures that are above the minimum. */
const WHY_EXTRA = {
  GetObjectAcl: 'reads the ACL, which a copy would reset to private (ACLs enabled)',
  GetObjectTagging: 'reads the tags, which a multipart upload does not carry',
  HeadObject: 'a second HEAD with checksum mode, to keep the checksum algorithm on a multipart copy',
  UploadPartCopy: 'one per part of MULTIPART_PART_BYTES',
  CompleteMultipartUpload: 'ends the multipart upload',
};
const whyExtra = new Set();
let callChecksFailed = 0;
for (const strategy of ['auto', 'copy']) {
  for (const ownership of ['BucketOwnerEnforced', 'ObjectWriter']) {
    const rows = callRows.filter((row) => row.strategy === strategy && row.ownership === ownership);
    say(`\n   strategy ${strategy}${strategy === 'auto' ? ' (UpdateObjectEncryption available)' : ''}, bucket ${ownership} (ACLs ${ownership === 'BucketOwnerEnforced' ? 'disabled' : 'enabled'})`);
    const table = [['class', 'calls/object', 'minimum', 'verdict', 'commands per object', 'then its own event']];
    for (const row of rows) {
      const perObject = Object.fromEntries(Object.entries(row.steady).map(([name, count]) => [name, count / row.objects]));
      const total = Object.values(perObject).reduce((sum, count) => sum + count, 0);
      const minimum = row.objectClass === 'compliant' ? 1 : 2;
      const extra = { ...perObject };
      extra.HeadObjectCommand -= 1;
      const write = PRIMARY_WRITES.find((name) => extra[name] > 0);
      if (write && minimum === 2) extra[write] -= 1;
      const extras = inOrder(extra).filter(([, count]) => count > 0).map(([name, count]) => `${commandName(name)}${count === 1 ? '' : ` ×${fixed(count, 0)}`}`);
      inOrder(extra).filter(([, count]) => count > 0).forEach(([name]) => whyExtra.add(commandName(name)));
      const breakdown = inOrder(perObject).map(([name, count]) => `${commandName(name)}${count === 1 ? '' : ` ×${fixed(count, count % 1 ? 2 : 0)}`}`).join(', ');
      const ownEvent = row.ownEvent ? `${fixed(Object.values(row.ownEvent.calls).reduce((a, b) => a + b, 0) / row.objects, 0)} (HeadObject, compliant)` : 'none fires';
      const expectedKind = row.objectClass === 'compliant' ? 'compliant' : 'remediated:';
      const outcomesOk = Object.keys(row.outcomes).every((kind) => kind.startsWith(expectedKind)) && row.compliantAfter === row.totalObjects;
      const ownEventOk = !row.ownEvent || Object.keys(row.ownEvent.outcomes).every((kind) => kind === 'compliant');
      if (!outcomesOk || !ownEventOk) callChecksFailed += 1;
      const result = total === minimum ? 'MET' : `MISSED (+${fixed(total - minimum, 0)}: ${extras.join(', ')})`;
      const shortResult = total === minimum ? 'MET' : `MISSED +${fixed(total - minimum, 0)}`;
      table.push([row.label, fixed(total, total % 1 ? 2 : 0), minimum, outcomesOk && ownEventOk ? shortResult : `INVALID (${JSON.stringify(row.outcomes)})`, breakdown, ownEvent]);
      callsDoc.push([strategy, ownership, row.label, fixed(total, total % 1 ? 2 : 0), minimum, result, breakdown, ownEvent]);
    }
    say(columns(table, '   '));
  }
}
const firstCopy = callRows.find((row) => row.objectClass === 'unencrypted' && row.strategy === 'copy' && row.ownership === 'BucketOwnerEnforced');
const perBucketOnce = Object.keys(firstCopy.first).filter((name) => !(name in firstCopy.steady)).map(commandName);
say(`\n   once per bucket per execution environment, before its first copy: ${perBucketOnce.join(', ') || 'nothing'}`);
const large = callRows.find((row) => row.objectClass === 'large-unencrypted');
const partCount = large.steady.UploadPartCopyCommand / large.objects;
const floorParts = Math.ceil(large.sizeBytes / (5 * 1024 ** 3));
say(`   over 5 GiB: MULTIPART_PART_BYTES is ${mib(large.partBytes)} by default, so a 6 GiB copy takes ${fixed(partCount, 0)} UploadPartCopy calls; S3's own floor for it is ${3 + floorParts} calls`);
say(`   (HeadObject, CreateMultipartUpload, ${floorParts} × UploadPartCopy of at most 5 GiB, CompleteMultipartUpload); HEAD again for the checksum and GetObjectTagging for the tags are the enforcer's.`);
if (callChecksFailed > 0) say(`   ${callChecksFailed} row(s) INVALID: an object did not end as expected; those counts are not figures.`);
record('API calls per object', `${callsDoc.filter((row) => row[5] === 'MET').length} of ${callsDoc.length} cases at the minimum`, 'the minimum (1 compliant, 2 otherwise)', callChecksFailed > 0 ? 'INVALID' : callsDoc.every((row) => row[5] === 'MET') ? 'MET' : 'MISSED in the cases listed');

doc.push(
  '## 1. S3 API calls per object',
  '',
  `The enforce use case (\`enforceInvocation\`) with the real \`S3ObjectStore\` and a real \`S3Client\` whose HTTP handler is a simulated S3; every`,
  `command is counted as it enters the client (retries are not commands). ${SETTINGS.callsObjects} objects per case after a first one in the same`,
  'execution environment; unversioned bucket; configuration from the real loader with defaults (`OBJECT_CONCURRENCY` 8, `MULTIPART_PART_BYTES` 64 MiB).',
  'Minimum: one `HeadObject` for a compliant object, `HeadObject` plus one write otherwise. "Its own event" is the `ObjectCreated:Copy` (or',
  '`CompleteMultipartUpload`) notification a copy fires, handled afterwards; update in place fires none.',
  '',
  markdownTable(['strategy', 'bucket', 'class', 'calls/object', 'minimum', 'verdict', 'commands per object', 'its own event'], callsDoc),
  '',
  `Once per bucket per execution environment, before its first copy: ${perBucketOnce.join(', ') || 'nothing'}.`,
  '',
  'Why the cases above the minimum make more calls:',
  '',
  ...[...whyExtra].map((name) => `- \`${name}\`: ${WHY_EXTRA[name] ?? 'see the commands column'}.`),
  '',
  `Over 5 GiB: with the default 64 MiB parts a 6 GiB copy takes ${fixed(partCount, 0)} \`UploadPartCopy\` calls; S3's own floor for a copy of that size is ${3 + floorParts}`,
  `calls (\`HeadObject\`, \`CreateMultipartUpload\`, ${floorParts} parts of at most 5 GiB, \`CompleteMultipartUpload\`). The copy strategy sends SSE-S3 objects over 5 GiB`,
  'through the multipart path too.',
  '',
);

// ---------------------------------------------------------------------------------------------
// 2. Enforce throughput

const VARYING = SETTINGS.throughputLatency;
const varyingName = `varying ${VARYING.meanMs - VARYING.spreadMs}–${VARYING.meanMs + VARYING.spreadMs} ms (mean ${VARYING.meanMs})`;
const constantName = `constant ${SETTINGS.latencyMs} ms`;

/**
 * How long `durations` (each object's total simulated latency, in the order the objects were sent)
 * take with zero CPU on a greedy pool of `concurrency` workers: each worker takes the next object
 * of its batch when it finishes one, and each batch starts when the previous one has finished.
 */
const poolMakespanMs = (durations, batch, concurrency) => {
  let total = 0;
  for (let first = 0; first < durations.length; first += batch) {
    const freeAt = new Array(Math.min(concurrency, durations.length - first)).fill(0);
    for (const duration of durations.slice(first, first + batch)) {
      const worker = freeAt.indexOf(Math.min(...freeAt));
      freeAt[worker] += duration;
    }
    total += Math.max(...freeAt);
  }
  return total;
};

say(`\n2. Enforce throughput with simulated S3 latency per call ${varyingName}, and ${constantName} alongside (target: at least ${TARGETS.throughputRatio} of the bound, varying latency)`);
say('   bound = objects ÷ the time a greedy pool of OBJECT_CONCURRENCY workers takes over the same objects, in the same order and batches,');
say("   each object taking its calls' simulated latencies summed and no CPU; with a constant latency that is objects ÷ (rounds × calls per object × latency)");
const THROUGHPUT_CASES = [
  { strategy: 'auto', ownership: 'BucketOwnerEnforced', objectClass: 'compliant', what: 'compliant, HeadObject only' },
  { strategy: 'auto', ownership: 'BucketOwnerEnforced', objectClass: 'sse-s3', what: 'SSE-S3, update in place' },
  { strategy: 'copy', ownership: 'BucketOwnerEnforced', objectClass: 'unencrypted', what: 'unencrypted, copy in place' },
  { strategy: 'copy', ownership: 'ObjectWriter', objectClass: 'unencrypted', what: 'unencrypted, copy, ACL carried' },
  { strategy: 'copy', ownership: 'BucketOwnerEnforced', objectClass: 'unencrypted', what: 'unencrypted, copy, 10-message batches', batch: 10, objects: SETTINGS.throughputBatchObjects },
];
/** One run's rate, its bound and their ratio; valid only if every object ended compliant and every call's latency belongs to an object. */
const throughputFigures = (run) => {
  const rate = run.objects / (run.elapsedMs / 1000);
  let bound;
  if (run.latency) {
    bound = run.objects / (poolMakespanMs(run.objectLatencyMs, run.batch, run.concurrency) / 1000);
  } else {
    let rounds = 0;
    for (let first = 0; first < run.objects; first += run.batch) rounds += Math.ceil(Math.min(run.batch, run.objects - first) / run.concurrency);
    bound = run.objects / ((rounds * (run.calls / run.objects) * run.latencyMs) / 1000);
  }
  const valid = run.compliantAfter === run.objects && run.unattributedLatencyMs === 0 && run.objectLatencyMs.length === run.objects;
  return { rate, bound, ratio: rate / bound, valid };
};
const summarise = (runs) => {
  const figures = runs.map(throughputFigures);
  return {
    figures,
    rate: median(figures.map(({ rate }) => rate)),
    bound: median(figures.map(({ bound }) => bound)),
    ratio: median(figures.map(({ ratio }) => ratio)),
    valid: figures.every(({ valid }) => valid),
  };
};
const throughputTable = [['case', 'objects', 'varying: objects/s', 'bound', 'ratio', 'verdict', `${constantName}: objects/s`, 'bound', 'ratio', 'calls/object', 'CPU/object, no latency', 'latency + CPU']];
const throughputDoc = [];
const ratioDifferences = [];
let throughputConcurrency;
/** The compliant case's ratio (varying latency), to set against the SDK's own ceiling. */
let compliantRatio;
/**
 * Ceilings over the compliant case, against the same bound: the SDK's own (the same client, latencies and
 * concurrency, no enforcer), and the simulation's own (the same waits alone: no SDK, no enforcer).
 */
const ceilingRuns = [];
const timerRuns = [];
const ceilingRun = async (task, seed, concurrency) => {
  const result = await runEnforce(task, { objects: SETTINGS.throughputObjects, concurrency, warmup: SETTINGS.throughputWarmup, latency: { ...VARYING, seed } });
  const rate = result.objects / (result.elapsedMs / 1000);
  const bound = result.objects / (poolMakespanMs(result.objectLatencyMs, result.batch, result.concurrency) / 1000);
  return { rate, bound, ratio: rate / bound };
};
for (const { what, objects = SETTINGS.throughputObjects, ...testCase } of THROUGHPUT_CASES) {
  const options = { ...testCase, objects, warmup: SETTINGS.throughputWarmup };
  const varyingRuns = [];
  const constantRuns = [];
  const withCeiling = testCase.objectClass === 'compliant' && testCase.batch === undefined;
  // Interleaved, so that a change in the machine's load during the case falls on both models (and,
  // for the compliant case, on the SDK's ceiling) alike.
  for (let run = 0; run < SETTINGS.throughputRuns; run += 1) {
    varyingRuns.push(await runEnforce('throughput', { ...options, latency: { ...VARYING, seed: run + 1 } }));
    constantRuns.push(await runEnforce('throughput', { ...options, latencyMs: SETTINGS.latencyMs }));
    if (withCeiling) {
      ceilingRuns.push(await ceilingRun('sdk-ceiling', run + 1, varyingRuns[0].concurrency));
      timerRuns.push(await ceilingRun('timer-ceiling', run + 1, varyingRuns[0].concurrency));
    }
  }
  const cpuOnly = await runEnforce('throughput', { ...options, latencyMs: 0 });
  const { concurrency, batch } = varyingRuns[0];
  throughputConcurrency = concurrency;
  const callsPerObject = varyingRuns[0].calls / objects;
  const varying = summarise(varyingRuns);
  const constant = summarise(constantRuns);
  const result = varying.valid ? verdict(varying.ratio >= TARGETS.throughputRatio) : 'INVALID (an object did not end compliant, or a call had no object)';
  const constantRatio = constant.valid ? fixed(constant.ratio, 3) : 'INVALID';
  ratioDifferences.push(varying.ratio - constant.ratio);
  const cpuPerObject = cpuOnly.elapsedMs / objects;
  // What the rate would be if the process's own CPU time never overlapped the waiting.
  const serial = 1 / (1 / varying.bound + cpuPerObject / 1000);
  throughputTable.push([what, objects, fixed(varying.rate), fixed(varying.bound), fixed(varying.ratio, 3), result, fixed(constant.rate), fixed(constant.bound), constantRatio, fixed(callsPerObject, 2), `${fixed(cpuPerObject, 2)} ms`, fixed(serial)]);
  throughputDoc.push([
    what,
    batch,
    objects,
    fixed(varying.rate),
    varying.figures.map(({ rate, ratio }) => `${fixed(rate)} (${fixed(ratio, 3)})`).join(', '),
    fixed(varying.bound),
    fixed(varying.ratio, 3),
    result,
    fixed(constant.rate),
    fixed(constant.bound),
    constantRatio,
    fixed(callsPerObject, 2),
    `${fixed(cpuPerObject, 2)} ms`,
    fixed(serial),
  ]);
  if (testCase.objectClass === 'compliant' && testCase.batch === undefined) compliantRatio = varying.ratio;
  record(`enforce throughput: ${what}`, `${fixed(varying.rate)} objects/s = ${fixed(varying.ratio, 3)} of ${fixed(varying.bound)}, latency ${varyingName} (${constantName}: ${constantRatio})`, `≥ ${TARGETS.throughputRatio} of the bound`, result);
}
const floor = await runEnforce('sdk-floor', { concurrency: throughputConcurrency });
const ceiling = { rate: median(ceilingRuns.map(({ rate }) => rate)), ratio: median(ceilingRuns.map(({ ratio }) => ratio)) };
const timerCeiling = median(timerRuns.map(({ ratio }) => ratio));
const signed = (value) => {
  const magnitude = fixed(Math.abs(value), 3);
  return Number(magnitude) === 0 ? magnitude : `${value < 0 ? '−' : '+'}${magnitude}`;
};
const signedRange = (values) => `${signed(Math.min(...values))} to ${signed(Math.max(...values))}`;
say(columns(throughputTable, '   '));
say(`   (OBJECT_CONCURRENCY ${throughputConcurrency}; objects per run after ${SETTINGS.throughputWarmup} untimed warm-up objects without latency; ${SETTINGS.throughputRuns} runs per model, seeds 1–${SETTINGS.throughputRuns} for the varying latency;`);
say('    objects/s and bound: medians of the runs; ratio: median of the runs\' ratios, each run against the bound of its own latencies;');
say('    "CPU/object, no latency": the same run with the latency at 0, the time the process itself spends per object;');
say('    "latency + CPU": 1 ÷ (1 ÷ varying bound + CPU/object), the rate if that CPU time never overlapped the waiting)');
say(`   varying ratio − constant ratio: ${signedRange(ratioDifferences)} across the cases`);
say(`   floor: the SDK client and the simulated S3 alone take ${fixed(floor.headMs, 2)} ms of CPU per HeadObject and ${fixed(floor.copyMs, 2)} ms per CopyObject (${floor.concurrency} in flight, no latency);`);
say(`   of that, the simulated S3 building an answer takes ${fixed(floor.answerMs, 3)} ms`);
say(
  `   SDK ceiling: the same client alone, one HeadObject per object, same latencies and concurrency, no enforcer: ${fixed(ceiling.rate)} objects/s = ${fixed(ceiling.ratio, 3)} of its bound` +
    (compliantRatio ? `; the compliant case reaches ${fixed(compliantRatio / ceiling.ratio, 3)} of that` : ''),
);
say(`   the simulation alone: the same pool waiting the same latencies, no SDK and no enforcer: ${fixed(timerCeiling, 3)} of its bound (what Node's timers leave)`);
record(
  'SDK ceiling for the compliant case',
  `${fixed(ceiling.rate)} objects/s = ${fixed(ceiling.ratio, 3)} of the bound (bare client, no enforcer)${compliantRatio ? `; compliant case at ${fixed(compliantRatio / ceiling.ratio, 3)} of it` : ''}; the simulated waits alone: ${fixed(timerCeiling, 3)}`,
  'none (informational)',
  'measured',
);

doc.push(
  '## 2. Enforce throughput with simulated S3 latency',
  '',
  `\`enforceInvocation\` over the real adapter and SDK client, in a warm execution environment (${SETTINGS.throughputWarmup} objects handled first, untimed and without latency), the`,
  `objects of a run sent as one SQS event (${SETTINGS.throughputObjects} objects) or as 10-message events one after another (${SETTINGS.throughputBatchObjects} objects), the real Powertools`,
  `recorder writing its log line per object. \`OBJECT_CONCURRENCY\` ${throughputConcurrency} (the default). The simulated S3 answers each call after a latency:`,
  '',
  `- **${varyingName}**, the headline figure: each call waits a whole number of milliseconds drawn uniformly from ${VARYING.meanMs - VARYING.spreadMs} to ${VARYING.meanMs + VARYING.spreadMs}, from a seeded`,
  `  pseudo-random sequence (mulberry32; run *n* uses seed *n*), so every run is reproducible. The latency each call drew is recorded against its object.`,
  `- **${constantName}** for every call, alongside for comparison.`,
  '',
  'Bound: objects ÷ the time the same objects take on a greedy pool of `OBJECT_CONCURRENCY` workers with no CPU time at all — each object lasting',
  'the sum of the latencies its calls drew (its calls are sequential), each worker taking the next object of the event as soon as it finishes one,',
  'in the order the objects were sent, and each event starting when the previous one has finished, as the run does. With a constant latency',
  'this is objects ÷ (rounds × calls per object × latency), rounds = Σ⌈event size ÷ concurrency⌉; for one large event, concurrency ÷',
  `(calls per object × latency). Each run is measured against the bound of its own latencies. Target: at least ${TARGETS.throughputRatio} of the bound, with the`,
  `varying latency. ${SETTINGS.throughputRuns} runs per model, interleaved; objects/s and bound are the medians of the runs, ratio the median of the runs' ratios ("runs" lists`,
  'each run\'s objects/s and ratio).',
  '',
  'Why both: with a constant latency the calls the workers send together come back together, round after round, so the workers tend to stay',
  "in lockstep and the CPU time of each call (the SDK's parsing and signing, the use case, logging) queues behind the other workers' instead of",
  "overlapping their waiting. S3's latency is never constant: with a varying latency the workers fall out of step and one",
  "worker's CPU time overlaps the others' waiting, so the varying figure is the realistic one. Measured here, the varying ratio minus the",
  `constant ratio ranges from ${signedRange(ratioDifferences)} across the cases.`,
  '',
  '"CPU/object, no latency" is the same run with the latency at 0: the time the process itself spends per object (SDK serialisation, signing and',
  'parsing, the use case, logging, and the simulated S3 building its answers), which the bound leaves out.',
  '',
  markdownTable(
    ['case', 'batch', 'objects', 'objects/s (median)', 'runs: objects/s (ratio)', 'bound', 'ratio', 'verdict', `${constantName}: objects/s`, `${constantName}: bound`, `${constantName}: ratio`, 'calls/object', 'CPU/object, no latency', 'latency + CPU (objects/s)'],
    throughputDoc,
  ),
  '',
  `Floor: the SDK client and the simulated S3 alone, with no enforcer and no latency, take ${fixed(floor.headMs, 2)} ms of CPU per \`HeadObject\` and`,
  `${fixed(floor.copyMs, 2)} ms per \`CopyObject\` (${floor.concurrency} in flight), of which the simulated S3 building an answer is ${fixed(floor.answerMs, 3)} ms. The bound assumes the CPU time per call is small next to`,
  `the mean latency ÷ concurrency (${fixed(VARYING.meanMs / throughputConcurrency, 1)} ms here, the mean time between two calls completing). "Latency + CPU" is 1 ÷ (1 ÷ bound + CPU/object), with the varying model's bound: the rate`,
  "if the process's own CPU time never overlapped the waiting. An object's own CPU time can never overlap its own calls' waiting, only other",
  "objects', so even a perfect overlap leaves the ratio below about (calls per object × mean latency) ÷ (calls per object × mean latency + CPU/object).",
  '',
  `SDK ceiling: no enforcer at all — the same SDK client (same settings) sending the one \`HeadObject\` a compliant object needs, ${throughputConcurrency} at a time,`,
  `to the same simulated S3 with the same latency model (${SETTINGS.throughputRuns} runs, seeds 1–${SETTINGS.throughputRuns}, after the same warm-up, interleaved with the compliant case's runs), against the same bound: ${fixed(ceiling.rate)} objects/s =`,
  `**${fixed(ceiling.ratio, 3)}** of the bound (runs: ${ceilingRuns.map(({ ratio }) => fixed(ratio, 3)).join(', ')}). This is what any code built on the SDK reaches on this machine at this`,
  `latency and concurrency${compliantRatio ? `; the compliant case, with the whole enforcer, reaches ${fixed(compliantRatio / ceiling.ratio, 3)} of it` : ''}. A call's CPU`,
  'time is longer here than in the floor above: measured apart from this run, one `HeadObject` at a time took 0.4–0.6 ms back to back but added',
  'about 1.3 ms to each 20 ms wait, as the thread runs cold after every wait.',
  '',
  `The simulation's own ceiling: the same pool of workers waiting the same drawn latencies (${SETTINGS.throughputRuns} runs, seeds 1–${SETTINGS.throughputRuns}, interleaved as above), with no SDK`,
  `and no enforcer at all — nothing but the waits the bound is made of: **${fixed(timerCeiling, 3)}** of the bound (runs: ${timerRuns.map(({ ratio }) => fixed(ratio, 3)).join(', ')}). Node's timers end`,
  'each wait a little after the latency drawn, so that much of the bound no code reaches on this machine.',
  '',
);

// ---------------------------------------------------------------------------------------------
// 3. Bundles

say(`\n3. Bundles: size and module load time against a bare S3-client bundle (target: load at most ${TARGETS.loadRatio}× the bare bundle)`);
const bundles = await measureBundles({ scratch, runs: SETTINGS.loadRuns, functions });
const bundleTable = [['bundle', 'raw', 'zipped', 'size ×bare', 'load (median)', 'min–max', 'load ×bare', 'verdict', 'fastest ×bare fastest']];
const bundleDoc = [];
for (const bundle of bundles) {
  const result = bundle.baseline ? 'baseline' : bundle.informational ? 'informational' : verdict(bundle.loadRatio <= TARGETS.loadRatio);
  const row = [
    bundle.name,
    kib(bundle.rawBytes),
    kib(bundle.zipBytes),
    fixed(bundle.sizeRatio, 2),
    `${fixed(bundle.loadMsMedian)} ms`,
    `${fixed(bundle.loadMsMin)}–${fixed(bundle.loadMsMax)} ms`,
    fixed(bundle.loadRatio, 2),
    result,
    fixed(bundle.loadRatioOfMinimums, 2),
  ];
  bundleTable.push(row);
  bundleDoc.push(row);
  if (!bundle.baseline && !bundle.informational) record(`load time: ${bundle.name}`, `${fixed(bundle.loadMsMedian)} ms = ${fixed(bundle.loadRatio, 2)}× bare (${kib(bundle.rawBytes)}, ${kib(bundle.zipBytes)} zipped)`, `≤ ${TARGETS.loadRatio}× bare`, result);
}
say(columns(bundleTable, '   '));
say(`   (fresh \`node -e\` process importing each bundle from its file, ${SETTINGS.loadRuns} times each, interleaved; zipped = a one-file ZIP, deflate level 9;`);
say('    the verdict is on the medians; "fastest ×bare fastest" compares the quickest loads, which other work on the machine disturbs least)');

doc.push(
  '## 3. Bundle size and module load time',
  '',
  'Each built bundle (`dist/<function>/index.mjs`, copied at the start of the run) against a bare S3-client bundle',
  '(`bench/entries/bare-s3-handler.mjs`: an `S3Client` and a handler sending one `HeadObject`) built in the same run with the same esbuild options',
  '(`commonEsbuildOptions` of `infra/build.mjs`), which keep the SDK\'s whole default credential chain. The functions are built with one difference',
  '(`esbuildOptions`): their clients take credentials as Lambda supplies them (`shared/aws/lambda-credentials.ts`: the environment, or a container',
  'endpoint) instead of the chain\'s profiles, SSO, web identity and instance metadata, which never apply in Lambda; the bare handler built that way',
  `is shown too, for comparison, without a verdict. Load time: a fresh \`node -e\` process imports the bundle from its file (module evaluation included: the`,
  `functions read and validate their configuration and create their clients at load) and reports the time the import took; ${SETTINGS.loadRuns} runs per bundle,`,
  `interleaved in rotating order. Zipped: the bundle alone in a ZIP archive, deflate level 9. Target: load at most ${TARGETS.loadRatio}× the bare bundle, on the`,
  'medians; "fastest ×bare fastest" compares the quickest load of each, which other work on the machine disturbs least.',
  '',
  markdownTable(['bundle', 'raw', 'zipped', 'size ×bare', 'load (median)', 'min–max', 'load ×bare', 'verdict', 'fastest ×bare fastest'], bundleDoc),
  '',
);

// ---------------------------------------------------------------------------------------------
// 4. Audit

say(`\n4. Audit wall time and peak memory, ${SETTINGS.auditKeys} keys, every call taking ${SETTINGS.latencyMs} ms (targets: at most ${TARGETS.auditRatio}× the bound; memory flat in the number of buckets)`);
const auditDoc = [];
const auditResults = [];
let auditNotMeasured;
let auditFigures;
try {
  auditFigures = await buildEntry('audit-figures.mjs', 'audit-figures');
} catch (error) {
  auditNotMeasured = `the audit use case could not be bundled (${String(error.message).split('\n')[0].slice(0, 300)})`;
}

/**
 * The least time the audit's schedule allows at this concurrency, with every call taking the latency
 * and no CPU: rounds × latency. ListBuckets pages one after another (the previous report is read
 * meanwhile); the policy's key (DescribeKey, then rotation and key policy together); then the pool:
 * `concurrency` workers, each round a worker reads one bucket (its three reads together) or takes one
 * step of a key lookup (DescribeKey; rotation and policy together) for a key a bucket names first;
 * then the reports (JSON and Markdown together), the summary's parts one after another, the copy to
 * latest.json, and a second read of the previous report when anything changed.
 */
const auditBound = (run) => {
  const count = (name) => run.byCommand[`${name}Command`] ?? 0;
  const policyKeys = 1;
  const pool = count('GetBucketLocation') + run.buckets + 2 * Math.max(0, count('DescribeKey') - policyKeys);
  const rounds =
    Math.max(count('ListBuckets'), 1) +
    2 * policyKeys +
    Math.ceil(pool / run.concurrency) +
    Math.max(0, count('GetObject') - 1) +
    (count('PutObject') > 0 ? 1 : 0) +
    count('Publish') +
    count('CopyObject');
  return { rounds, ms: rounds * run.latencyMs };
};

/** Runs of the audit over `buckets` simulated buckets; the first, without a seed file yet, seeds the previous night. */
const auditRunner = (buckets) => {
  const seedFile = join(scratch, `audit-seed-${buckets}.json`);
  return (extra = {}) => {
    const resultFile = resultFileFor(`audit-${buckets}`);
    const options = { buckets, keys: SETTINGS.auditKeys, latencyMs: SETTINGS.latencyMs, seedFile, ...extra };
    return runNode(['--expose-gc', auditFigures, resultFile, JSON.stringify(options)], { resultFile, timeoutMs: 300_000 });
  };
};
let memoryOnly;

if (!auditNotMeasured) {
  try {
    for (const { buckets, runs: runCount } of SETTINGS.audits) {
      const runAudit = auditRunner(buckets);
      const seeded = await runAudit();
      const runs = [];
      for (let run = 0; run < runCount; run += 1) runs.push(await runAudit());
      const probe = await runAudit({ retainedProbeMs: SETTINGS.auditProbeMs });
      const bound = auditBound(runs[0]);
      const wallMs = median(runs.map((run) => run.wallMs));
      const retainedHeap = probe.retainedHeapUsed - probe.baseline.heapUsed;
      const retainedCode = probe.retainedCode - probe.baselineCode;
      const peakHeap = median(runs.map((run) => run.peak.heapUsed - run.baseline.heapUsed));
      const peakRss = median(runs.map((run) => run.peak.rss));
      const streamMs = median(runs.map((run) => run.phasesMs.gatherFacts));
      const reportMs = median(runs.map((run) => run.phasesMs.checksAndReport + run.phasesMs.afterRun));
      const calls = Object.values(runs[0].byCommand).reduce((sum, count) => sum + count, 0);
      const ratio = wallMs / bound.ms;
      const result = verdict(ratio <= TARGETS.auditRatio);
      // The SDK's own ceiling for the bucket reads, in one more run: no audit, the same client and latency.
      const sdkReads = await runAudit({ sdkCeiling: true });
      const sdkReadsRatio = sdkReads.wallMs / (Math.ceil(buckets / sdkReads.concurrency) * sdkReads.latencyMs);
      auditResults.push({ buckets, wallMs, bound, ratio, retainedHeap, retainedCode, peakHeap, peakRss, streamMs, reportMs, calls, seeded, runs, probe, result, sdkReadsRatio });
      record(`audit wall time, ${buckets} buckets`, `${fixed(wallMs / 1000, 2)} s = ${fixed(ratio, 2)}× the bound of ${fixed(bound.ms / 1000, 2)} s`, `≤ ${TARGETS.auditRatio}× the bound`, result);
    }
    const runAudit = auditRunner(SETTINGS.auditMemoryOnly);
    await runAudit();
    const probe = await runAudit({ retainedProbeMs: SETTINGS.auditProbeMs });
    memoryOnly = {
      buckets: SETTINGS.auditMemoryOnly,
      retainedHeap: probe.retainedHeapUsed - probe.baseline.heapUsed,
      retainedCode: probe.retainedCode - probe.baselineCode,
    };
  } catch (error) {
    auditNotMeasured = `the audit use case did not run (${error.message})`;
  }
}

if (auditNotMeasured) {
  say(`   not measured: ${auditNotMeasured}`);
  record('audit wall time and memory', 'not measured', `≤ ${TARGETS.auditRatio}× the bound; flat memory`, `not measured: ${auditNotMeasured}`);
  doc.push('## 4. Audit wall time and memory', '', `Not measured: ${auditNotMeasured}.`, '');
} else {
  const header = ['buckets', 'wall (median)', 'bound', 'ratio', 'verdict', 'buckets and keys', 'reports and summary', 'calls', 'CPU (no-latency run)', 'retained heap', 'of it, compiled code', 'peak heap', 'peak RSS'];
  const table = [header];
  for (const run of auditResults) {
    const row = [
      run.buckets,
      `${fixed(run.wallMs / 1000, 2)} s`,
      `${fixed(run.bound.ms / 1000, 2)} s`,
      fixed(run.ratio, 2),
      run.result,
      `${fixed(run.streamMs / 1000, 2)} s`,
      `${fixed(run.reportMs / 1000, 2)} s`,
      run.calls,
      `${fixed(run.seeded.wallMs / 1000, 2)} s`,
      mib(run.retainedHeap),
      mib(run.retainedCode),
      mib(run.peakHeap),
      mib(run.peakRss),
    ];
    table.push(row);
    auditDoc.push([...row.slice(0, 5), run.runs.map((r) => fixed(r.wallMs / 1000, 2)).join(', '), ...row.slice(5)]);
  }
  say(columns(table, '   '));
  const [small, big] = auditResults;
  const growth = big.retainedHeap / small.retainedHeap;
  const perBucket = (big.retainedHeap - small.retainedHeap) / (big.buckets - small.buckets);
  const flat = verdict(growth <= TARGETS.auditMemoryGrowth);
  const cpuShare = small.seeded.wallMs / small.bound.ms;
  const beyond = memoryOnly && { ...memoryOnly, growth: memoryOnly.retainedHeap / big.retainedHeap };
  const beyondText = beyond
    ? `; at ${beyond.buckets} (memory only, not timed) ${mib(beyond.retainedHeap)}, ×${fixed(beyond.growth, 2)} that at ${big.buckets}, of it compiled code ${mib(beyond.retainedCode)}`
    : '';
  say(`   memory: retained heap ${mib(small.retainedHeap)} at ${small.buckets} buckets, ${mib(big.retainedHeap)} at ${big.buckets}: ×${fixed(growth, 2)} (flat means ≤ ×${TARGETS.auditMemoryGrowth}) → ${flat}; about ${fixed(perBucket, 0)} bytes per bucket${beyondText}`);
  say(`   (AUDIT_CONCURRENCY ${small.runs[0].concurrency}, objectSampleSize ${small.runs[0].objectSampleSize}; bound = rounds × latency: ${small.bound.rounds} and ${big.bound.rounds} rounds; each measured run a cold process reading`);
  say(`    the previous night's report; CPU = the seeding night with latency 0: ${fixed(cpuShare, 2)}× the bound at ${small.buckets} buckets;`);
  const sdkReadsText = auditResults.map((run) => `${fixed(run.sdkReadsRatio, 2)}× at ${run.buckets}`).join(', ');
  say(`   SDK ceiling: the same S3 client alone reading each bucket's encryption, policy and notifications together, ${small.runs[0].concurrency} buckets at a time, no audit: ${sdkReadsText} its bound`);
  record('SDK ceiling for the audit\'s bucket reads', `${sdkReadsText} the bound (bare client, no audit)`, 'none (informational)', 'measured');
  say(`    median of ${SETTINGS.audits.map(({ buckets, runs }) => `${runs} runs at ${buckets}`).join(', ')}; retained heap from one probe run each)`);
  record(
    'audit memory in the number of buckets',
    `retained heap ${mib(small.retainedHeap)} → ${mib(big.retainedHeap)} (×${fixed(growth, 2)}, ~${fixed(perBucket, 0)} bytes/bucket)`,
    `flat (≤ ×${TARGETS.auditMemoryGrowth} from ${small.buckets} to ${big.buckets})`,
    flat,
  );
  doc.push(
    '## 4. Audit wall time and memory',
    '',
    '`auditAccount` composed as `functions/audit-encryption/handler.ts` composes it — real `S3BucketInspector`, `KmsKeyInspector`, `S3ReportStore`,',
    '`LocalReportSpool`, `SnsNotificationPublisher` and Powertools recorder over real SDK clients whose HTTP handler is a simulated account — with',
    `configuration from the real loader (\`AUDIT_CONCURRENCY\` default, \`REPORTS_BUCKET\` set, \`POLICY.audit\` defaults). Simulated account: one region, ${SETTINGS.auditKeys}`,
    'customer-managed keys (the required one and 99 others named by buckets, 1 in 5 without rotation); per 10 buckets, 4 under the required key, 2 under',
    'other keys, 2 SSE-S3, 1 without default encryption, 1 under `aws/s3`; half with a TLS-only policy; 7 in 10 notifying the enforcer queue. Every call',
    `answered after ${SETTINGS.latencyMs} ms; bodies arrive in 64 KiB chunks as from a socket; the simulated S3 keeps the reports it stores as bytes outside the`,
    'JavaScript heap, as S3 keeps them outside the function. Each measured run is a cold process (as a nightly invocation is) that reads the previous',
    `night's report, left by a seeding run without latency (its wall time is the CPU the audit needs on this machine). Medians of`,
    `${SETTINGS.audits.map(({ buckets, runs }) => `${runs} runs at ${buckets} buckets`).join(' and ')}.`,
    '',
    "Bound: the least time the audit's schedule allows at this concurrency, every call taking the latency and no CPU — rounds × latency, rounds =",
    "`ListBuckets` pages (the previous report is read meanwhile) + 2 for the policy's key (DescribeKey, then rotation and key policy together) +",
    "⌈(buckets + 2 × other keys) ÷ concurrency⌉ (each round a worker reads one bucket, its three reads together, or takes one step of a key's lookup,",
    'a key being looked up when a bucket first names it) + 1 for the two reports, uploaded together + the summary parts, one after another + the copy',
    `to latest.json (+ a second read of the previous report when findings changed). Target: at most ${TARGETS.auditRatio}× the bound. "Buckets and keys": from the`,
    'start to the last finding; "reports and summary": the rest.',
    '',
    `Memory. Retained heap: in one more run per size (not timed), a full garbage collection every ${SETTINGS.auditProbeMs} ms and the V8 heap still in use`,
    'just after it, at its highest, above the heap just before the run — what the audit holds. Flat: retained heap at',
    `${big.buckets} buckets at most ${TARGETS.auditMemoryGrowth}× that at ${small.buckets}. Peak heap (informational): the highest V8 heap used in the timed runs, garbage not yet`,
    'collected included, above the same baseline — it follows when V8 chooses to collect, which it does less often in a longer run; peak RSS of the process.',
    '',
    markdownTable(['buckets', 'wall (median)', 'bound', 'ratio', 'verdict', 'runs (s)', ...header.slice(5)], auditDoc),
    '',
    `Memory: retained heap ${mib(small.retainedHeap)} at ${small.buckets} buckets and ${mib(big.retainedHeap)} at ${big.buckets}: ×${fixed(growth, 2)}, about ${fixed(perBucket, 0)} bytes`,
    `per additional bucket → ${flat}.${beyond ? ` One more probe run at ${beyond.buckets} buckets (memory only): ${mib(beyond.retainedHeap)}, ×${fixed(beyond.growth, 2)} that at ${big.buckets}.` : ''}`,
    'What grows between the first two sizes is bounded: compiled code (V8 compiles and optimises the hot functions for as long as',
    'a run lasts; "of it, compiled code" counts its code spaces), and from 2,000 buckets on a second `ListBuckets` page of 1,000 names, fetched while',
    'the first is audited. Not in these figures: the previous night\'s failing findings, which the audit keeps in typed arrays outside the V8 heap',
    '(14 bytes each, about 50 bytes a bucket with this mix of buckets) — memory outside the heap is left out because the simulated S3 keeps the',
    'reports it stores there.',
    '',
    `Wall time: the audit's own CPU on this machine (the no-latency run) is ${fixed(cpuShare, 2)}× the latency bound at ${small.buckets} buckets — about`,
    `${fixed(small.seeded.wallMs / small.buckets, 1)} ms per bucket, most of it the SDK's work on each call (serialising, signing, parsing; see section 2) — so the run`,
    'is bound by CPU rather than by the concurrency: one Node.js thread cannot overlap a bucket\'s CPU with its own calls\' waiting, and',
    cpuShare >= TARGETS.auditRatio
      ? `here the CPU alone is more than the ${fixed(TARGETS.auditRatio, 1)}× target allows.`
      : `the ${fixed(TARGETS.auditRatio, 1)}× target leaves ${fixed(TARGETS.auditRatio - cpuShare, 2)}× the bound for waiting that this CPU does not overlap.`,
    '',
    "SDK ceiling: one more run per size with no audit at all — the same S3 client reading each bucket's encryption, policy and notifications",
    `together, ${small.runs[0].concurrency} buckets at a time, from the same simulated account with the same latency, errors for absent configuration caught — takes`,
    `${sdkReadsText} its own bound (⌈buckets ÷ ${small.runs[0].concurrency}⌉ × ${SETTINGS.latencyMs} ms). That is the pace of the SDK alone on this machine, before any check, finding,`,
    'report or log line.',
    '',
  );
}

// ---------------------------------------------------------------------------------------------
// 5. End to end on moto

say(`\n5. End to end on moto: ${SETTINGS.pipelineObjects} unencrypted uploads → S3 notification → SQS → the built enforce bundle (no target: informational)`);
const motoReason = motoMissing();
if (motoReason) {
  say(`   not measured: ${motoReason}`);
  record('end to end on moto', 'not measured', 'none (informational)', `not measured: ${motoReason}`);
  doc.push('## 5. End to end on moto', '', `Not measured: ${motoReason}. Install it with \`${MOTO_INSTALL_HINT}\` and run \`npm run bench\` again.`, '');
} else {
  try {
    const { results } = await measurePipeline({
      runs: SETTINGS.pipelineRuns,
      objects: SETTINGS.pipelineObjects,
      bundle: enforceBundle,
      scratch,
      onStarted: (server) => (moto = server),
    });
    moto = undefined;
    const valid = results.every((run) => run.compliant === run.objects && !run.timedOut && run.allCompliantMs !== undefined);
    const compliantRate = median(results.map((run) => (valid ? run.objects / (run.allCompliantMs / 1000) : Number.NaN)));
    const drainedRate = median(results.map((run) => run.objects / (run.drainedMs / 1000)));
    const uploadRate = median(results.map((run) => run.objects / (run.uploadMs / 1000)));
    const table = [['run', 'all compliant after', 'objects/s', 'queue drained after', 'messages', 'batches', 'failed items', 'compliant (HeadObject)']];
    for (const [index, run] of results.entries()) {
      table.push([
        index + 1,
        run.allCompliantMs === undefined ? 'never' : `${fixed(run.allCompliantMs / 1000, 2)} s`,
        run.allCompliantMs === undefined ? 'n/a' : fixed(run.objects / (run.allCompliantMs / 1000)),
        `${fixed(run.drainedMs / 1000, 2)} s`,
        run.messages,
        run.batches,
        run.failedItems,
        `${run.compliant} of ${run.objects}`,
      ]);
    }
    say(columns(table, '   '));
    const result = valid ? 'measured' : 'INVALID (not every object ended compliant)';
    say(`   median: ${fixed(compliantRate)} objects/s until every object is compliant; ${fixed(drainedRate)} objects/s until the queue is drained; uploads ${fixed(uploadRate)} objects/s`);
    record('end to end on moto', `${fixed(compliantRate)} objects/s (to all compliant), ${fixed(drainedRate)} objects/s (to queue drained)`, 'none (informational)', result);
    doc.push(
      '## 5. End to end on moto',
      '',
      `moto's server (a local S3/KMS/SNS/SQS in one Python process) on a free loopback port; per run a KMS key, a findings topic, an SQS queue and a`,
      `bucket (Object Ownership \`BucketOwnerEnforced\`, as new S3 buckets are) whose \`s3:ObjectCreated:*\` notifications go to the queue. ${SETTINGS.pipelineObjects} objects`,
      "of 1 KiB are uploaded unencrypted (8 at a time; moto's buckets have no default encryption), then one warm execution environment of the built",
      'enforce bundle consumes the queue as the event source mapping does: `ReceiveMessage` of up to 10 with 1 s long polling, the handler called with',
      'the SQS event, and only the messages not named in `batchItemFailures` deleted — until the queue stays empty. "All compliant after": from the',
      "first `ReceiveMessage` to the function's log line for the last remediation; \"drained\": to the end of the last batch (the copies' own",
      "events included). Every object is checked with `HeadObject` afterwards. moto is one Python process on the same two cores and answers",
      'far more slowly than S3 does, so this is the pace of the whole pipeline on this machine, not the ceiling of the function (compare section 2).',
      '',
      markdownTable(table[0], table.slice(1)),
      '',
      `Median of ${SETTINGS.pipelineRuns} runs: **${fixed(compliantRate)} objects/s** until every object is compliant, ${fixed(drainedRate)} objects/s until the queue is drained`,
      `(uploads: ${fixed(uploadRate)} objects/s).`,
      '',
    );
  } catch (error) {
    say(`   not measured: the pipeline failed (${error.message})`);
    record('end to end on moto', 'not measured', 'none (informational)', `not measured: ${error.message}`);
    doc.push('## 5. End to end on moto', '', `Not measured: the pipeline failed (${error.message}).`, '');
  }
}

// ---------------------------------------------------------------------------------------------
// Summary

const elapsedS = (performance.now() - started) / 1000;
machine.loadAfter = loadavg();
say('\nSummary');
say(columns([['figure', 'value', 'target', 'result'], ...summary.map(({ figure, value, target, result }) => [figure, value, target, result])], '  '));
say(`\nbench took ${fixed(elapsedS, 0)} s; load average at the end ${machine.loadAfter.map((value) => fixed(value, 2)).join(' ')}`);

doc.splice(
  doc.indexOf('## Machine'),
  0,
  '## Summary',
  '',
  markdownTable(['figure', 'value', 'target', 'result'], summary.map(({ figure, value, target, result }) => [figure, value, target, result])),
  '',
);
doc.push(
  '## Notes',
  '',
  `- The run took ${fixed(elapsedS, 0)} s; load average at the end: ${machine.loadAfter.map((value) => fixed(value, 2)).join(', ')}. Other work on the machine during`,
  '  the run slows the CPU-bound figures (throughput, audit, load time); the call counts do not depend on it.',
  '- The simulated S3 answers in the benchmark process, so the CPU it spends building answers is counted against the enforcer and the audit; it is',
  '  small next to the SDK\'s own work per call (see "CPU/object, no latency").',
  '- Regenerate with `npm run bench`.',
  '',
);
mkdirSync('docs', { recursive: true });
writeFileSync(join('docs', 'BENCHMARKS.md'), `${doc.join('\n')}`);
say('wrote docs/BENCHMARKS.md');
await cleanUp();
