// Lambda's event source mapping for SQS, on one poller.
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { REGION } from './local-aws.mjs';
import { captureOutput, echoLogs, lambdaContext, parseLogs } from './functions.mjs';
import { say } from './report.mjs';

/** Lambda's SQS default batch size. */
export const BATCH_SIZE = 10;
const RUN_LIMIT_MS = 180_000;

/** What Lambda hands the function for one SQS message. */
const lambdaRecord = (message, queueArn) => ({
  messageId: message.MessageId,
  receiptHandle: message.ReceiptHandle,
  body: message.Body,
  attributes: message.Attributes ?? {},
  messageAttributes: {},
  md5OfBody: message.MD5OfBody,
  eventSource: 'aws:sqs',
  eventSourceARN: queueArn,
  awsRegion: REGION,
});

const queueDepth = async (sqs, url) => {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
};

/**
 * Long-poll up to 10 messages, invoke, delete the messages the function did not name in
 * batchItemFailures (or none, if it threw), until the queue is empty and nothing is in flight.
 * Failed messages come back after the visibility timeout.
 */
export const consumeQueue = async ({ sqs, queue, handler, startedAt }) => {
  const stats = { messages: 0, batches: 0, failedDeliveries: 0, invocationErrors: 0 };
  const logs = [];
  for (;;) {
    if (Date.now() - startedAt > RUN_LIMIT_MS) throw new Error(`the queue ${queue.name} was not quiet after ${RUN_LIMIT_MS / 1000} s`);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: BATCH_SIZE, WaitTimeSeconds: 1, AttributeNames: ['All'] }),
    );
    if (Messages.length === 0) {
      if ((await queueDepth(sqs, queue.url)) === 0) return { stats, logs };
      continue;
    }
    stats.batches += 1;
    stats.messages += Messages.length;
    const event = { Records: Messages.map((message) => lambdaRecord(message, queue.arn)) };
    const { result, error, lines } = await captureOutput(() => handler(event, lambdaContext('enforce-object-encryption')));
    const parsed = parseLogs(lines);
    logs.push(...parsed);
    echoLogs('enforce', parsed);
    let failed;
    if (error) {
      stats.invocationErrors += 1;
      say(`  [enforce] invocation failed: ${error.message}; the whole batch is retried`);
      failed = new Set(Messages.map((message) => message.MessageId));
    } else {
      failed = new Set((result?.batchItemFailures ?? []).map((item) => item.itemIdentifier));
    }
    stats.failedDeliveries += failed.size;
    const done = Messages.filter((message) => !failed.has(message.MessageId));
    if (done.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: queue.url, Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })) }),
      );
    }
  }
};

/** Every message now in the queue, deleted as read. */
export const drainQueue = async (sqs, url) => {
  const all = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (Messages.length === 0) return all;
    all.push(...Messages);
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })) }));
  }
};
