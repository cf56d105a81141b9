// End to end on moto: a bucket whose object-created notifications go to an SQS queue, objects
// uploaded unencrypted, and the built enforce bundle consuming the queue (bench/pipeline-consumer.mjs)
// until the queue is drained; then every object is checked with HeadObject.
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateBucketCommand, HeadObjectCommand, PutBucketNotificationConfigurationCommand, PutBucketOwnershipControlsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startMotoServer } from '../../tooling/moto-server.mjs';
import { childEnvironment, runNode } from './processes.mjs';

/** @import { MotoServer } from '../../tooling/moto-server.mjs' */
/** @import { ConsumerResult } from '../pipeline-consumer.mjs' */

const REGION = 'us-east-1';
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench' };
const CONSUMER_DEADLINE_MS = 150_000;

/** @typedef {{ kms: KMSClient, sns: SNSClient, sqs: SQSClient, s3: S3Client }} Clients */

/**
 * One run's figures: the uploads, what the consumer saw, and how many objects ended compliant.
 * @typedef {{ objects: number, uploadMs: number, compliant: number } & ConsumerResult} PipelineRun
 */

/**
 * @param {string[]} items
 * @param {number} limit
 * @param {(item: string) => Promise<unknown>} work
 */
const forEachBounded = async (items, limit, work) => {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(/** @type {string} */ (items[next++]));
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
};

/**
 * One run: provision, upload `objects`, consume until drained, verify. Names are unique per run.
 * @param {{ endpoint: string, run: number, objects: number, bundle: string, scratch: string, clients: Clients }} options
 * @returns {Promise<PipelineRun>}
 */
const pipelineRun = async ({ endpoint, run, objects, bundle, scratch, clients }) => {
  const { kms, sns, sqs, s3 } = clients;
  const name = `bench-pipeline-${run}`;
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'enforcer benchmark key' }));
  if (!KeyMetadata?.Arn) throw new Error('CreateKey returned no ARN');
  await kms.send(new CreateAliasCommand({ AliasName: `alias/${name}`, TargetKeyId: KeyMetadata.KeyId }));
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `${name}-findings` }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '60' } }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  if (!TopicArn || !QueueUrl || !Attributes?.QueueArn) throw new Error('moto returned no topic ARN, queue URL or queue ARN');
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  // New buckets on S3 have ACLs disabled (BucketOwnerEnforced) since 2023.
  await s3.send(new PutBucketOwnershipControlsCommand({ Bucket: name, OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } }));
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: name,
      NotificationConfiguration: { QueueConfigurations: [{ QueueArn: Attributes.QueueArn, Events: ['s3:ObjectCreated:*'] }] },
    }),
  );

  const keys = Array.from({ length: objects }, (_, index) => `incoming/${String(index).padStart(5, '0')} report.csv`);
  const body = 'id,amount\n'.padEnd(1024, 'x');
  const uploadStarted = performance.now();
  await forEachBounded(keys, 8, (key) => s3.send(new PutObjectCommand({ Bucket: name, Key: key, Body: body, ContentType: 'text/csv' })));
  const uploadMs = performance.now() - uploadStarted;
  // moto delivers the notifications as it stores the objects; wait (bounded) until they are all queued.
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const { Attributes: counts } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    if (Number(counts?.ApproximateNumberOfMessages) >= objects) break;
    await sleep(200);
  }

  const resultFile = join(scratch, `pipeline-${run}.json`);
  const consumed = /** @type {ConsumerResult} */ (
    await runNode([join('bench', 'pipeline-consumer.mjs'), bundle, resultFile], {
      resultFile,
      timeoutMs: CONSUMER_DEADLINE_MS + 30_000,
      env: childEnvironment({
        ...CREDENTIALS,
        AWS_REGION: REGION,
        AWS_ENDPOINT_URL: endpoint,
        S3_FORCE_PATH_STYLE: 'true',
        REQUIRED_KMS_KEY: `alias/${name}`,
        FINDINGS_TOPIC_ARN: TopicArn,
        AWS_LAMBDA_FUNCTION_NAME: 'enforce-object-encryption',
        QUEUE_URL: QueueUrl,
        QUEUE_ARN: Attributes.QueueArn,
        EXPECTED_OBJECTS: String(objects),
        DEADLINE_MS: String(CONSUMER_DEADLINE_MS),
      }),
    })
  );

  let compliant = 0;
  await forEachBounded(keys, 8, async (key) => {
    const head = await s3.send(new HeadObjectCommand({ Bucket: name, Key: key }));
    if (head.ServerSideEncryption === 'aws:kms' && head.SSEKMSKeyId === KeyMetadata.Arn) compliant += 1;
  });
  return { objects, uploadMs, compliant, ...consumed };
};

/**
 * `runs` runs on one moto server, started here and stopped at the end; `onStarted` receives it at once,
 * so an interrupted bench can stop it.
 * @param {{ runs: number, objects: number, bundle: string, scratch: string, onStarted?: (server: MotoServer) => void }} options
 * @returns {Promise<{ endpoint: string, results: PipelineRun[] }>}
 */
export const measurePipeline = async ({ runs, objects, bundle, scratch, onStarted }) => {
  const moto = await startMotoServer();
  onStarted?.(moto);
  const common = { region: REGION, endpoint: moto.endpoint, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };
  const clients = { kms: new KMSClient(common), sns: new SNSClient(common), sqs: new SQSClient(common), s3: new S3Client({ ...common, forcePathStyle: true }) };
  try {
    const results = [];
    for (let run = 1; run <= runs; run += 1) results.push(await pipelineRun({ endpoint: moto.endpoint, run, objects, bundle, scratch, clients }));
    return { endpoint: moto.endpoint, results };
  } finally {
    for (const client of Object.values(clients)) client.destroy();
    await moto.stop();
  }
};
