// Section 6: the organization audit (bench/entries/organization-figures.mjs, one cold process per run).
// The fan-out: 1,000 simulated accounts of 20 buckets audited in process at the Distributed Map's
// concurrency, against the bound that concurrency allows given one account's audit timed alone in the
// same process. The merge: 10,000 accounts' results and reports (about 100 findings each) merged in a
// process sized like the merge function, its wall time against the function's time limit and its
// retained heap against that of 1,000 accounts.
// BENCH_ORGANIZATION_QUICK=1 runs a tenth of each size, for a quick check; `npm run bench` runs the full sizes.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CENTRAL_FUNCTION_SETTINGS, centralTemplate } from '../../infra/organization/central-template.mjs';
import { MEMBER_KEY_ALIAS } from '../../infra/organization/release.mjs';
import { columns, markdownTable, say } from '../lib/output.mjs';
import { runNode } from '../lib/processes.mjs';
import { fixed, kib, median, mib } from '../lib/stats.mjs';
import { SETTINGS } from '../settings.mjs';

/** @import { FanOutFigures, MergeFigures } from '../entries/organization-figures.mjs' */
/** @import { SectionReport, SummaryRow } from '../lib/output.mjs' */
/** @import { Workspace } from '../lib/workspace.mjs' */

const QUICK = process.env['BENCH_ORGANIZATION_QUICK'] === '1';
const SCALE = QUICK ? 10 : 1;

const MERGE_FUNCTION = CENTRAL_FUNCTION_SETTINGS['merge-organization-audit'];
const CENTRAL = centralTemplate({ version: 'bench' });
/** The central stack's defaults: accounts audited at once (the Map's MaxConcurrency). */
const MAP_CONCURRENCY = Number(CENTRAL.Parameters['MaxConcurrency']?.['Default'] ?? 40);
/** The merge function's /tmp: its EphemeralStorage in the central template, or Lambda's 512 MB when it sets none. */
const MERGE_EPHEMERAL = /** @type {{ Size?: number } | undefined} */ (CENTRAL.Resources[MERGE_FUNCTION.id]?.Properties?.['EphemeralStorage']);
const MERGE_TMP_BYTES = (MERGE_EPHEMERAL?.Size ?? 512) * 1000 ** 2;
const MERGE_TMP_TEXT = MERGE_EPHEMERAL?.Size
  ? `the merge function's /tmp: ${MERGE_EPHEMERAL.Size} MB, its EphemeralStorage`
  : "the merge function's /tmp: Lambda's default 512 MB, as the central template sets no EphemeralStorage";
/** V8's old space for a process sized like the merge function: 90 % of its memory, the rest for code, the young generation and buffers. */
const MERGE_OLD_SPACE_MB = Math.floor(MERGE_FUNCTION.memorySize * 0.9);

/** What is measured. */
export const ORGANIZATION = Object.freeze({
  latencyMs: SETTINGS.latencyMs,
  fanOut: { accounts: 1000 / SCALE, buckets: 20, keys: 5, concurrency: MAP_CONCURRENCY, aloneRuns: 3 },
  // Each audited account's report holds the first 100 findings of a real audit of a simulated account of 40 buckets.
  merge: { sizes: /** @type {const} */ ([1000 / SCALE, 10000 / SCALE]), findings: 100, templateBuckets: 40, keys: 5, warmUpAccounts: 1000 / SCALE },
});

/** The targets of the issue: fan-out within 1.2× its bound; merge within the function's 15 minutes, its retained heap flat. */
export const ORGANIZATION_TARGETS = Object.freeze({ fanOutVsBound: 1.2, mergeWallMs: MERGE_FUNCTION.timeout * 1000, mergeMemoryGrowth: 1.2 });

