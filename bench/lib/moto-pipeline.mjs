// End to end on moto: a bucket whose object-created notifications go to an SQS queue, objects
// uploaded unencrypted, and the built enforce bundle consuming the queue (bench/pipeline-consumer.mjs)
// until the queue is drained; then every object is checked with HeadObject.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { childEnvironment, runNode } from './processes.mjs';

export const MOTO_INSTALL_HINT = 'pip install "moto[server]"';
const REGION = 'us-east-1';
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench' };
const CONSUMER_DEADLINE_MS = 150_000;

/** Null when moto's server can be started here; otherwise why not. */
export const motoMissing = () => {
  const probe = spawnSync('python3', ['-c', 'import moto.server, flask'], { encoding: 'utf8' });
  if (probe.error) return `python3 not found (${MOTO_INSTALL_HINT})`;
  return probe.status === 0 ? null : `moto missing (${MOTO_INSTALL_HINT})`;
};

/** moto's server on a free loopback port; `stop()` ends it (SIGTERM, then SIGKILL). */
export const startMoto = () =>
  new Promise((resolve, reject) => {
    const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
    let seen = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`moto did not report its port within 30 s: ${seen.slice(-300)}`));
    }, 30_000);
    const onData = (chunk) => {
      seen += chunk;
      const match = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(seen);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.removeListener('data', onData);
      child.stderr.removeListener('data', onData);
      child.stdout.resume();
      child.stderr.resume();
      resolve({
        endpoint: `http://127.0.0.1:${match[1]}`,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
          }),
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`moto could not be started (${error.message}); ${MOTO_INSTALL_HINT}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`moto exited with code ${code} before it was ready: ${seen.slice(-300)}`));
    });
  });

const forEachBounded = async (items, limit, work) => {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
};

/** One run: provision, upload `objects`, consume until drained, verify. Names are unique per run. */
const pipelineRun = async ({ endpoint, run, objects, bundle, scratch, clients }) => {
  const { kms, sns, sqs, s3, commands: c } = clients;
  const name = `bench-pipeline-${run}`;
  const { KeyMetadata } = await kms.send(new c.CreateKeyCommand({ Description: 'enforcer benchmark key' }));
  await kms.send(new c.CreateAliasCommand({ AliasName: `alias/${name}`, TargetKeyId: KeyMetadata.KeyId }));
  const { TopicArn } = await sns.send(new c.CreateTopicCommand({ Name: `${name}-findings` }));
  const { QueueUrl } = await sqs.send(new c.CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '60' } }));
  const { Attributes } = await sqs.send(new c.GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await s3.send(new c.CreateBucketCommand({ Bucket: name }));
  // New buckets on S3 have ACLs disabled (BucketOwnerEnforced) since 2023.
  await s3.send(new c.PutBucketOwnershipControlsCommand({ Bucket: name, OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } }));
  await s3.send(
    new c.PutBucketNotificationConfigurationCommand({
      Bucket: name,
      NotificationConfiguration: { QueueConfigurations: [{ QueueArn: Attributes.QueueArn, Events: ['s3:ObjectCreated:*'] }] },
    }),
  );

  const keys = Array.from({ length: objects }, (_, index) => `incoming/${String(index).padStart(5, '0')} report.csv`);
  const body = 'id,amount\n'.padEnd(1024, 'x');
  const uploadStarted = performance.now();
  await forEachBounded(keys, 8, (key) => s3.send(new c.PutObjectCommand({ Bucket: name, Key: key, Body: body, ContentType: 'text/csv' })));
  const uploadMs = performance.now() - uploadStarted;
  // moto delivers the notifications as it stores the objects; wait (bounded) until they are all queued.
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const { Attributes: counts } = await sqs.send(new c.GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    if (Number(counts.ApproximateNumberOfMessages) >= objects) break;
    await sleep(200);
  }

  const resultFile = join(scratch, `pipeline-${run}.json`);
  const consumed = await runNode([join('bench', 'pipeline-consumer.mjs'), bundle, resultFile], {
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
  });

  let compliant = 0;
  await forEachBounded(keys, 8, async (key) => {
    const head = await s3.send(new c.HeadObjectCommand({ Bucket: name, Key: key }));
    if (head.ServerSideEncryption === 'aws:kms' && head.SSEKMSKeyId === KeyMetadata.Arn) compliant += 1;
  });
  return { objects, uploadMs, compliant, ...consumed };
};

export const measurePipeline = async ({ runs, objects, bundle, scratch, onStarted }) => {
  const [{ KMSClient, CreateKeyCommand, CreateAliasCommand }, s3Sdk, { SNSClient, CreateTopicCommand }, sqsSdk] = await Promise.all([
    import('@aws-sdk/client-kms'),
    import('@aws-sdk/client-s3'),
    import('@aws-sdk/client-sns'),
    import('@aws-sdk/client-sqs'),
  ]);
  const moto = await startMoto();
  onStarted?.(moto);
  try {
    const common = { region: REGION, endpoint: moto.endpoint, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };
    const clients = {
      kms: new KMSClient(common),
      sns: new SNSClient(common),
      sqs: new sqsSdk.SQSClient(common),
      s3: new s3Sdk.S3Client({ ...common, forcePathStyle: true }),
      commands: { CreateKeyCommand, CreateAliasCommand, CreateTopicCommand, ...s3Sdk, ...sqsSdk },
    };
    const results = [];
    for (let run = 1; run <= runs; run += 1) results.push(await pipelineRun({ endpoint: moto.endpoint, run, objects, bundle, scratch, clients }));
    return { endpoint: moto.endpoint, results };
  } finally {
    await moto.stop();
  }
};
