import { decodeS3Key, keySpellingsOf, type KeySpellings } from './decode-s3-key.js';
import type { ObjectReference } from './object-reference.js';

/**
 * Every way an "object created" notice reaches the enforcer, turned into object references:
 * S3 notifications (direct, in SQS, in SNS, in SNS in SQS), EventBridge "Object Created" events
 * (direct or in SQS), S3's test event, and S3 Batch Operations "Invoke AWS Lambda function" tasks.
 * Pure: no I/O, never throws on any input.
 */

/** How the invocation expects to hear about failure. */
export type Trigger = 'sqs' | 'direct' | 'batch-operations';

/** A part of the input that is not work, with the reason (logged, acknowledged). */
export interface Notice {
  readonly record: string;
  readonly reason: string;
}

/**
 * The unit of acknowledgement: one SQS message, or one record of a direct invocation.
 * It is done only if it has no rejections and every object in it ends without failure.
 */
export interface Delivery {
  /** The SQS messageId for SQS; a path into the event otherwise. */
  readonly id: string;
  readonly objects: readonly ObjectReference[];
  /** Input that should have been an object-created notice but could not be read. */
  readonly rejections: readonly Notice[];
  /** Input acknowledged with no work: S3's test event, other S3 event types. */
  readonly ignored: readonly Notice[];
}

export interface NormalisedInvocation {
  readonly trigger: Trigger;
  readonly deliveries: readonly Delivery[];
  /** For S3 Batch Operations: what the answer must echo. */
  readonly batchJob?: { readonly invocationSchemaVersion: string; readonly invocationId: string } | undefined;
}

type Json = Record<string, unknown>;

const MAX_WRAPPING_DEPTH = 4;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const nonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

const optionalString = (value: unknown): string | undefined => (nonEmptyString(value) ? value : undefined);

const optionalSize = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;

class Collector {
  readonly objects: ObjectReference[] = [];
  readonly rejections: Notice[] = [];
  readonly ignored: Notice[] = [];
  reject(record: string, reason: string): void {
    this.rejections.push({ record, reason });
  }
  ignore(record: string, reason: string): void {
    this.ignored.push({ record, reason });
  }
}

/** AWS's documented `detail.reason` values; any other (emulators write `ObjectCreated`) reads as `ObjectCreated:*`. */
const EVENTBRIDGE_REASONS: Readonly<Record<string, string>> = {
  PutObject: 'ObjectCreated:Put',
  'POST Object': 'ObjectCreated:Post',
  CopyObject: 'ObjectCreated:Copy',
  CompleteMultipartUpload: 'ObjectCreated:CompleteMultipartUpload',
};

const isS3TestEvent = (doc: Json): boolean => doc['Event'] === 's3:TestEvent';

const isEventBridgeEvent = (doc: Json): boolean => 'detail-type' in doc && 'source' in doc;

const isSnsEnvelope = (doc: Json): boolean => doc['Type'] === 'Notification' && 'Message' in doc;

const readS3Record = (record: unknown, path: string, into: Collector): void => {
  if (!isObject(record)) {
    into.reject(path, 'record is not an object');
    return;
  }
  const source = record['eventSource'];
  if (source !== 'aws:s3') {
    into.reject(path, `record is not an S3 event (eventSource ${JSON.stringify(source ?? null)})`);
    return;
  }
  const rawName = record['eventName'];
  if (!nonEmptyString(rawName)) {
    into.reject(path, 'S3 record has no eventName');
    return;
  }
  const eventName = rawName.replace(/^s3:/, '');
  if (!eventName.startsWith('ObjectCreated:')) {
    into.ignore(path, `S3 event ${eventName} is not an object-created event`);
    return;
  }
  const s3 = record['s3'];
  const bucket = isObject(s3) && isObject(s3['bucket']) ? s3['bucket']['name'] : undefined;
  const object = isObject(s3) && isObject(s3['object']) ? s3['object'] : undefined;
  if (!nonEmptyString(bucket)) {
    into.reject(path, 'S3 record has no s3.bucket.name');
    return;
  }
  if (!object || !nonEmptyString(object['key'])) {
    into.reject(path, `S3 record for bucket ${bucket} has no s3.object.key`);
    return;
  }
  addObject(into, path, 'url-encoded', {
    bucket,
    keyText: object['key'],
    versionId: optionalString(object['versionId']),
    eTag: optionalString(object['eTag']),
    size: optionalSize(object['size']),
    sequencer: optionalString(object['sequencer']),
    eventName,
  });
};

