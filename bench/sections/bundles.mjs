// Section 3: bundle size and module load time of each built function, against a bare S3-client bundle.
import { measureBundles } from '../lib/bundle-figures.mjs';
import { columns, markdownTable, say, verdict } from '../lib/output.mjs';
import { fixed, kib } from '../lib/stats.mjs';
import { SETTINGS, TARGETS } from '../settings.mjs';

/** @import { SectionReport, SummaryRow } from '../lib/output.mjs' */
/** @import { Workspace } from '../lib/workspace.mjs' */

/**
 * @param {Workspace} workspace
 * @returns {Promise<SectionReport>}
 */
export const measureBundleFigures = async (workspace) => {
  say(`\n3. Bundles: size and module load time against a bare S3-client bundle (target: load at most ${TARGETS.loadRatio}× the bare bundle)`);
  const bundles = await measureBundles({ scratch: workspace.scratch, runs: SETTINGS.loadRuns, functions: workspace.functions });
  const header = ['bundle', 'raw', 'zipped', 'size ×bare', 'load (median)', 'min–max', 'load ×bare', 'verdict', 'fastest ×bare fastest'];
  /** @type {string[][]} */
  const rows = [];
  /** @type {SummaryRow[]} */
  const summary = [];
  for (const bundle of bundles) {
    const result = bundle.baseline ? 'baseline' : bundle.informational ? 'informational' : verdict(bundle.loadRatio <= TARGETS.loadRatio);
    rows.push([
      bundle.name,
      kib(bundle.rawBytes),
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
        value: `${fixed(bundle.loadMsMedian)} ms = ${fixed(bundle.loadRatio, 2)}× bare (${kib(bundle.rawBytes)}, ${kib(bundle.zipBytes)} zipped)`,
        target: `≤ ${TARGETS.loadRatio}× bare`,
        result,
      });
    }
  }
  say(columns([header, ...rows], '   '));
  say(`   (fresh \`node -e\` process importing each bundle from its file, ${SETTINGS.loadRuns} times each, interleaved; zipped = a one-file ZIP, deflate level 9;`);
  say('    the verdict is on the medians; "fastest ×bare fastest" compares the quickest loads, which other work on the machine disturbs least)');

  return {
    summary,
    markdown: [
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
      markdownTable(header, rows),
      '',
    ],
  };
};
