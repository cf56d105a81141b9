// Section 3: bundle sizes (at start, when needed, zipped) and module load time of each built
// function, against a bare S3-client bundle.
import { measureBundles } from '../lib/bundle-figures.mjs';
import { columns, markdownTable, say, verdict } from '../lib/output.mjs';
import { fixed, kib } from '../lib/stats.mjs';
import { SETTINGS, TARGETS } from '../settings.mjs';

/** @import { SectionReport, SummaryRow } from '../lib/output.mjs' */
/** @import { Workspace } from '../lib/workspace.mjs' */

const chunks = (/** @type {number} */ count) => `${count} chunk${count === 1 ? '' : 's'}`;

/**
 * @param {Workspace} workspace
 * @returns {Promise<SectionReport>}
 */
export const measureBundleFigures = async (workspace) => {
  say(`\n3. Bundles: size and module load time against a bare S3-client bundle (target: load at most ${TARGETS.loadRatio}× the bare bundle)`);
  const bundles = await measureBundles({ scratch: workspace.scratch, runs: SETTINGS.loadRuns, functions: workspace.functions });
  const header = ['bundle', 'loaded at start', 'loaded when needed', 'zipped', 'size ×bare', 'load (median)', 'min–max', 'load ×bare', 'verdict', 'fastest ×bare fastest'];
  /** @type {string[][]} */
  const rows = [];
  /** @type {SummaryRow[]} */
  const summary = [];
  for (const bundle of bundles) {
    const result = bundle.baseline ? 'baseline' : bundle.informational ? 'informational' : verdict(bundle.loadRatio <= TARGETS.loadRatio);
    rows.push([
      bundle.name,
      `${kib(bundle.startBytes)} (entry${bundle.startChunks > 0 ? ` + ${chunks(bundle.startChunks)}` : ''})`,
      bundle.laterChunks > 0 ? `${kib(bundle.laterBytes)} (${chunks(bundle.laterChunks)})` : '—',
      kib(bundle.zipBytes),
      fixed(bundle.sizeRatio, 2),
      `${fixed(bundle.loadMsMedian)} ms`,
      `${fixed(bundle.loadMsMin)}–${fixed(bundle.loadMsMax)} ms`,
      fixed(bundle.loadRatio, 2),
      result,
      fixed(bundle.loadRatioOfMinimums, 2),
    ]);
    if (!bundle.baseline && !bundle.informational) {
      summary.push({
        figure: `load time: ${bundle.name}`,
        value: `${fixed(bundle.loadMsMedian)} ms = ${fixed(bundle.loadRatio, 2)}× bare (${kib(bundle.startBytes)} at start + ${kib(bundle.laterBytes)} when needed, ${kib(bundle.zipBytes)} zipped)`,
        target: `≤ ${TARGETS.loadRatio}× bare`,
        result,
      });
    }
  }
  say(columns([header, ...rows], '   '));
  say(`   (fresh \`node -e\` process importing each bundle's entry from its file, ${SETTINGS.loadRuns} times each, interleaved; at start = the entry and the chunks`);
  say('    it imports statically, when needed = the chunks only a dynamic import() loads; zipped = the function\'s zip, entry and every chunk, deflate level 9;');
  say('    the bare bundle is one file, as anyone would build it; size ×bare is on what loads at start; the verdict is on the medians;');
  say('    "fastest ×bare fastest" compares the quickest loads, which other work on the machine disturbs least)');

  return {
    summary,
    markdown: [
      '## 3. Bundle size and module load time',
      '',
      'Each built bundle (`dist/<function>/`: the entry `index.mjs` and its `chunks/`, copied at the start of the run) against a bare S3-client bundle',
      '(`bench/entries/bare-s3-handler.mjs`: an `S3Client` and a handler sending one `HeadObject`) built in the same run as anyone would bundle it: one',
      'file, with the same esbuild options otherwise (`commonEsbuildOptions` of `infra/build.mjs`), which keep the SDK\'s whole default credential chain.',
      'The functions are built with two differences. Their clients take credentials as Lambda supplies them (`esbuildOptions`;',
      '`shared/aws/lambda-credentials.ts`: the environment, or a container endpoint) instead of the chain\'s profiles, SSO, web identity and instance',
      'metadata, which never apply in Lambda. And they are split: what the code loads with a dynamic `import()` (Security Hub\'s client and its',
      'findings schema, d3 for the trend chart) is a chunk of its own that loads only when a run needs it, and code shared with those chunks is a chunk',
      'the entry imports. Shown too, for comparison and without a verdict: the bare handler built with Lambda\'s credentials, and the bare handler',
      'split (its SDK chain\'s providers are dynamic imports, so splitting leaves them out of its cold start much as Lambda\'s credentials do).',
      'Loaded at start: the entry and the chunks it imports statically, what a cold start reads; loaded when needed: the other chunks; size ×bare',
      'compares what loads at start. Zipped: the function\'s zip as a release ships it (`functionZip` of `infra/organization/function-zips.mjs`: the',
      'entry and every chunk, deflate level 9). Load time: a fresh `node -e` process imports the entry from its file (module evaluation included: the',
      'functions read and validate their configuration and create their clients at load; the chunks loaded when needed are not loaded) and reports the',
      `time the import took; ${SETTINGS.loadRuns} runs per bundle, interleaved in rotating order. Target: load at most ${TARGETS.loadRatio}× the bare bundle, on the medians;`,
      '"fastest ×bare fastest" compares the quickest load of each, which other work on the machine disturbs least.',
      '',
      markdownTable(header, rows),
      '',
    ],
  };
};