/** @param {boolean} met */
const passFail = (met) => (met ? 'PASS' : 'FAIL');
/** @param {number} ms */
const seconds = (ms) => `${fixed(ms / 1000, 2)} s`;
/** Memory of a megabyte or so, to the hundredth. @param {number} bytes */
const mib2 = (bytes) => `${fixed(bytes / 1024 ** 2, 2)} MiB`;
/** @param {number} bytes */
const mb = (bytes) => `${fixed(bytes / 1000 ** 2, 0)} MB`;
/** @param {number} count */
const thousands = (count) => count.toLocaleString('en-US');
/** @param {Record<string, number>} counts */
const countsText = (counts) => Object.entries(counts).map(([name, count]) => `${name.replace(/Command$/, '')} ${count}`).join(', ');

/**
 * @param {Workspace} workspace
 * @param {string} entry
 */
const runFanOut = async (workspace, entry) => {
  const resultFile = workspace.resultFile('organization-fan-out');
  const options = { ...ORGANIZATION.fanOut, latencyMs: ORGANIZATION.latencyMs, requiredKeyAlias: MEMBER_KEY_ALIAS };
  return /** @type {FanOutFigures} */ (await runNode(['--expose-gc', entry, resultFile, 'fan-out', JSON.stringify(options)], { resultFile, timeoutMs: 900_000 }));
};

/**
 * @param {Workspace} workspace
 * @param {string} entry
 * @param {number} accounts
 */
const runMerge = async (workspace, entry, accounts) => {
  const resultFile = workspace.resultFile(`organization-merge-${accounts}`);
  const spoolParent = join(workspace.scratch, `organization-merge-spool-${accounts}`);
  mkdirSync(spoolParent, { recursive: true });
  const { findings, templateBuckets, keys, warmUpAccounts } = ORGANIZATION.merge;
  const options = { accounts, findings, templateBuckets, keys, warmUpAccounts, latencyMs: ORGANIZATION.latencyMs, requiredKeyAlias: MEMBER_KEY_ALIAS, spoolParent, memoryMb: MERGE_FUNCTION.memorySize };
  // Stopped a little after the function's own limit: a merge that ran longer would have been stopped in Lambda too.
  const timeoutMs = ORGANIZATION_TARGETS.mergeWallMs + 300_000;
  return /** @type {MergeFigures} */ (
    await runNode(['--expose-gc', `--max-old-space-size=${MERGE_OLD_SPACE_MB}`, entry, resultFile, 'merge', JSON.stringify(options)], { resultFile, timeoutMs })
  );
};

/** @param {FanOutFigures} run */
const fanOutFigures = (run) => {
  const aloneMs = median(run.alone.map((alone) => alone.wallMs));
  const aloneCpuMs = median(run.alone.map((alone) => alone.cpuMs));
  const rounds = Math.ceil(run.accounts / run.concurrency);
  // What the concurrency allows in this process: the Map's rounds of one account's wall time — or,
  // since every account's audit shares this one Node.js thread (in the Map each has its own CPU),
  // the accounts' CPU time one after another, whichever is longer.
  const latencyBoundMs = rounds * aloneMs;
  const cpuBoundMs = run.accounts * aloneCpuMs;
  const boundMs = Math.max(latencyBoundMs, cpuBoundMs);
  const ratio = run.fanOut.wallMs / boundMs;
  // The fan-out stands for the accounts' audits only if each account sent the commands one account sends alone.
  const perAccount = Object.fromEntries(Object.entries(/** @type {Record<string, number>} */ (run.alone[0]?.byCommand ?? {})).map(([name, count]) => [name, count * run.accounts]));
  const sameCalls = JSON.stringify(perAccount) === JSON.stringify(run.fanOut.byCommand) && run.alone.every((alone) => JSON.stringify(alone.byCommand) === JSON.stringify(run.alone[0]?.byCommand));
  const allAudited = (run.fanOut.statuses['audited'] ?? 0) === run.accounts;
  const invalid = !sameCalls ? `INVALID (calls differ: fan-out ${countsText(run.fanOut.byCommand)}; ${run.accounts} × one account alone ${countsText(perAccount)})` : !allAudited ? `INVALID (not every account audited: ${JSON.stringify(run.fanOut.statuses)})` : undefined;
  const result = invalid ?? passFail(ratio <= ORGANIZATION_TARGETS.fanOutVsBound);
  const callsPerAccount = Object.values(/** @type {Record<string, number>} */ (run.alone[0]?.byCommand ?? {})).reduce((sum, count) => sum + count, 0);
  return { aloneMs, aloneCpuMs, rounds, boundMs, latencyBoundMs, cpuBoundMs, ratio, result, callsPerAccount, cpuRatio: run.fanOut.cpuMs / boundMs };
};

