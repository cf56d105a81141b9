// Shows one remediation end to end on this machine, with nothing deployed: moto's server stands in
// for S3, KMS, SNS and SQS; S3 notifies an SQS queue; the built enforce bundle consumes the queue.
//   npm run demo            (POWERTOOLS_LOG_LEVEL=INFO npm run demo shows the function's log line per object)
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { CreateKeyCommand, CreateAliasCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

const REGION = 'us-east-1';

const startMoto = () =>
  new Promise((resolve, reject) => {
    const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let seen = '';
    const onData = (chunk) => {
      seen += chunk;
      const match = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(seen);
      if (match) resolve({ child, endpoint: `http://127.0.0.1:${match[1]}` });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', () => reject(new Error('python3 was not found. Install Python 3, then: pip install "moto[server]"')));
    child.once('exit', (code) => reject(new Error(`moto's server did not start (exit ${code}). Install it with: pip install "moto[server]"\n${seen}`)));
  });

const { child, endpoint } = await startMoto().catch((error) => {
  console.error(error.message);
  process.exit(2);
});
const stop = () => child.kill('SIGTERM');
process.on('SIGINT', () => {
  stop();
  process.exit(130);
});

try {
  const credentials = { accessKeyId: 'demo', secretAccessKey: 'demo' };
  const common = { region: REGION, endpoint, credentials };
  const s3 = new S3Client({ ...common, forcePathStyle: true });
  const kms = new KMSClient(common);
  const sns = new SNSClient(common);
  const sqs = new SQSClient(common);

  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'enforcer demo key' }));
  await kms.send(new CreateAliasCommand({ AliasName: 'alias/enforcer-demo', TargetKeyId: KeyMetadata.KeyId }));
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'encryption-findings' }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'object-created' }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const bucket = 'demo-uploads';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: { QueueConfigurations: [{ QueueArn: Attributes.QueueArn, Events: ['s3:ObjectCreated:*'] }] },
    }),
  );

  const key = 'reports/Q3 résumé + notes.txt';
  const body = 'quarterly numbers, not yet encrypted under our key\n';
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'text/plain', CacheControl: 'max-age=60', Metadata: { owner: 'finance' }, Tagging: 'team=finance' }),
  );

  const describe = async () => {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
    const bytes = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body.transformToByteArray());
    return {
      encryption: head.ServerSideEncryption ? `${head.ServerSideEncryption}${head.SSEKMSKeyId ? ` (${head.SSEKMSKeyId})` : ''}` : 'none',
      contentType: head.ContentType,
      cacheControl: head.CacheControl,
      metadata: JSON.stringify(head.Metadata),
      tags: tags.TagSet.map((tag) => `${tag.Key}=${tag.Value}`).join(','),
      sha256: createHash('sha256').update(bytes).digest('hex').slice(0, 16),
    };
  };
  const before = await describe();

  const env = {
    AWS_ACCESS_KEY_ID: 'demo',
    AWS_SECRET_ACCESS_KEY: 'demo',
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL: endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    REQUIRED_KMS_KEY: 'alias/enforcer-demo',
    FINDINGS_TOPIC_ARN: TopicArn,
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
  };
  Object.assign(process.env, env);
  const { handler } = await import(new URL('../dist/enforce-object-encryption/index.mjs', import.meta.url).href);
  const context = { functionName: 'enforce-object-encryption', awsRequestId: 'demo', getRemainingTimeInMillis: () => 60_000 };

  // Consume the queue the way Lambda's event source mapping does, until it is quiet.
  let batches = 0;
  for (let quiet = 0; quiet < 2; ) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    if (Messages.length === 0) {
      quiet += 1;
      continue;
    }
    batches += 1;
    const event = { Records: Messages.map((m) => ({ messageId: m.MessageId, receiptHandle: m.ReceiptHandle, body: m.Body, eventSource: 'aws:sqs', awsRegion: REGION })) };
    const result = await handler(event, context);
    if (result.batchItemFailures.length > 0) throw new Error(`batch failed: ${JSON.stringify(result.batchItemFailures)}`);
  }

  const after = await describe();
  console.log(`\ns3://${bucket}/${key} — ${batches} batch(es) from the queue\n`);
  console.table({ before, after });
  const kept = ['contentType', 'cacheControl', 'metadata', 'tags', 'sha256'].every((field) => before[field] === after[field]);
  const encrypted = after.encryption === `aws:kms (${KeyMetadata.Arn})`;
  console.log(encrypted && kept ? '\nRemediated under the required key; bytes, headers, metadata and tags unchanged.' : '\nNOT remediated as expected.');
  process.exitCode = encrypted && kept ? 0 : 1;
} finally {
  stop();
}
