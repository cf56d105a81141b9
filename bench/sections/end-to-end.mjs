// Section 5: end to end on moto — uploads, S3 notifications, SQS and the built enforce bundle in one
// warm execution environment — until every object is compliant. Informational: no target.
import { measurePipeline } from '../lib/moto-pipeline.mjs';
import { columns, markdownTable, say } from '../lib/output.mjs';
import { fixed, median } from '../lib/stats.mjs';
import { SETTINGS } from '../settings.mjs';
import { motoUnavailableReason } from '../../tooling/moto-server.mjs';

/** @import { SectionReport } from '../lib/output.mjs' */
/** @import { Workspace } from '../lib/workspace.mjs' */

const FIGURE = 'end to end on moto';

/**
 * @param {{ said: string, result: string, documented: string }} why
 * @returns {SectionReport}
 */
const notMeasured = ({ said, result, documented }) => {
  say(`   not measured: ${said}`);
  return {
    summary: [{ figure: FIGURE, value: 'not measured', target: 'none (informational)', result: `not measured: ${result}` }],
    markdown: ['## 5. End to end on moto', '', `Not measured: ${documented}.`, ''],
  };
};

/**
 * @param {Workspace} workspace
 * @returns {Promise<SectionReport>}
 */
export const measureEndToEnd = async (workspace) => {
  say(`\n5. End to end on moto: ${SETTINGS.pipelineObjects} unencrypted uploads → S3 notification → SQS → the built enforce bundle (no target: informational)`);
  const unavailable = motoUnavailableReason();
  if (unavailable) return notMeasured({ said: unavailable, result: unavailable, documented: `${unavailable}; then run \`npm run bench\` again` });
  let results;
  try {
    /** @type {(() => void) | undefined} */
    let forget;
    ({ results } = await measurePipeline({
      runs: SETTINGS.pipelineRuns,
      objects: SETTINGS.pipelineObjects,
      bundle: workspace.bundleOf('enforce-object-encryption'),
      scratch: workspace.scratch,
      onStarted: (server) => (forget = workspace.onCleanUp(server.stop)),
    }));
    forget?.();
  } catch (error) {
    const message = /** @type {Error} */ (error).message;
    return notMeasured({ said: `the pipeline failed (${message})`, result: message, documented: `the pipeline failed (${message})` });
  }
  const valid = results.every((run) => run.compliant === run.objects && !run.timedOut && run.allCompliantMs !== undefined);
  const compliantRate = median(results.map((run) => (valid ? run.objects / (/** @type {number} */ (run.allCompliantMs) / 1000) : Number.NaN)));
  const drainedRate = median(results.map((run) => run.objects / (run.drainedMs / 1000)));
  const uploadRate = median(results.map((run) => run.objects / (run.uploadMs / 1000)));
  /** @type {(string | number)[][]} */
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
  return {
    summary: [{ figure: FIGURE, value: `${fixed(compliantRate)} objects/s (to all compliant), ${fixed(drainedRate)} objects/s (to queue drained)`, target: 'none (informational)', result }],
    markdown: [
      '## 5. End to end on moto',
      '',
      `moto's server (a local S3/KMS/SNS/SQS in one Python process, with the fidelity fixes of \`scripts/moto-fidelity\` the integration tier runs it with) on a free`,
      `loopback port; per run a KMS key, a findings topic, an SQS queue and a bucket (Object Ownership \`BucketOwnerEnforced\`, as new S3 buckets are) whose`,
      `\`s3:ObjectCreated:*\` notifications go to the queue. ${SETTINGS.pipelineObjects} objects`,
      "of 1 KiB are uploaded unencrypted (8 at a time; moto's buckets have no default encryption), then one warm execution environment of the built",
      'enforce bundle consumes the queue as the event source mapping does: `ReceiveMessage` of up to 10 with 1 s long polling, the handler called with',
      'the SQS event, and only the messages not named in `batchItemFailures` deleted — until the queue stays empty. "All compliant after": from the',
      "first `ReceiveMessage` to the function's log line for the last remediation; \"drained\": to the end of the last batch (the copies' own",
      "events included). Every object is checked with `HeadObject` afterwards. moto is one Python process on the same two cores and answers",
      'far more slowly than S3 does, so this is the pace of the whole pipeline on this machine, not the ceiling of the function (compare section 2).',
      '',
      markdownTable(/** @type {(string | number)[]} */ (table[0]), table.slice(1)),
      '',
      `Median of ${SETTINGS.pipelineRuns} runs: **${fixed(compliantRate)} objects/s** until every object is compliant, ${fixed(drainedRate)} objects/s until the queue is drained`,
      `(uploads: ${fixed(uploadRate)} objects/s).`,
      '',
    ],
  };
};