/**
 * @param {Workspace} workspace
 * @param {string} entry
 * @param {SummaryRow[]} summary
 */
const measureFanOut = async (workspace, entry, summary) => {
  const run = await runFanOut(workspace, entry);
  const figures = fanOutFigures(run);
  const { fanOut } = run;
  const name = `organization audit fan-out, ${thousands(run.accounts)} accounts × ${run.buckets} buckets, ${run.concurrency} at once`;
  const verdictLine = `${name}: ${seconds(fanOut.wallMs)} = ${fixed(figures.ratio, 2)} × the bound ${seconds(figures.boundMs)} (the longer of ⌈${run.accounts} ÷ ${run.concurrency}⌉ = ${figures.rounds} × one account alone ${seconds(figures.aloneMs)} = ${seconds(figures.latencyBoundMs)}, and ${run.accounts} × its CPU ${fixed(figures.aloneCpuMs, 0)} ms on one thread = ${seconds(figures.cpuBoundMs)}; target ≤ ${ORGANIZATION_TARGETS.fanOutVsBound}) ${figures.result}`;
  say(`   ${verdictLine}`);
  say(`   one account alone: ${run.alone.map((alone) => fixed(alone.wallMs / 1000, 3)).join(', ')} s (median ${seconds(figures.aloneMs)}; CPU ${fixed(figures.aloneCpuMs, 0)} ms; the first, cold, ${seconds(run.cold.wallMs)} not counted); ${figures.callsPerAccount} calls an account`);
  say(`   the fan-out's CPU: ${seconds(fanOut.cpuMs)} (${fixed(fanOut.cpuMs / run.accounts, 0)} ms an account) = ${fixed(figures.cpuRatio, 2)} × the bound; event loop busy ${fixed(fanOut.eventLoopUtilization * 100, 0)} % of the fan-out`);
  say(`   the night in process: listing ${seconds(run.listMs)}, fan-out ${seconds(fanOut.wallMs)}, merge ${seconds(run.merge.wallMs)} (CPU ${seconds(run.merge.cpuMs)}); ${thousands(run.merge.outcome.findings)} findings in the organization report`);
  summary.push({
    figure: `organization audit fan-out, ${thousands(run.accounts)} accounts × ${run.buckets} buckets`,
    value: `${seconds(fanOut.wallMs)} = ${fixed(figures.ratio, 2)} × bound ${seconds(figures.boundMs)} (${run.concurrency} at once; one account alone ${seconds(figures.aloneMs)}; fan-out CPU ${fixed(figures.cpuRatio, 2)} × the bound)`,
    target: `≤ ${ORGANIZATION_TARGETS.fanOutVsBound} × bound`,
    result: figures.result,
  });
  return { run, figures, verdictLine };
};

/** @param {MergeFigures} run */
const mergeRow = (run) => [
  thousands(run.accounts),
  thousands(run.outcome.findings),
  seconds(run.wallMs),
  seconds(run.bound.ms),
  fixed(run.wallMs / run.bound.ms, 2),
  seconds(run.cpuMs),
  seconds(run.phasesMs.accounts),
  seconds(run.phasesMs.reportsAndSummary),
  seconds(run.phasesMs.states),
  `${thousands(run.calls.GetObject)} / ${run.calls.PutObject} / ${thousands(run.calls.CopyObject)}`,
  mb(run.bytes.organizationReport),
  mb(run.spool.bytes),
  mib2(run.memory.retainedHeap),
  mib2(run.memory.retainedCodeBytes),
  mib2(run.memory.medianReading),
  mib2(run.memory.heldAfterAccounts),
  mib2(run.memory.heldCodeAfterAccounts),
  mib(run.memory.maxRss),
];
/** The highest retained heap in each tenth of the accounts merged. @param {MergeFigures} run */
const tenthsText = (run) => run.memory.byTenth.map((bytes) => (Number.isFinite(bytes) ? fixed(bytes / 1024 ** 2, 2) : '–')).join(', ');
const MERGE_HEADER = [
  'accounts',
  'findings',
  'wall',
  'latency bound',
  '× bound',
  'CPU',
  'accounts merged',
  'reports and summary',
  'states copied',
  'Get / Put / Copy',
  'organization report',
  'spool (/tmp)',
  'retained heap',
  'of it, compiled code',
  'median reading',
  'held after the accounts',
  'of it, compiled code',
  'peak RSS',
];

