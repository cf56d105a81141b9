import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent, SNSEvent, SQSEvent } from 'aws-lambda';
import { TEST_ACCOUNT, TEST_REGION } from './moto-server.js';
import type { ReceivedMessage } from './sqs-queue.js';

/**
 * The envelopes Lambda hands a function, built around what moto really delivered (S3 → SQS,
 * S3 → SNS → SQS, S3 → EventBridge → SQS). EventBridge events are also built by hand, as AWS
 * documents them (`etag`, a `reason` per operation) and with the key URL-encoded, the spelling moto's
 * own events (keys as stored) do not show.
 */

/** What Lambda's SQS poller passes for a batch of received messages. */
export const sqsEvent = (queueArn: string, messages: readonly ReceivedMessage[]): SQSEvent => ({
  Records: messages.map((message) => ({
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: message.attributes['ApproximateReceiveCount'] ?? '1',
      SentTimestamp: message.attributes['SentTimestamp'] ?? String(Date.now()),
      SenderId: message.attributes['SenderId'] ?? 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: message.attributes['ApproximateFirstReceiveTimestamp'] ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.md5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: TEST_REGION,
  })),
});

/** An SNS notification as SNS delivers it to an SQS queue (not raw): the JSON envelope. */
export interface SnsEnvelope {
  readonly Type: string;
  readonly MessageId: string;
  readonly TopicArn: string;
  readonly Subject?: string;
  readonly Message: string;
  readonly Timestamp: string;
  readonly SignatureVersion: string;
  readonly Signature: string;
  readonly SigningCertURL: string;
  readonly UnsubscribeURL: string;
  readonly MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

export const snsEnvelopeOf = (message: ReceivedMessage): SnsEnvelope => {
  const envelope = JSON.parse(message.body) as SnsEnvelope;
  if (envelope.Type !== 'Notification' || typeof envelope.Message !== 'string') {
    throw new Error(`not an SNS envelope: ${message.body.slice(0, 200)}`);
  }
  return envelope;
};

/** What Lambda passes when it is subscribed to the topic itself: one record per notification. */
export const snsEvent = (envelope: SnsEnvelope): SNSEvent => ({
  Records: [
    {
      EventVersion: '1.0',
      EventSubscriptionArn: `${envelope.TopicArn}:${randomUUID()}`,
      EventSource: 'aws:sns',
      Sns: {
        SignatureVersion: envelope.SignatureVersion,
        Timestamp: envelope.Timestamp,
        Signature: envelope.Signature,
        SigningCertUrl: envelope.SigningCertURL,
        MessageId: envelope.MessageId,
        Message: envelope.Message,
        MessageAttributes: {},
        Type: envelope.Type,
        UnsubscribeUrl: envelope.UnsubscribeURL,
        TopicArn: envelope.TopicArn,
        Subject: envelope.Subject ?? '',
      },
    },
  ],
});

/** A key as S3 writes it into notifications: form-URL-encoded UTF-8, a space as `+`, `/` kept. */
export const encodeKeyAsS3 = (key: string): string =>
  encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');

export interface S3ObjectDetail {
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly 'version-id'?: string;
  readonly sequencer: string;
}

export interface S3ObjectCreatedDetail {
  readonly version: string;
  readonly bucket: { readonly name: string };
  readonly object: S3ObjectDetail;
  readonly 'request-id': string;
  readonly requester: string;
  readonly 'source-ip-address': string;
  readonly reason: string;
}

let sequence = 0;

/** An EventBridge "Object Created" event as AWS documents it, with the key URL-encoded as notifications are. */
export const eventBridgeObjectCreated = (object: {
  bucket: string;
  key: string;
  size: number;
  eTag: string;
  versionId?: string | undefined;
  reason?: string;
}): EventBridgeEvent<'Object Created', S3ObjectCreatedDetail> => {
  sequence += 1;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: TEST_ACCOUNT,
    time: new Date().toISOString(),
    region: TEST_REGION,
    resources: [`arn:aws:s3:::${object.bucket}`],
    detail: {
      version: '0',
      bucket: { name: object.bucket },
      object: {
        key: encodeKeyAsS3(object.key),
        size: object.size,
        etag: object.eTag.replace(/"/g, ''),
        ...(object.versionId !== undefined ? { 'version-id': object.versionId } : {}),
        sequencer: (0x617f08299329d189n + BigInt(sequence)).toString(16).toUpperCase(),
      },
      'request-id': randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase(),
      requester: TEST_ACCOUNT,
      'source-ip-address': '192.0.2.10',
      reason: object.reason ?? 'PutObject',
    },
  };
};

/** The S3 notification records inside a message moto sent to SQS (body = the notification). */
export interface S3NotificationRecord {
  readonly eventName: string;
  readonly s3: { readonly bucket: { readonly name: string }; readonly object: { readonly key: string; readonly eTag?: string; readonly versionId?: string } };
}

export const s3RecordsOf = (body: string): S3NotificationRecord[] => {
  const parsed = JSON.parse(body) as { Records?: S3NotificationRecord[] };
  return parsed.Records ?? [];
};

/** Decodes a notification key the way S3 documents it, to check what moto sent. */
export const decodeS3NotificationKey = (encoded: string): string => decodeURIComponent(encoded.replace(/\+/g, ' '));

/**
 * moto's S3 notifications carry no `versionId` (S3's do, in versioned buckets): the message with the
 * version id S3 would have written into it.
 */
export const withVersionId = (message: ReceivedMessage, versionId: string): ReceivedMessage => {
  const parsed = JSON.parse(message.body) as { Records: { s3: { object: Record<string, unknown> } }[] };
  if (parsed.Records.length !== 1) throw new Error(`expected one record, got ${parsed.Records.length}`);
  for (const record of parsed.Records) record.s3.object['versionId'] = versionId;
  return { ...message, body: JSON.stringify(parsed) };
};

/** One object for an S3 Batch Operations "Invoke AWS Lambda function" task. */
export interface BatchTaskObject {
  readonly bucket: string;
  readonly key: string;
  /** S3 writes null for an object without a version (unversioned buckets, or a manifest without versions). */
  readonly versionId?: string | null;
}

/**
 * The event S3 Batch Operations hands the function (one task per invocation by default, more with
 * schema 2.0): keys URL-encoded as S3 encodes them (a space as `+`, a `+` as `%2B`); schema 1.0
 * names the bucket by ARN, 2.0 by name.
 */
export const batchOperationsEvent = (
  invocationSchemaVersion: '1.0' | '2.0',
  tasks: readonly (BatchTaskObject & { readonly taskId: string })[],
): Record<string, unknown> => ({
  invocationSchemaVersion,
  invocationId: Buffer.from(`invocation ${randomUUID()}`).toString('base64').replace(/=+$/, ''),
  job: invocationSchemaVersion === '2.0' ? { id: randomUUID(), userArguments: { purpose: 'encryption backfill' } } : { id: randomUUID() },
  tasks: tasks.map((task) => ({
    taskId: task.taskId,
    s3Key: encodeKeyAsS3(task.key),
    s3VersionId: task.versionId ?? null,
    ...(invocationSchemaVersion === '2.0' ? { s3Bucket: task.bucket } : { s3BucketArn: `arn:aws:s3:::${task.bucket}` }),
  })),
});
