// One warm Lambda execution environment of the enforce function, fed by SQS the way Lambda's event
// source mapping feeds it (tooling/sqs-event-source.mjs): ReceiveMessage in batches of 10 with long
// polling, the handler called with the SQS event, and only the messages not named in
// batchItemFailures deleted. In-process and warm on purpose: the figure is the pace of one execution
// environment through the pipeline, not of cold starts.
//   node bench/pipeline-consumer.mjs <bundle> <result.json>   (environment: see lib/moto-pipeline.mjs)
// Stops by itself: when the queue stays empty, or at the deadline.
import { SQSClient } from '@aws-sdk/client-sqs';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { isObjectLine } from '../tooling/enforce-log.mjs';
import { captureOutput, importHandler, lambdaContext, parseLogLine } from '../tooling/lambda-environment.mjs';
import { consumeQueue } from '../tooling/sqs-event-source.mjs';

/**
 * What the consumer writes to result.json.
 * @typedef {object} ConsumerResult
 * @property {number} batches
 * @property {number} messages
 * @property {number} failedItems
 * @property {number} remediated Objects the function logged as remediated.
 * @property {boolean} timedOut
 * @property {number} drainedMs From the first ReceiveMessage to the end of the last batch.
 * @property {number} [allCompliantMs] From the first ReceiveMessage to the log line of the last expected remediation.
 */

const FUNCTION_NAME = 'enforce-object-encryption';

const [bundle, resultFile] = process.argv.slice(2);
const { QUEUE_URL, QUEUE_ARN, AWS_REGION, AWS_ENDPOINT_URL, EXPECTED_OBJECTS, DEADLINE_MS } = process.env;
if (!bundle || !resultFile || !QUEUE_URL || !QUEUE_ARN || !AWS_REGION) throw new Error('usage: pipeline-consumer.mjs <bundle> <result.json>, with QUEUE_URL, QUEUE_ARN and AWS_REGION set');
const expected = Number(EXPECTED_OBJECTS);
const deadline = performance.now() + Number(DEADLINE_MS);

// The function's own line per object says when each object became compliant: counted as it is
// written, instead of printed.
let remediated = 0;
/** @type {number | undefined} */
let allCompliantAt;
/** @param {string} line */
const countRemediation = (line) => {
  const log = parseLogLine(line);
  if (!log || !isObjectLine(log) || log.outcome !== 'remediated') return;
  remediated += 1;
  if (remediated === expected) allCompliantAt = performance.now();
};

const sqs = new SQSClient({ region: AWS_REGION, endpoint: AWS_ENDPOINT_URL });
const handler = await importHandler(bundle);

const figures = await consumeQueue({
  sqs,
  queue: { url: QUEUE_URL, arn: QUEUE_ARN },
  region: AWS_REGION,
  deadline,
  quietPolls: 2,
  // A failed invocation ends the run: the figure is of a pipeline that works.
  invoke: async (event) => {
    const { result, error } = await captureOutput(() => handler(event, lambdaContext(FUNCTION_NAME, { requestId: 'bench' })), countRemediation);
    if (error !== undefined) throw error;
    return { result };
  },
});

/** @type {ConsumerResult} */
const result = {
  batches: figures.batches,
  messages: figures.messages,
  failedItems: figures.failedItems,
  remediated,
  timedOut: figures.timedOut,
  drainedMs: figures.lastBatchEndedAt - figures.startedAt,
  allCompliantMs: allCompliantAt === undefined ? undefined : allCompliantAt - figures.startedAt,
};
writeFileSync(resultFile, JSON.stringify(result));