/**
 * @param {Workspace} workspace
 * @param {string} entry
 * @param {SummaryRow[]} summary
 */
const measureMerge = async (workspace, entry, summary) => {
  /** @type {MergeFigures[]} */
  const runs = [];
  for (const accounts of ORGANIZATION.merge.sizes) runs.push(await runMerge(workspace, entry, accounts));
  const [small, big] = /** @type {[MergeFigures, MergeFigures]} */ (runs);
  const wrong = runs.find((run) => run.outcome.findings !== run.expectedFindings || run.outcome.statesNotSaved > 0 || run.outcome.reportError !== undefined);
  const invalid = wrong ? `INVALID (${thousands(wrong.accounts)} accounts: ${thousands(wrong.outcome.findings)} findings merged of ${thousands(wrong.expectedFindings)}, ${wrong.outcome.statesNotSaved} states not saved${wrong.outcome.reportError ? `, report not written: ${wrong.outcome.reportError}` : ''})` : undefined;
  const wallResult = invalid ?? passFail(big.wallMs < ORGANIZATION_TARGETS.mergeWallMs);
  const growth = big.memory.retainedHeap / small.memory.retainedHeap;
  const memoryResult = invalid ?? passFail(growth <= ORGANIZATION_TARGETS.mergeMemoryGrowth);
  const spoolResult = passFail(big.spool.bytes <= MERGE_TMP_BYTES);
  const minutes = ORGANIZATION_TARGETS.mergeWallMs / 60_000;
  const wallLine = `organization merge, ${thousands(big.accounts)} accounts (${thousands(big.outcome.findings)} findings): ${seconds(big.wallMs)} (target < ${minutes} min, the merge function's time limit) ${wallResult}`;
  const memoryLine = `organization merge memory: retained heap ${mib2(small.memory.retainedHeap)} at ${thousands(small.accounts)} accounts, ${mib2(big.memory.retainedHeap)} at ${thousands(big.accounts)}: ×${fixed(growth, 2)} (target ≤ ×${ORGANIZATION_TARGETS.mergeMemoryGrowth}) ${memoryResult}`;
  const spoolLine = `organization merge spool: ${mb(big.spool.bytes)} written to /tmp at ${thousands(big.accounts)} accounts (target ≤ ${MERGE_TMP_TEXT}) ${spoolResult}`;
  say(columns([MERGE_HEADER, ...runs.map(mergeRow)], '   '));
  say(`   (process sized like the merge function: ${MERGE_FUNCTION.memorySize} MB, --max-old-space-size=${MERGE_OLD_SPACE_MB}; ${small.concurrency} accounts read at once (AUDIT_CONCURRENCY); ${ORGANIZATION.latencyMs} ms a call;`);
  say(`    each audited account's report ${thousands(small.template.findings)} findings (${small.template.failing} failing), ${kib(small.template.reportBytes['steady'] ?? 0)}; heap read after a full GC ${small.memory.probes} and ${big.memory.probes} times)`);
  const tenthsLines = runs.map((run) => `retained heap (MiB) in each tenth of the ${thousands(run.accounts)} accounts merged: ${tenthsText(run)}`);
  for (const line of tenthsLines) say(`   ${line}`);
  for (const line of [wallLine, memoryLine, spoolLine]) say(`   ${line}`);
  summary.push(
    { figure: `organization merge wall time, ${thousands(big.accounts)} accounts`, value: `${seconds(big.wallMs)} (${thousands(big.outcome.findings)} findings; latency bound ${seconds(big.bound.ms)}, CPU ${seconds(big.cpuMs)})`, target: `< ${minutes} min`, result: wallResult },
    {
      figure: `organization merge memory, ${thousands(small.accounts)} → ${thousands(big.accounts)} accounts`,
      value: `retained heap ${mib2(small.memory.retainedHeap)} → ${mib2(big.memory.retainedHeap)} (×${fixed(growth, 2)})`,
      target: `≤ ×${ORGANIZATION_TARGETS.mergeMemoryGrowth}`,
      result: memoryResult,
    },
    { figure: `organization merge /tmp spool, ${thousands(big.accounts)} accounts`, value: mb(big.spool.bytes), target: `≤ ${mb(MERGE_TMP_BYTES)} (the merge function's /tmp)`, result: spoolResult },
  );
  return { runs, small, big, growth, lines: [wallLine, memoryLine, spoolLine], tenthsLines };
};