/**
 * How an intake path writes keys. S3 notifications (to SQS, SNS and Lambda) document form-URL
 * encoding. Batch Operations manifests hold URL-encoded keys, but a hand-written one may not encode
 * a `+`. EventBridge events leave it unsettled: AWS's parsers decode them, while published events
 * and emulators show keys as stored. Where the spelling is in doubt, every reading is a candidate,
 * so no object is missed whichever way its key was written; text that is not URL encoding at all is
 * a malformed record where encoding is documented, and the key as stored where it is not.
 */
type KeyEncoding = 'url-encoded' | 'url-encoded-or-as-stored' | 'unsettled';

const addObject = (
  into: Collector,
  path: string,
  encoding: KeyEncoding,
  found: Omit<ObjectReference, 'key' | 'keySpellings'> & { keyText: string },
): void => {
  const { keyText, ...fields } = found;
  let spellings: KeySpellings;
  if (encoding === 'unsettled') {
    spellings = keySpellingsOf(keyText);
  } else {
    const decoded = decodeS3Key(keyText);
    if (!decoded.ok) {
      into.reject(path, `bucket ${found.bucket}: ${decoded.reason}`);
      return;
    }
    spellings = encoding === 'url-encoded' ? [decoded.key] : keySpellingsOf(keyText);
  }
  const [key] = spellings;
  const keySpellings = spellings.length > 1 ? spellings : undefined;
  if (key.length === 0) {
    into.reject(path, `bucket ${found.bucket}: object key is empty`);
    return;
  }
  const reference: ObjectReference = {
    bucket: fields.bucket,
    key,
    eventName: fields.eventName,
    ...(keySpellings !== undefined ? { keySpellings } : {}),
    ...(fields.versionId !== undefined ? { versionId: fields.versionId } : {}),
    ...(fields.eTag !== undefined ? { eTag: fields.eTag } : {}),
    ...(fields.size !== undefined ? { size: fields.size } : {}),
    ...(fields.sequencer !== undefined ? { sequencer: fields.sequencer } : {}),
  };
  into.objects.push(reference);
};

const readEventBridgeEvent = (doc: Json, path: string, into: Collector): void => {
  if (doc['source'] !== 'aws.s3') {
    into.reject(path, `EventBridge event from ${JSON.stringify(doc['source'] ?? null)} is not from aws.s3`);
    return;
  }
  if (doc['detail-type'] !== 'Object Created') {
    into.ignore(path, `EventBridge S3 event "${String(doc['detail-type'])}" is not an object-created event`);
    return;
  }
  const detail = doc['detail'];
  const bucket = isObject(detail) && isObject(detail['bucket']) ? detail['bucket']['name'] : undefined;
  const object = isObject(detail) && isObject(detail['object']) ? detail['object'] : undefined;
  if (!nonEmptyString(bucket)) {
    into.reject(path, 'EventBridge S3 event has no detail.bucket.name');
    return;
  }
  if (!object || !nonEmptyString(object['key'])) {
    into.reject(path, `EventBridge S3 event for bucket ${bucket} has no detail.object.key`);
    return;
  }
  const reason = isObject(detail) ? detail['reason'] : undefined;
  addObject(into, path, 'unsettled', {
    bucket,
    keyText: object['key'],
    versionId: optionalString(object['version-id']),
    // AWS documents `etag`; some emulators write `eTag`, as S3 notifications do.
    eTag: optionalString(object['etag']) ?? optionalString(object['eTag']),
    size: optionalSize(object['size']),
    sequencer: optionalString(object['sequencer']),
    eventName: (typeof reason === 'string' && EVENTBRIDGE_REASONS[reason]) || 'ObjectCreated:*',
  });
};

