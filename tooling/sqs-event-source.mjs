// Lambda's event source mapping for SQS, on one poller, for `npm start` and the bench's end-to-end
// figure: long polling, batches of up to 10, the function invoked with the SQS event, and only the
// messages it did not name in `batchItemFailures` deleted (none, if it failed); the others come back
// after their visibility timeout, and after the queue's maxReceiveCount go to its dead-letter queue.
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { performance } from 'node:perf_hooks';

/** @import { Message, SQSClient } from '@aws-sdk/client-sqs' */
/** @import { SQSEvent, SQSRecord, SQSRecordAttributes } from 'aws-lambda' */

/** Lambda's default batch size for SQS. */
export const BATCH_SIZE = 10;
const LONG_POLL_S = 1;

/**
 * @typedef {object} EventSourceQueue
 * @property {string} url
 * @property {string} arn
 */

/**
 * One invocation as the event source mapping sees it: what the function returned, or that it failed
 * (threw, or timed out), in which case the whole batch is retried.
 * @typedef {{ result?: unknown, error?: unknown }} Invocation
 */

/**
 * @typedef {object} ConsumerFigures
 * @property {number} batches
 * @property {number} messages
 * @property {number} failedItems Deliveries not deleted: named in batchItemFailures, or in a failed invocation.
 * @property {number} invocationErrors
 * @property {boolean} timedOut The deadline passed before the queue was quiet.
 * @property {number} startedAt `performance.now()` before the first ReceiveMessage.
 * @property {number} lastBatchEndedAt `performance.now()` once the last batch's messages were deleted (startedAt if there was none).
 */

/**
 * What Lambda hands the function for one received message.
 * @param {Message} message
 * @param {string} queueArn
 * @param {string} region
 * @returns {SQSRecord}
 */
export const sqsRecordOf = (message, queueArn, region) => ({
  messageId: message.MessageId ?? '',
  receiptHandle: message.ReceiptHandle ?? '',
  body: message.Body ?? '',
  // ReceiveMessage with AttributeNames ['All'] answers the attributes Lambda passes on.
  attributes: /** @type {SQSRecordAttributes} */ (message.Attributes ?? {}),
  messageAttributes: {},
  md5OfBody: message.MD5OfBody ?? '',
  eventSource: 'aws:sqs',
  eventSourceARN: queueArn,
  awsRegion: region,
});

/**
 * The message ids a handler's answer names as failed.
 * @param {unknown} result
 * @returns {Set<string>}
 */
const failuresNamedIn = (result) => {
  const failures = /** @type {{ batchItemFailures?: { itemIdentifier: string }[] } | undefined} */ (result)?.batchItemFailures ?? [];
  return new Set(failures.map((item) => item.itemIdentifier));
};

/**
 * @param {SQSClient} sqs
 * @param {string} url
 * @returns {Promise<number>} Messages waiting and in flight.
 */
const queueDepth = async (sqs, url) => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
};

/**
 * @param {SQSClient} sqs
 * @param {string} url
 * @param {Message[]} messages
 */
const deleteMessages = async (sqs, url, messages) => {
  if (messages.length === 0) return;
  await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })) }));
};

/**
 * Consumes `queue` until it is quiet — `quietPolls` empty receives in a row with nothing waiting or in
 * flight — or until `deadline` (a `performance.now()` time) has passed. A failed message is in flight
 * until its visibility timeout ends, so the consumer waits for its retry. `invoke` throwing (rather
 * than answering an error) ends the consumption with that error.
 * @param {object} options
 * @param {SQSClient} options.sqs
 * @param {EventSourceQueue} options.queue
 * @param {string} options.region
 * @param {(event: SQSEvent) => Promise<Invocation>} options.invoke
 * @param {number} options.deadline
 * @param {number} [options.quietPolls]
 * @returns {Promise<ConsumerFigures>}
 */
export const consumeQueue = async ({ sqs, queue, region, invoke, deadline, quietPolls = 1 }) => {
  const startedAt = performance.now();
  const figures = { batches: 0, messages: 0, failedItems: 0, invocationErrors: 0, timedOut: false, startedAt, lastBatchEndedAt: startedAt };
  let quiet = 0;
  while (quiet < quietPolls) {
    if (performance.now() > deadline) {
      figures.timedOut = true;
      break;
    }
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: BATCH_SIZE, WaitTimeSeconds: LONG_POLL_S, AttributeNames: ['All'] }),
    );
    if (Messages.length === 0) {
      quiet = (await queueDepth(sqs, queue.url)) === 0 ? quiet + 1 : 0;
      continue;
    }
    quiet = 0;
    const { result, error } = await invoke({ Records: Messages.map((message) => sqsRecordOf(message, queue.arn, region)) });
    if (error !== undefined) figures.invocationErrors += 1;
    const failed = error !== undefined ? new Set(Messages.map((message) => message.MessageId)) : failuresNamedIn(result);
    figures.failedItems += failed.size;
    await deleteMessages(
      sqs,
      queue.url,
      Messages.filter((message) => !failed.has(message.MessageId)),
    );
    figures.batches += 1;
    figures.messages += Messages.length;
    figures.lastBatchEndedAt = performance.now();
  }
  return figures;
};

/**
 * Every message in the queue now, deleted as read (no long polling: what has arrived has arrived).
 * @param {SQSClient} sqs
 * @param {string} url
 * @returns {Promise<Message[]>}
 */
export const drainQueue = async (sqs, url) => {
  /** @type {Message[]} */
  const all = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: BATCH_SIZE, WaitTimeSeconds: 0, AttributeNames: ['All'] }));
    if (Messages.length === 0) return all;
    all.push(...Messages);
    await deleteMessages(sqs, url, Messages);
  }
};
