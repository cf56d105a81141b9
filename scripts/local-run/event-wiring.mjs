// Where events go. Object-created events reach the enforcer by one of two paths per bucket: the
// deployment's recommended one, S3 → EventBridge (default bus) → rule → SQS, or an S3 event
// notification straight to SQS. The findings topic delivers to a subscribed SQS queue, read back as
// on-call's inbox.
import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { PutBucketNotificationConfigurationCommand } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import deploymentSettings from '../../infra/deployment-settings.cjs';

/** @import { EventBridgeClient } from '@aws-sdk/client-eventbridge' */
/** @import { NotificationConfiguration, S3Client } from '@aws-sdk/client-s3' */
/** @import { SNSClient } from '@aws-sdk/client-sns' */
/** @import { SQSClient } from '@aws-sdk/client-sqs' */
/** @import { SampleBucket } from './sample-estate.mjs' */

/** @typedef {{ name: string, url: string, arn: string }} LocalQueue */
/** @typedef {keyof typeof EVENT_PATHS} EventPath */

/** Short, so a failed message is retried within the run; after MAX_RECEIVE_COUNT receives it is dead-lettered. */
export const VISIBILITY_TIMEOUT_S = 3;
export const MAX_RECEIVE_COUNT = 3;
export const RULE_NAME = 'enforcer-object-created';

/**
 * A queue per path, so the run can say which path each object's event took; the deployment sends
 * both to one queue (infra/resources/event-path.yml), and one dead-letter queue serves both here too.
 */
export const EVENT_PATHS = {
  eventBridge: { label: 'EventBridge → SQS', queueName: 'enforcer-object-created-events' },
  notification: { label: 'S3 notification → SQS', queueName: 'enforcer-object-created' },
};

/**
 * @param {SQSClient} sqs
 * @param {string} name
 * @param {Record<string, string>} [attributes]
 * @returns {Promise<LocalQueue>}
 */
const createQueue = async (sqs, name, attributes = {}) => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  if (!QueueUrl || !Attributes?.QueueArn) throw new Error(`the queue ${name} has no URL or ARN`);
  return { name, url: QueueUrl, arn: Attributes.QueueArn };
};

/**
 * The enforcer's queues by path (EVENT_PATHS), their dead-letter queue, and on-call's inbox behind the findings topic.
 * @param {{ sqs: SQSClient, sns: SNSClient }} clients
 * @returns {Promise<{ enforcerQueues: Record<EventPath, LocalQueue>, deadLetters: LocalQueue, topicArn: string, onCall: LocalQueue }>}
 */
export const createQueuesAndTopic = async ({ sqs, sns }) => {
  const deadLetters = await createQueue(sqs, 'enforcer-object-created-dlq');
  /** @type {Partial<Record<EventPath, LocalQueue>>} */
  const enforcerQueues = {};
  for (const path of /** @type {EventPath[]} */ (Object.keys(EVENT_PATHS))) {
    enforcerQueues[path] = await createQueue(sqs, EVENT_PATHS[path].queueName, {
      VisibilityTimeout: String(VISIBILITY_TIMEOUT_S),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetters.arn, maxReceiveCount: MAX_RECEIVE_COUNT }),
    });
  }
  const { TopicArn: topicArn } = await sns.send(new CreateTopicCommand({ Name: 'encryption-findings' }));
  if (!topicArn) throw new Error('CreateTopic returned no ARN');
  const onCall = await createQueue(sqs, 'on-call-inbox');
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: onCall.arn }));
  return { enforcerQueues: /** @type {Record<EventPath, LocalQueue>} */ (enforcerQueues), deadLetters, topicArn, onCall };
};

/**
 * The rule's pattern as the deployment computes it, with the watched buckets' stage parameter
 * answered by `bucketNames` (the only parameter objectCreatedPattern reads).
 * @param {string[]} bucketNames
 */
export const objectCreatedPattern = (bucketNames) =>
  deploymentSettings.objectCreatedPattern({
    resolveVariable: async (/** @type {string} */ expression) => (expression === 'param:watchedBuckets, null' ? bucketNames.join(',') : null),
  });

/**
 * The deployment's ObjectCreatedRule on the default bus, targeting `queue`; answers the pattern.
 * @param {EventBridgeClient} events
 * @param {string[]} bucketNames
 * @param {LocalQueue} queue
 */
export const createObjectCreatedRule = async (events, bucketNames, queue) => {
  const pattern = await objectCreatedPattern(bucketNames);
  await events.send(
    new PutRuleCommand({
      Name: RULE_NAME,
      EventBusName: 'default',
      State: 'ENABLED',
      Description: 'Object Created events of the watched buckets, to the enforcer queue',
      EventPattern: JSON.stringify(pattern),
    }),
  );
  const { FailedEntryCount, FailedEntries } = await events.send(
    new PutTargetsCommand({ Rule: RULE_NAME, EventBusName: 'default', Targets: [{ Id: 'enforcer-queue', Arn: queue.arn }] }),
  );
  if (FailedEntryCount) throw new Error(`the rule's target was refused: ${JSON.stringify(FailedEntries)}`);
  return pattern;
};

/**
 * Must run before any upload: S3 sends events for what is stored after its configuration is set.
 * @param {S3Client} s3
 * @param {SampleBucket} bucket
 * @param {Record<EventPath, LocalQueue>} enforcerQueues
 */
export const wireBucket = async (s3, bucket, enforcerQueues) => {
  /** @type {NotificationConfiguration} */
  const configuration =
    bucket.events === 'eventBridge'
      ? { EventBridgeConfiguration: {} }
      : { QueueConfigurations: [{ Id: 'enforcer', QueueArn: enforcerQueues.notification.arn, Events: ['s3:ObjectCreated:*'] }] };
  await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket.name, NotificationConfiguration: configuration }));
};