/** A JSON document found inside an SQS body or an SNS message. */
const readDocument = (doc: unknown, path: string, into: Collector, depth: number): void => {
  if (depth > MAX_WRAPPING_DEPTH) {
    into.reject(path, `notice is wrapped more than ${MAX_WRAPPING_DEPTH} levels deep`);
    return;
  }
  if (!isObject(doc)) {
    into.reject(path, 'message is not a JSON object');
    return;
  }
  if (isS3TestEvent(doc)) {
    into.ignore(path, `s3:TestEvent for bucket ${String(doc['Bucket'] ?? 'unknown')}`);
    return;
  }
  if (isSnsEnvelope(doc)) {
    readEmbeddedJson(doc['Message'], `${path}.Message`, into, depth + 1);
    return;
  }
  if (isEventBridgeEvent(doc)) {
    readEventBridgeEvent(doc, path, into);
    return;
  }
  const records = doc['Records'];
  if (Array.isArray(records)) {
    if (records.length === 0) into.reject(path, 'S3 notification has an empty Records list');
    records.forEach((record, index) => readS3Record(record, `${path}.Records[${index}]`, into));
    return;
  }
  into.reject(path, 'message is neither an S3 notification, an SNS notification nor an EventBridge event');
};

const readEmbeddedJson = (text: unknown, path: string, into: Collector, depth: number): void => {
  if (typeof text !== 'string') {
    into.reject(path, 'expected a JSON string');
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    into.reject(path, `invalid JSON (${text.length} characters)`);
    return;
  }
  readDocument(parsed, path, into, depth);
};

const toDelivery = (id: string, collected: Collector): Delivery => ({
  id,
  objects: collected.objects,
  rejections: collected.rejections,
  ignored: collected.ignored,
});

const single = (id: string, read: (into: Collector) => void): Delivery => {
  const collector = new Collector();
  read(collector);
  return toDelivery(id, collector);
};

const isSqsRecord = (record: unknown): record is Json => isObject(record) && record['eventSource'] === 'aws:sqs';

const isSnsRecord = (record: unknown): record is Json =>
  isObject(record) && record['EventSource'] === 'aws:sns' && isObject(record['Sns']);

const BUCKET_ARN = /^arn:[a-z-]+:s3:::([^/]+)$/;

/** One Batch Operations task: schema 1.0 names the bucket by ARN, 2.0 by name. */
const readBatchTask = (task: unknown, index: number): Delivery => {
  const id = isObject(task) && nonEmptyString(task['taskId']) ? task['taskId'] : `tasks[${index}]`;
  return single(id, (into) => {
    const path = `task ${id}`;
    if (!isObject(task)) return into.reject(path, 'task is not an object');
    const bucket = nonEmptyString(task['s3Bucket']) ? task['s3Bucket'] : BUCKET_ARN.exec(String(task['s3BucketArn'] ?? ''))?.[1];
    if (!bucket) return into.reject(path, 'task has neither s3Bucket nor an s3BucketArn');
    if (!nonEmptyString(task['s3Key'])) return into.reject(path, `task for bucket ${bucket} has no s3Key`);
    addObject(into, path, 'url-encoded-or-as-stored', {
      bucket,
      keyText: task['s3Key'],
      versionId: optionalString(task['s3VersionId']),
      eventName: 'BatchOperations:Invoke',
    });
  });
};

export const normaliseEvent = (event: unknown): NormalisedInvocation => {
  if (!isObject(event)) {
    return { trigger: 'direct', deliveries: [single('event', (c) => c.reject('event', 'event is not a JSON object'))] };
  }
  if (nonEmptyString(event['invocationSchemaVersion']) && Array.isArray(event['tasks'])) {
    return {
      trigger: 'batch-operations',
      deliveries: event['tasks'].map(readBatchTask),
      batchJob: {
        invocationSchemaVersion: event['invocationSchemaVersion'],
        invocationId: typeof event['invocationId'] === 'string' ? event['invocationId'] : '',
      },
    };
  }
  const records = event['Records'];
  if (Array.isArray(records) && records.length > 0 && records.every(isSqsRecord)) {
    return {
      trigger: 'sqs',
      deliveries: records.map((record, index) => {
        const messageId = nonEmptyString(record['messageId']) ? record['messageId'] : `Records[${index}]`;
        return single(messageId, (c) => readEmbeddedJson(record['body'], `message ${messageId}`, c, 0));
      }),
    };
  }
  if (Array.isArray(records)) {
    return {
      trigger: 'direct',
      deliveries: records.map((record, index) => {
        const path = `Records[${index}]`;
        return single(path, (c) => {
          if (isSnsRecord(record)) readEmbeddedJson((record['Sns'] as Json)['Message'], `${path}.Sns.Message`, c, 1);
          else readS3Record(record, path, c);
        });
      }),
    };
  }
  const id = nonEmptyString(event['id']) ? `event ${event['id']}` : 'event';
  return { trigger: 'direct', deliveries: [single(id, (c) => readDocument(event, id, c, 0))] };
};
