import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
  type ObjectOwnership,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { createRequire } from 'node:module';
import { invokeBundle, type BundleRun } from './invoke-bundle.js';
import type { MotoClients } from './moto-clients.js';
import { motoEnvironment } from './moto-server.js';
import type { KeyArns } from './sample-objects.js';
import { createTestQueue, type ReceivedMessage, type TestQueue } from './sqs-queue.js';

export const FUNCTION_NAME = 'enforce-object-encryption';

/** The deployment's own rule pattern (infra/deployment-settings.cjs), resolved as osls resolves it. */
const objectCreatedPattern = createRequire(import.meta.url)('../../../infra/deployment-settings.cjs').objectCreatedPattern as (
  context: { resolveVariable: (expression: string) => Promise<string | null> },
) => Promise<Record<string, unknown>>;

/** Where a bucket's notifications go: straight to SQS, and through SNS to SQS. */
export interface BucketNotifications {
  /** S3 → SQS: body = the S3 notification. */
  readonly direct: TestQueue;
  /** S3 → SNS → SQS (not raw): body = the SNS envelope, its Message = the S3 notification. */
  readonly viaSns: TestQueue;
  /** What each queue held right after the notification was configured: S3's test events. */
  readonly testEvents: { readonly direct: ReceivedMessage[]; readonly viaSns: ReceivedMessage[] };
}

/** The findings topic the enforcer publishes to, read back through a subscribed queue. */
export interface FindingsInbox {
  readonly topicArn: string;
  readonly queue: TestQueue;
}

export interface EnforcerFixture {
  readonly keys: KeyArns;
  readonly findings: FindingsInbox;
  /** The bundle's environment: the defaults a deployment would set, and `overrides` (undefined removes a variable). */
  env(overrides?: Readonly<Record<string, string | undefined>>): Record<string, string>;
  /** Runs the built bundle, cold, on `event`. */
  run(event: unknown, overrides?: Readonly<Record<string, string | undefined>>): Promise<BundleRun>;
  createBucket(name: string, options?: { versioned?: boolean; objectOwnership?: ObjectOwnership }): Promise<string>;
  notifyOnObjectCreated(bucket: string): Promise<BucketNotifications>;
  /**
   * The deployment's recommended path for `bucket`: EventBridge notifications on, and a rule on the
   * default bus with the deployment's pattern sending Object Created events to the returned queue.
   */
  routeThroughEventBridge(bucket: string): Promise<TestQueue>;
  createKey(description: string): Promise<string>;
}

/** Builds a fresh world on a freshly reset moto: two customer keys, a findings topic and its inbox. */
export const prepareEnforcerFixture = async (endpoint: string, clients: MotoClients): Promise<EnforcerFixture> => {
  const { s3, kms, sns, sqs, events } = clients;
  const createKey = async (description: string): Promise<string> => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: description }));
    if (!KeyMetadata?.Arn) throw new Error('CreateKey returned no ARN');
    return KeyMetadata.Arn;
  };
  const keys: KeyArns = { required: await createKey('the required key'), other: await createKey('some other key') };

  const { TopicArn: topicArn } = await sns.send(new CreateTopicCommand({ Name: 'enforcer-findings' }));
  if (!topicArn) throw new Error('CreateTopic returned no ARN');
  const findingsQueue = await createTestQueue(sqs, 'enforcer-findings-inbox');
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: findingsQueue.arn }));

  const env = (overrides: Readonly<Record<string, string | undefined>> = {}): Record<string, string> => {
    const merged: Record<string, string | undefined> = {
      ...motoEnvironment(endpoint),
      REQUIRED_KMS_KEY: keys.required,
      FINDINGS_TOPIC_ARN: topicArn,
      ...overrides,
    };
    return Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined));
  };

  return {
    keys,
    findings: { topicArn, queue: findingsQueue },
    env,
    run: (event, overrides) => invokeBundle(FUNCTION_NAME, event, env(overrides)),
    createKey,
    async createBucket(name, options = {}) {
      await s3.send(new CreateBucketCommand({ Bucket: name, ...(options.objectOwnership ? { ObjectOwnership: options.objectOwnership } : {}) }));
      if (options.versioned) {
        await s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
      }
      return name;
    },
    async routeThroughEventBridge(bucket) {
      const queue = await createTestQueue(sqs, `${bucket}-eventbridge`);
      const rule = `${bucket}-object-created`;
      const pattern = await objectCreatedPattern({
        resolveVariable: async (expression) => (expression === 'param:watchedBuckets, null' ? bucket : null),
      });
      await events.send(new PutRuleCommand({ Name: rule, EventBusName: 'default', State: 'ENABLED', EventPattern: JSON.stringify(pattern) }));
      const { FailedEntryCount } = await events.send(new PutTargetsCommand({ Rule: rule, EventBusName: 'default', Targets: [{ Id: 'enforcer-queue', Arn: queue.arn }] }));
      if (FailedEntryCount) throw new Error(`the rule ${rule} refused its queue target`);
      await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: { EventBridgeConfiguration: {} } }));
      return queue;
    },
    async notifyOnObjectCreated(bucket) {
      const direct = await createTestQueue(sqs, `${bucket}-events`);
      const viaSns = await createTestQueue(sqs, `${bucket}-events-via-sns`);
      const { TopicArn: eventsTopic } = await sns.send(new CreateTopicCommand({ Name: `${bucket}-events` }));
      if (!eventsTopic) throw new Error('CreateTopic returned no ARN');
      await sns.send(new SubscribeCommand({ TopicArn: eventsTopic, Protocol: 'sqs', Endpoint: viaSns.arn }));
      await s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: bucket,
          NotificationConfiguration: {
            QueueConfigurations: [{ QueueArn: direct.arn, Events: ['s3:ObjectCreated:*'] }],
            TopicConfigurations: [{ TopicArn: eventsTopic, Events: ['s3:ObjectCreated:*'] }],
          },
        }),
      );
      return { direct, viaSns, testEvents: { direct: await direct.drain(), viaSns: await viaSns.drain() } };
    },
  };
};