/**
 * @param {Workspace} workspace
 * @returns {Promise<SectionReport>}
 */
export const measureOrganization = async (workspace) => {
  const { fanOut, merge } = ORGANIZATION;
  say(`\n6. Organization audit${QUICK ? ' (BENCH_ORGANIZATION_QUICK: a tenth of each size)' : ''}: ${thousands(fanOut.accounts)} accounts × ${fanOut.buckets} buckets audited ${fanOut.concurrency} at once; merges of ${merge.sizes.map(thousands).join(' and ')} accounts' results; every call taking ${ORGANIZATION.latencyMs} ms`);
  say(`   targets: fan-out at most ${ORGANIZATION_TARGETS.fanOutVsBound} × the bound (the longer of ⌈accounts ÷ concurrency⌉ × one account's audit alone, and the accounts' CPU on one thread); merge under ${ORGANIZATION_TARGETS.mergeWallMs / 60_000} min, its retained heap at most ×${ORGANIZATION_TARGETS.mergeMemoryGrowth} from ${thousands(merge.sizes[0])} to ${thousands(merge.sizes[1])} accounts`);
  /** @type {SummaryRow[]} */
  const summary = [];
  /** @type {string | undefined} */
  let entry;
  try {
    entry = await workspace.buildEntry('organization-figures.mjs', 'organization-figures');
  } catch (error) {
    const why = `the organization audit could not be bundled (${String(/** @type {Error} */ (error).message).split('\n')[0]?.slice(0, 300)})`;
    say(`   not measured: ${why}`);
    return { summary: [{ figure: 'organization audit', value: 'not measured', target: 'fan-out ≤ 1.2 × bound; merge < 15 min, flat memory', result: `not measured: ${why}` }], markdown: ['## 6. Organization audit', '', `Not measured: ${why}.`, ''] };
  }

  /** @type {string[]} */
  const markdown = ['## 6. Organization audit', ''];
  /** @type {Awaited<ReturnType<typeof measureFanOut>> | undefined} */
  let measuredFanOut;
  try {
    measuredFanOut = await measureFanOut(workspace, entry, summary);
  } catch (error) {
    const why = `the fan-out did not run (${/** @type {Error} */ (error).message})`;
    say(`   not measured: ${why}`);
    summary.push({ figure: 'organization audit fan-out', value: 'not measured', target: `≤ ${ORGANIZATION_TARGETS.fanOutVsBound} × bound`, result: `not measured: ${why}` });
    markdown.push(`Fan-out not measured: ${why}.`, '');
  }
  /** @type {Awaited<ReturnType<typeof measureMerge>> | undefined} */
  let measuredMerge;
  try {
    measuredMerge = await measureMerge(workspace, entry, summary);
  } catch (error) {
    const why = `the merge did not run (${/** @type {Error} */ (error).message})`;
    say(`   not measured: ${why}`);
    summary.push({ figure: 'organization merge', value: 'not measured', target: `< ${ORGANIZATION_TARGETS.mergeWallMs / 60_000} min; flat memory`, result: `not measured: ${why}` });
    markdown.push(`Merge not measured: ${why}.`, '');
  }

  markdown.push(
    'The organization audit\'s three steps as `cli/audit-organization.ts` composes them in process, over a simulated organization at the SDK\'s HTTP',
    'boundary (`bench/lib/simulated-organization.mjs`): `listOrganizationAccounts` over a lister of 20 accounts a page; for each account `auditMember` then',
    '`recordResult` (the Distributed Map\'s child), the member role assumed by the real `StsRoleAssumer` over a simulated STS, then SDK clients of the',
    'account\'s own (S3, KMS, SSM; per-account endpoint, the role\'s credentials) over a `SimulatedAccount` of its own, its member parameter read by the',
    'real `SsmMemberDeploymentReader` and `REQUIRED_KMS_KEY` the member alias each account resolves; the reports bucket a simulated S3 behind the real',
    '`S3ReportStore`; then `mergeOrganization`. Configuration from the real loader (`AUDIT_CONCURRENCY` default). Every call answered after',
    `${ORGANIZATION.latencyMs} ms. Each account's first night (no previous report).`,
    '',
  );
  if (measuredFanOut) {
    const { run, figures, verdictLine } = measuredFanOut;
    markdown.push(
      `**Fan-out: ${thousands(run.accounts)} accounts of ${run.buckets} buckets and ${run.keys} keys, ${run.concurrency} at once (the central stack's \`MaxConcurrency\`). Target: wall time at`,
      `most ${ORGANIZATION_TARGETS.fanOutVsBound} × the bound that concurrency allows in one process: the longer of ⌈accounts ÷ concurrency⌉ × the wall time of one account's audit alone (the Map's bound, where each account has a CPU of its own) and the accounts' CPU time one after another on this process's one thread, both measured in the same`,
      `process** (${run.aloneRuns} runs before the fan-out and ${run.aloneRuns} after, after one cold run not counted; the median). One account alone: its role assumed, its member`,
      `parameter read, its buckets and keys audited, its report and result written: ${figures.callsPerAccount} calls. The fan-out stands only if every account was audited and sent`,
      'exactly the commands one account sends alone (counted by command); otherwise INVALID.',
      '',
      markdownTable(
        ['accounts', 'at once', 'wall', 'bound', '× bound', 'verdict', 'one account alone (median)', 'its CPU', 'fan-out CPU', 'CPU × bound', 'event loop busy', 'listing', 'merge'],
        [
          [
            thousands(run.accounts),
            run.concurrency,
            seconds(run.fanOut.wallMs),
            seconds(figures.boundMs),
            fixed(figures.ratio, 2),
            figures.result,
            seconds(figures.aloneMs),
            `${fixed(figures.aloneCpuMs, 0)} ms`,
            seconds(run.fanOut.cpuMs),
            fixed(figures.cpuRatio, 2),
            `${fixed(run.fanOut.eventLoopUtilization * 100, 0)} %`,
            seconds(run.listMs),
            seconds(run.merge.wallMs),
          ],
        ],
      ),
      '',
      `- ${verdictLine}`,
      '',
      `In one process the accounts share one Node.js thread: the fan-out's own CPU time (${seconds(run.fanOut.cpuMs)}, ${fixed(run.fanOut.cpuMs / run.accounts, 0)} ms an account — the SDK's`,
      'work on each call, the spool files of each account\'s report, a log line per failing finding) is a floor on its wall time that no concurrency',
      `lowers, and it is ${fixed(figures.cpuRatio, 2)} × the bound here. The Distributed Map runs each account in a function of its own, with a CPU of its own; the bound is`,
      'what the Map\'s concurrency allows there, and what `enforcer audit --organization` (the same composition in one process) cannot reach on one thread.',
      '',
    );
  }
  if (measuredMerge) {
    const { runs, small, big, growth, lines, tenthsLines } = measuredMerge;
    markdown.push(
      `**Merge: the results and reports of ${merge.sizes.map(thousands).join(' and ')} accounts, each size a cold process sized like the merge function (${MERGE_FUNCTION.memorySize} MB:`,
      `\`--max-old-space-size=${MERGE_OLD_SPACE_MB}\`, 90 % of it). Targets: wall time at ${thousands(big.accounts)} accounts under ${ORGANIZATION_TARGETS.mergeWallMs / 60_000} min (the function's time limit); retained heap at`,
      `${thousands(big.accounts)} accounts at most ${ORGANIZATION_TARGETS.mergeMemoryGrowth} × that at ${thousands(small.accounts)}.** \`mergeOrganization\` composed as its handler composes it (real`,
      '`SnsNotificationPublisher` over a simulated SNS, Powertools recorder, `LocalReportSpool` in a directory of its own as /tmp), over an in-memory',
      `\`ReportStore\` (\`bench/lib/simulated-report-store.mjs\`) whose every GetObject, PutObject and CopyObject waits ${ORGANIZATION.latencyMs} ms, reads a line at a time from`,
      '64 KiB chunks as `S3ReportStore` does, and reads every uploaded byte without keeping it. The input is what the real writers write',
      '(`bench/lib/organization-reports.mjs`): the listing by `listOrganizationAccounts`; each audited account\'s report by `runAudit` (its `ReportFiles`),',
      `over the first ${small.template.findings} findings (${small.template.failing} failing) of a real audit of a simulated account of ${small.template.buckets} buckets, after a previous night where`,
      'the account has one; each result by `recordResult`. Of every 1,000 accounts: 2 closed (skipped), 2 whose role was refused, 1 with no result; of the',
      'rest, 1 in 10 with new, changed and resolved failures since its previous night, 1 in 50 on its first night, the others unchanged. The store makes',
      'each account\'s result and report when the merge reads it, from one text per kind of account with the account id put in — checked against the',
      'writers\' own output for two accounts of each kind — so the input is not in the heap that is measured.',
      '',
      `Retained heap: the V8 heap in use (\`process.memoryUsage().heapUsed\`) just after a full garbage collection, at every 32nd account's result read and every`,
      '32nd copy, each report written and the summary published; its highest, above the heap just before the merge. Before that baseline, each process',
      `merges another night of ${thousands(merge.warmUpAccounts)} accounts without latency, not measured, so V8 has compiled the merge's code at both sizes. "Median reading": the`,
      'median of the readings. "Held after the accounts": the reading when the first report is written, every account merged and none in flight. "Of it,',
      'compiled code": V8\'s code spaces. Latency bound (context): the listing, then per listing batch of 256 its reads shared by the workers (a result,',
      'then an audited account\'s report), the two reports together, the summary, the copies shared by the workers — every call the latency, no CPU.',
      '',
      markdownTable(MERGE_HEADER, runs.map(mergeRow)),
      '',
      ...lines.map((line) => `- ${line}`),
      ...tenthsLines.map((line) => `- ${line}`),
      '',
      `The merge writes the organization report to its spool before it uploads it: ${mb(big.spool.bytes)} at ${thousands(big.accounts)} accounts (about`,
      `${fixed(big.spool.bytes / Math.max(1, big.outcome.findings), 0)} bytes a finding), ${big.spool.bytes > MERGE_TMP_BYTES ? 'more than' : 'within'} ${MERGE_TMP_TEXT}. Not an issue target: a figure the`,
      'merge function\'s deployment depends on.',
      `Retained heap ×${fixed(growth, 2)} from ${thousands(small.accounts)} to ${thousands(big.accounts)} accounts. Once every account is merged and none is in flight, the merge holds`,
      `${mib2(small.memory.heldAfterAccounts)} at ${thousands(small.accounts)} accounts and ${mib2(big.memory.heldAfterAccounts)} at ${thousands(big.accounts)} (of it compiled code ${mib2(small.memory.heldCodeAfterAccounts)} and ${mib2(big.memory.heldCodeAfterAccounts)});`,
      'the readings while the accounts are merged go up and down with the accounts in flight (each tenth\'s highest, above). The listing is read a line',
      'at a time through `readline`, whose async iterator reads ahead of the merge by up to 1,024 buffered lines and the chunk being split: a',
      'listing of 1,000 accounts is read ahead whole and drains as the run goes, a longer one stays that far ahead to its end.',
      '',
    );
  }
  return { summary, markdown };
};
