// Bundle sizes (what loads at start, what loads when needed, the zip) and module load time of each
// built function, against a bare S3-client bundle built with the same esbuild options in the same run.
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { basename, dirname, join } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { bundleParts } from '../../infra/build.mjs';
import { bundleEntry } from './build-entry.mjs';
import { childEnvironment, errorSummary } from './processes.mjs';
import { median } from './stats.mjs';
// The zip a release uploads: the bench reports the size Lambda is given.
import { functionZip } from '../../infra/organization/function-zips.mjs';

/**
 * Imports the bundle's entry from its file in a fresh process, as a cold start does (with the chunks
 * it imports statically; those it imports dynamically are left until a run needs them), and reports
 * how long the import took.
 */
const LOADER = `
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
const started = performance.now();
const bundle = await import(pathToFileURL(process.argv[1]).href);
const ms = performance.now() - started;
if (typeof bundle.handler !== 'function') throw new Error('the bundle exports no handler');
process.stdout.write(JSON.stringify({ ms }));
`;

/** A load that takes longer than this has hung. */
const LOAD_TIMEOUT_MS = 30_000;

/**
 * What the functions read at load (configuration is validated at cold start); no call is made. The
 * organization audit's functions need the central reports bucket and its key too.
 */
const LOAD_ENV = {
  AWS_REGION: 'us-east-1',
  REQUIRED_KMS_KEY: 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555',
  FINDINGS_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:encryption-findings',
  REPORTS_BUCKET: 'bench-audit-reports',
  REPORTS_KMS_KEY_ARN: 'arn:aws:kms:us-east-1:123456789012:key/22222222-3333-4444-5555-666666666666',
};

/**
 * @param {string} file
 * @returns {Promise<number>}
 */
const loadOnce = (file) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', LOADER, file], {
      env: childEnvironment(LOAD_ENV),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), LOAD_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`loading ${file} failed (exit ${code}): ${errorSummary(err)}`));
      resolve(JSON.parse(out).ms);
    });
  });

/**
 * The parts of a built bundle, read from its files: esbuild follows the entry's imports through the
 * chunks beside it, noting each file's size and whether it is imported statically or dynamically.
 * @param {string} file The entry.
 */
const partsOf = async (file) => {
  const { metafile } = await build({ entryPoints: [file], absWorkingDir: dirname(file), bundle: true, write: false, metafile: true, format: 'esm', platform: 'node', logLevel: 'silent' });
  return bundleParts(metafile.inputs, basename(file));
};

/**
 * @typedef {object} BundleFigures
 * @property {string} name
 * @property {boolean} baseline
 * @property {boolean} informational
 * @property {number} startBytes The entry and the chunks it imports statically: what a cold start loads.
 * @property {number} startChunks How many chunks the entry imports statically.
 * @property {number} laterBytes The chunks loaded only by a dynamic import().
 * @property {number} laterChunks
 * @property {number} zipBytes The function's zip: the entry and every chunk.
 * @property {number} loadMsMedian
 * @property {number} loadMsMin
 * @property {number} loadMsMax
 * @property {number} runs
 * @property {number} loadRatio
 * @property {number} loadRatioOfMinimums
 * @property {number} sizeRatio What loads at start, against the bare bundle's.
 */

/**
 * @param {object} options
 * @param {string} options.scratch
 * @param {number} options.runs
 * @param {{ name: string, file: string }[]} options.functions The built bundles' entries (a copy, with its chunks, taken at the start of the run).
 * @returns {Promise<BundleFigures[]>}
 */
export const measureBundles = async ({ scratch, runs, functions }) => {
  const bareEntry = join('bench', 'entries', 'bare-s3-handler.mjs');
  // The baseline: the bare handler as anyone would bundle it, one file with the SDK's whole
  // credential chain. Alongside (no verdict): the same file with credentials as the functions take
  // them, and the baseline split as the functions are, which leaves the chain's unused providers
  // (profiles, SSO, …) to dynamic imports a cold start never runs.
  const bare = await bundleEntry(bareEntry, scratch, 'bare-s3-client', { credentials: 'sdk', split: false });
  const bareLean = await bundleEntry(bareEntry, scratch, 'bare-s3-client-lambda-credentials', { credentials: 'lambda', split: false });
  const bareSplit = await bundleEntry(bareEntry, scratch, 'bare-s3-client-split', { credentials: 'sdk', split: true });
  /** @type {{ name: string, file: string, baseline: boolean, informational?: boolean }[]} */
  const candidates = [
    ...functions.map(({ name, file }) => ({ name, file, baseline: false })),
    { name: 'bare S3-client bundle', file: bare.file, baseline: true },
    { name: 'bare S3-client bundle, Lambda credentials', file: bareLean.file, baseline: false, informational: true },
    { name: 'bare S3-client bundle, split', file: bareSplit.file, baseline: false, informational: true },
  ];
  const bundles = [];
  for (const bundle of candidates) {
    const { atStart, whenNeeded } = await partsOf(bundle.file);
    bundles.push({
      ...bundle,
      startBytes: atStart.bytes,
      startChunks: atStart.files.length - 1,
      laterBytes: whenNeeded.bytes,
      laterChunks: whenNeeded.files.length,
      zipBytes: functionZip(dirname(bundle.file)).length,
      loadMs: /** @type {number[]} */ ([]),
    });
  }
  // Interleaved, and in a rotating order, so drift in the machine's load falls on every bundle alike.
  for (let run = 0; run < runs; run += 1) {
    for (let offset = 0; offset < bundles.length; offset += 1) {
      const bundle = /** @type {(typeof bundles)[number]} */ (bundles[(run + offset) % bundles.length]);
      bundle.loadMs.push(await loadOnce(bundle.file));
    }
  }
  const baseline = bundles.find((bundle) => bundle.baseline);
  if (!baseline) throw new Error('no baseline bundle');
  const baselineMedian = median(baseline.loadMs);
  return bundles.map((bundle) => ({
    name: bundle.name,
    baseline: bundle.baseline,
    informational: bundle.informational ?? false,
    startBytes: bundle.startBytes,
    startChunks: bundle.startChunks,
    laterBytes: bundle.laterBytes,
    laterChunks: bundle.laterChunks,
    zipBytes: bundle.zipBytes,
    loadMsMedian: median(bundle.loadMs),
    loadMsMin: Math.min(...bundle.loadMs),
    loadMsMax: Math.max(...bundle.loadMs),
    runs: bundle.loadMs.length,
    loadRatio: median(bundle.loadMs) / baselineMedian,
    loadRatioOfMinimums: Math.min(...bundle.loadMs) / Math.min(...baseline.loadMs),
    sizeRatio: bundle.startBytes / baseline.startBytes,
  }));
};
