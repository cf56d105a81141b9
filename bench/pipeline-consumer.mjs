// One warm Lambda execution environment of the enforce function, fed by SQS the way Lambda's event
// source mapping feeds it: ReceiveMessage in batches of 10 with long polling, the handler called
// with the SQS event, and only the messages not named in batchItemFailures deleted.
//   node bench/pipeline-consumer.mjs <bundle> <result.json>   (environment: see moto-pipeline.mjs)
// Stops by itself: when the queue stays empty, or at the deadline.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

const [bundle, resultFile] = process.argv.slice(2);
const { QUEUE_URL, QUEUE_ARN, AWS_REGION, AWS_ENDPOINT_URL, EXPECTED_OBJECTS, DEADLINE_MS } = process.env;
const expected = Number(EXPECTED_OBJECTS);
const deadline = performance.now() + Number(DEADLINE_MS);

// The function's own log line per object says when each object became compliant; the lines are
// read here instead of printed.
let remediated = 0;
let allCompliantAt;
let logTail = '';
process.stdout.write = (chunk) => {
  logTail += String(chunk);
  const lines = logTail.split('\n');
  logTail = lines.pop() ?? '';
  for (const line of lines) {
    if (line.includes('"message":"object enforced"') && line.includes('"outcome":"remediated"')) {
      remediated += 1;
      if (remediated === expected) allCompliantAt = performance.now();
    }
  }
  return true;
};

const sqs = new SQSClient({ region: AWS_REGION, endpoint: AWS_ENDPOINT_URL });
const { handler } = await import(pathToFileURL(bundle).href);
const context = {
  functionName: 'enforce-object-encryption',
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:${AWS_REGION}:123456789012:function:enforce-object-encryption`,
  memoryLimitInMB: '512',
  awsRequestId: 'bench',
  logGroupName: '/aws/lambda/enforce-object-encryption',
  logStreamName: 'bench',
  getRemainingTimeInMillis: () => 300_000,
  callbackWaitsForEmptyEventLoop: true,
};

const queueIsEmpty = async () => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: QUEUE_URL, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) === 0;
};

const started = performance.now();
let lastWorkAt = started;
let batches = 0;
let messages = 0;
let failedItems = 0;
let quietPolls = 0;
let timedOut = false;
while (quietPolls < 2) {
  if (performance.now() > deadline) {
    timedOut = true;
    break;
  }
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: QUEUE_URL, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, AttributeNames: ['All'] }),
  );
  if (Messages.length === 0) {
    quietPolls = (await queueIsEmpty()) ? quietPolls + 1 : 0;
    continue;
  }
  quietPolls = 0;
  const event = {
    Records: Messages.map((message) => ({
      messageId: message.MessageId,
      receiptHandle: message.ReceiptHandle,
      body: message.Body,
      attributes: message.Attributes ?? {},
      messageAttributes: {},
      md5OfBody: message.MD5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: QUEUE_ARN,
      awsRegion: AWS_REGION,
    })),
  };
  const result = await handler(event, context);
  const failed = new Set((result?.batchItemFailures ?? []).map((item) => item.itemIdentifier));
  failedItems += failed.size;
  const done = Messages.filter((message) => !failed.has(message.MessageId));
  if (done.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: QUEUE_URL, Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })) }),
    );
  }
  batches += 1;
  messages += Messages.length;
  lastWorkAt = performance.now();
}

writeFileSync(
  resultFile,
  JSON.stringify({
    batches,
    messages,
    failedItems,
    remediated,
    timedOut,
    drainedMs: lastWorkAt - started,
    allCompliantMs: allCompliantAt === undefined ? undefined : allCompliantAt - started,
  }),
);
