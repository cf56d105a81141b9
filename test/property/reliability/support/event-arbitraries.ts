import fc from 'fast-check';
import { encodeS3Key } from '../../../../shared/core/decode-s3-key.js';
import { eventBridgeObjectCreated, s3Record, s3TestEvent, snsEnvelope } from '../../../fixtures/events.js';

/**
 * Labelled events for fuzzing the intake: each generated piece says what the enforcer must make of
 * it — work (`good`, with the objects it names), acknowledged without work (`ignored`), or a record
 * that cannot be read (`bad`, which must fail its delivery so it is retried and reaches the DLQ).
 */
export type Label = 'good' | 'bad' | 'ignored';

export interface ObjectKey {
  readonly bucket: string;
  readonly key: string;
}

export interface Expectation {
  readonly label: Label;
  /** Objects the good records of this piece name (a bad message may still carry good records). */
  readonly objects: readonly ObjectKey[];
  /** How each bad record was made, for the figures. */
  readonly defects: readonly string[];
}

export interface Labelled<T> {
  readonly value: T;
  readonly expect: Expectation;
}

/** A marker put inside unreadable bodies: no rejection reason may repeat it. */
export const BODY_MARKER = 'PRIVATE-BODY-8d1f0c';

const good = (objects: readonly ObjectKey[]): Expectation => ({ label: 'good', objects, defects: [] });

/**
 * Where a path leaves the key's encoding unsettled (EventBridge, Batch Operations), an encoded key
 * names the decoded key and, if S3 could hold it, the text as sent: the answering store has both.
 */
const bothSpellings = (bucket: string, key: string, sent: string): ObjectKey[] =>
  sent === key || Buffer.byteLength(sent) > 1024 ? [{ bucket, key }] : [{ bucket, key }, { bucket, key: sent }];
const bad = (defect: string, objects: readonly ObjectKey[] = []): Expectation => ({ label: 'bad', objects, defects: [defect] });
const ignored = (): Expectation => ({ label: 'ignored', objects: [], defects: [] });

/** bad wins over good, good over ignored; objects and defects add up. */
export const combine = (parts: readonly Expectation[]): Expectation => {
  const labels = parts.map((part) => part.label);
  const label: Label = labels.includes('bad') ? 'bad' : labels.includes('good') ? 'good' : 'ignored';
  return { label, objects: parts.flatMap((part) => part.objects), defects: parts.flatMap((part) => part.defects) };
};

/** Keys exactly 1,024 bytes long in UTF-8, the most S3 allows. */
export const KEYS_OF_1024_BYTES: readonly string[] = [
  'k'.repeat(1024),
  'é'.repeat(512),
  `${'日'.repeat(341)}a`,
  '🔑'.repeat(256),
  `${'a b+c/'.repeat(170)}abcd`,
  `${'%+ ~'.repeat(256)}`,
];

const arbBucket = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{1,18}[a-z0-9]$/);

export const arbObjectKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom('a', ' ', '+', '%', '/', '?', '#', '&', '=', '~', 'é', '日', '🔑', '\u0000', '\n', '"', "'", '\\'), minLength: 1, maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom(...KEYS_OF_1024_BYTES) },
);

/** How a notification writes a key: as S3 does, or with `/` encoded as some emulators do. */
const encodeKey = (key: string, slashes: boolean): string => (slashes ? encodeS3Key(key).replace(/\//g, '%2F') : encodeS3Key(key));

/** Percent-encodings that are not valid UTF-8 or not valid escapes at all. */
const arbBrokenEncoding = fc
  .tuple(fc.constantFrom('%', '%E0%A4%A', '%zz', 'abc%', '%C3%28', '%ED%A0%80', '%F0%9F%94', '%%41', '%u00e9'), fc.string({ unit: 'grapheme-ascii', maxLength: 8 }))
  .map(([broken, around]) => `${encodeS3Key(around)}${broken}`);

const CREATED = ['ObjectCreated:Put', 'ObjectCreated:Post', 'ObjectCreated:Copy', 'ObjectCreated:CompleteMultipartUpload', 's3:ObjectCreated:Put'];
const NOT_CREATED = ['ObjectRemoved:Delete', 'ObjectRemoved:DeleteMarkerCreated', 'ObjectRestore:Completed', 'LifecycleExpiration:Delete', 'ObjectTagging:Put', 'ObjectAcl:Put'];

/** Optional fields of a good record, mistyped: they are hints the enforcer may ignore, never a reason to fail. */
const OPTIONAL_MISTYPES: readonly ((object: Record<string, unknown>) => void)[] = [
  (object) => (object['size'] = '12'),
  (object) => (object['size'] = -1),
  (object) => (object['eTag'] = 42),
  (object) => (object['versionId'] = { id: 'v' }),
  (object) => (object['sequencer'] = null),
  (object) => delete object['eTag'],
];

type Json = Record<string, unknown>;

const goodS3Record = fc
  .record({
    bucket: arbBucket,
    key: arbObjectKey,
    slashes: fc.boolean(),
    eventName: fc.constantFrom(...CREATED),
    versionId: fc.option(fc.stringMatching(/^[A-Za-z0-9._]{1,32}$/), { nil: undefined }),
    mistype: fc.option(fc.nat({ max: OPTIONAL_MISTYPES.length - 1 }), { nil: undefined }),
  })
  .map(({ bucket, key, slashes, eventName, versionId, mistype }): Labelled<unknown> => {
    const record = s3Record({ bucket, key: encodeKey(key, slashes), eventName, ...(versionId ? { versionId } : {}) }) as unknown as Json;
    if (mistype !== undefined) OPTIONAL_MISTYPES[mistype]?.((record['s3'] as Json)['object'] as Json);
    return { value: record, expect: good([{ bucket, key }]) };
  });

const ignoredS3Record = fc
  .record({ bucket: arbBucket, key: arbObjectKey, eventName: fc.constantFrom(...NOT_CREATED) })
  .map(({ bucket, key, eventName }): Labelled<unknown> => ({ value: s3Record({ bucket, key: encodeS3Key(key), eventName }), expect: ignored() }));

/** Ways a record that should be an object-created notice can be unreadable. */
const DEFECTS: Readonly<Record<string, (record: Json, broken: string) => unknown>> = {
  'record is not an object': (_record, broken) => [null, 42, 'text', [], true, broken][broken.length % 6],
  'no eventSource': (record) => ({ ...record, eventSource: undefined }),
  'another eventSource': (record, broken) => ({ ...record, eventSource: ['aws:dynamodb', 'aws:kinesis', 'aws:sqs', 'aws:ses', 7][broken.length % 5] }),
  'no eventName': (record) => ({ ...record, eventName: undefined }),
  'mistyped eventName': (record) => ({ ...record, eventName: 12 }),
  'no s3': (record) => ({ ...record, s3: undefined }),
  'mistyped s3': (record) => ({ ...record, s3: 'bucket/key' }),
  'no bucket': (record) => ({ ...record, s3: { ...(record['s3'] as Json), bucket: undefined } }),
  'empty bucket name': (record) => ({ ...record, s3: { ...(record['s3'] as Json), bucket: { name: '' } } }),
  'mistyped bucket name': (record) => ({ ...record, s3: { ...(record['s3'] as Json), bucket: { name: 12345 } } }),
  'no object': (record) => ({ ...record, s3: { ...(record['s3'] as Json), object: undefined } }),
  'no key': (record) => ({ ...record, s3: { ...(record['s3'] as Json), object: { size: 1 } } }),
  'empty key': (record) => ({ ...record, s3: { ...(record['s3'] as Json), object: { key: '' } } }),
  'mistyped key': (record) => ({ ...record, s3: { ...(record['s3'] as Json), object: { key: ['a'] } } }),
  'invalid percent-encoding': (record, broken) => ({ ...record, s3: { ...(record['s3'] as Json), object: { key: broken } } }),
};

const badS3Record = fc
  .record({ bucket: arbBucket, key: arbObjectKey, defect: fc.constantFrom(...Object.keys(DEFECTS)), broken: arbBrokenEncoding })
  .map(({ bucket, key, defect, broken }): Labelled<unknown> => {
    const record = s3Record({ bucket, key: encodeS3Key(key) }) as unknown as Json;
    const value = JSON.parse(JSON.stringify(DEFECTS[defect]?.(record, broken) ?? null)) as unknown;
    return { value, expect: bad(defect) };
  });

export const arbS3Record: fc.Arbitrary<Labelled<unknown>> = fc.oneof(
  { weight: 5, arbitrary: goodS3Record },
  { weight: 1, arbitrary: ignoredS3Record },
  { weight: 3, arbitrary: badS3Record },
);

/** An S3 notification document: one or more records; an empty list is itself unreadable. */
const s3Notification = (records: fc.Arbitrary<Labelled<unknown>[]>): fc.Arbitrary<Labelled<unknown>> =>
  records.map((items) =>
    items.length === 0
      ? { value: { Records: [] }, expect: bad('empty Records list') }
      : { value: { Records: items.map((item) => item.value) }, expect: combine(items.map((item) => item.expect)) },
  );

const eventBridge = fc
  .record({
    bucket: arbBucket,
    key: arbObjectKey,
    variant: fc.constantFrom('good', 'good', 'good', 'deleted', 'other-source', 'no-bucket', 'no-key', 'broken-key', 'no-detail'),
    broken: arbBrokenEncoding,
    reason: fc.constantFrom('PutObject', 'POST Object', 'CopyObject', 'CompleteMultipartUpload', 'SomethingNew'),
  })
  .map(({ bucket, key, variant, broken, reason }): Labelled<unknown> => {
    const event = eventBridgeObjectCreated({ bucket, key: encodeS3Key(key), reason }) as unknown as Json;
    const detail = event['detail'] as Json;
    switch (variant) {
      case 'deleted':
        return { value: { ...event, 'detail-type': 'Object Deleted' }, expect: ignored() };
      case 'other-source':
        return { value: { ...event, source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification' }, expect: bad('EventBridge event of another service') };
      case 'no-bucket':
        return { value: { ...event, detail: { ...detail, bucket: {} } }, expect: bad('EventBridge event without bucket') };
      case 'no-key':
        return { value: { ...event, detail: { ...detail, object: { size: 3 } } }, expect: bad('EventBridge event without key') };
      case 'broken-key':
        // Not URL encoding at all: it can only be the key as stored.
        return { value: { ...event, detail: { ...detail, object: { key: broken } } }, expect: good([{ bucket, key: broken }]) };
      case 'no-detail':
        return { value: { ...event, detail: undefined }, expect: bad('EventBridge event without detail') };
      default:
        return { value: event, expect: good(bothSpellings(bucket, key, encodeS3Key(key))) };
    }
  });

/** Events of other services, as they would arrive by mistake. */
export const OTHER_SERVICES: readonly unknown[] = [
  { Records: [{ eventID: '1', eventName: 'INSERT', eventVersion: '1.1', eventSource: 'aws:dynamodb', awsRegion: 'us-east-1', dynamodb: { Keys: { Id: { N: '101' } } } }] },
  { Records: [{ kinesis: { partitionKey: '1', data: 'SGVsbG8=' }, eventSource: 'aws:kinesis', eventName: 'aws:kinesis:record' }] },
  { Records: [{ eventSource: 'aws:ses', eventVersion: '1.0', ses: { mail: { messageId: 'x' } } }] },
  { Records: [{ messageId: 'inner', body: '{}', eventSource: 'aws:sqs' }] },
  { id: 'cdc73f9d', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '123456789012', time: '2026-01-01T00:00:00Z', region: 'us-east-1', resources: [], detail: {} },
  { resource: '/{proxy+}', path: '/objects', httpMethod: 'POST', headers: {}, body: '{"key":"a"}', isBase64Encoded: false },
  { RequestType: 'Create', ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:x', ResponseURL: 'https://example.com', StackId: 's', RequestId: 'r', LogicalResourceId: 'l', ResourceType: 'Custom::X' },
  { Type: 'SubscriptionConfirmation', MessageId: 'm', Token: 't', TopicArn: 'arn:aws:sns:us-east-1:123456789012:t', SubscribeURL: 'https://example.com' },
  { awslogs: { data: 'H4sIAAAAAAAAA' } },
];

const otherService = fc.constantFrom(...OTHER_SERVICES).map((value): Labelled<unknown> => ({ value, expect: bad('event of another service') }));

const RESERVED = new Set(['Records', 'Type', 'Event', 'detail-type', 'source', 'invocationSchemaVersion', 'tasks', 'Message']);
/** Any JSON that is none of the shapes the enforcer reads: never work, always unreadable. */
const randomJson = fc
  .jsonValue({ maxDepth: 3 })
  .filter((value) => typeof value !== 'object' || value === null || Array.isArray(value) || !Object.keys(value).some((key) => RESERVED.has(key)))
  .map((value): Labelled<unknown> => ({ value, expect: bad('unrecognised JSON') }));

/** A document as found in an SQS body or an SNS Message: not wrapped yet. */
export const arbDocument = (maxRecords: number): fc.Arbitrary<Labelled<unknown>> =>
  fc.oneof(
    { weight: 6, arbitrary: s3Notification(fc.array(arbS3Record, { minLength: 0, maxLength: maxRecords })) },
    { weight: 1, arbitrary: fc.constant<Labelled<unknown>>({ value: s3TestEvent(), expect: ignored() }) },
    { weight: 3, arbitrary: eventBridge },
    { weight: 1, arbitrary: otherService },
    { weight: 1, arbitrary: randomJson },
  );

/** The most SNS envelopes the enforcer unwraps around one notice. */
export const MAX_WRAPPING = 4;

/** Wraps a document in `envelopes` SNS envelopes, starting at wrapping depth `depth`. */
const wrap = (document: Labelled<unknown>, envelopes: number, depth: number): Labelled<unknown> => {
  let value = document.value;
  for (let level = 0; level < envelopes; level += 1) value = snsEnvelope(value);
  if (depth + envelopes > MAX_WRAPPING) return { value, expect: bad('wrapped too deep') };
  return { value, expect: document.expect };
};

/** What an SQS message body can be: a (wrapped) document, invalid JSON, JSON that is not an object, or not a string at all. */
export const arbSqsBody = (maxRecords: number): fc.Arbitrary<Labelled<unknown>> =>
  fc.oneof(
    {
      weight: 10,
      arbitrary: fc
        .tuple(arbDocument(maxRecords), fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 4, arbitrary: fc.integer({ min: 1, max: 6 }) }))
        .map(([document, envelopes]) => {
          const wrapped = wrap(document, envelopes, 0);
          return { value: JSON.stringify(wrapped.value), expect: wrapped.expect };
        }),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(arbDocument(3), fc.integer({ min: 1, max: 400 })).map(([document, cut]) => {
        const text = JSON.stringify({ marker: BODY_MARKER, ...(document.value as object) });
        return { value: text.slice(0, Math.max(1, Math.min(cut, text.length - 1))), expect: bad('invalid JSON') };
      }),
    },
    { weight: 1, arbitrary: fc.constantFrom('', 'null', '[]', '"text"', '42', 'true', `${BODY_MARKER} not json`, '{"Records":', '\u0000').map((value) => ({ value, expect: bad(value === '' || value.startsWith(BODY_MARKER) || value.startsWith('{') || value === '\u0000' ? 'invalid JSON' : 'JSON that is not an object') })) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 42, { Records: [] }, ['a']).map((value) => ({ value, expect: bad('body is not a string') })) },
  );

export interface SqsMessageSpec {
  readonly messageId: string | undefined;
  readonly body: unknown;
  readonly expect: Expectation;
}

export const arbSqsMessages = (minLength: number, maxLength: number, maxRecords: number): fc.Arbitrary<SqsMessageSpec[]> =>
  fc
    .integer({ min: minLength, max: maxLength })
    .chain((length) => fc.array(fc.tuple(arbSqsBody(maxRecords), fc.nat({ max: 19 })), { minLength: length, maxLength: length }))
    .map((items) => items.map(([body, idChoice], index) => ({ messageId: idChoice === 0 ? undefined : `m-${index}`, body: body.value, expect: body.expect })));

export const toSqsEvent = (messages: readonly SqsMessageSpec[]): unknown => ({
  Records: messages.map((message, index) => ({
    ...(message.messageId !== undefined ? { messageId: message.messageId } : {}),
    receiptHandle: `handle-${index}`,
    body: message.body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1700000000000', SenderId: 'AIDAEXAMPLE', ApproximateFirstReceiveTimestamp: '1700000000001' },
    messageAttributes: {},
    md5OfBody: 'ignored',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:enforcer-queue',
    awsRegion: 'us-east-1',
  })),
});

/** The delivery id the enforcer gives an SQS message: its messageId, or its place in the batch. */
export const sqsDeliveryId = (message: SqsMessageSpec, index: number): string => message.messageId ?? `Records[${index}]`;

/** A direct invocation: S3 records, SNS records (starting one level deep), one EventBridge event, or anything. */
export type DirectEvent =
  | { readonly kind: 'records'; readonly value: unknown; readonly records: readonly Expectation[] }
  | { readonly kind: 'single'; readonly value: unknown; readonly expect: Expectation };

const snsLambdaRecord = fc.tuple(arbDocument(3), fc.integer({ min: 0, max: 4 }), fc.boolean()).map(([document, envelopes, mistyped]): Labelled<unknown> => {
  const wrapped = wrap(document, envelopes, 1);
  return {
    value: {
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: 'arn:aws:sns:us-east-1:123456789012:object-events:sub',
      Sns: { ...snsEnvelope(null), Message: mistyped ? wrapped.value : JSON.stringify(wrapped.value) },
    },
    expect: mistyped ? bad('SNS Message is not a string') : wrapped.expect,
  };
});

/** Exactly `count` records, S3 and SNS ones mixed, as S3 or SNS would invoke the function. */
const directRecords = (count: fc.Arbitrary<number>): fc.Arbitrary<DirectEvent> =>
  count.chain((length) =>
    fc
      .array(fc.oneof({ weight: 3, arbitrary: arbS3Record }, { weight: 2, arbitrary: snsLambdaRecord }), { minLength: length, maxLength: length })
      .map((records): DirectEvent => ({ kind: 'records', value: { Records: records.map((record) => record.value) }, records: records.map((record) => record.expect) })),
  );

export const arbHugeDirectEvent = (minRecords: number, maxRecords: number): fc.Arbitrary<DirectEvent> =>
  directRecords(fc.integer({ min: minRecords, max: maxRecords }));

export const arbDirectEvent = (maxRecords: number): fc.Arbitrary<DirectEvent> =>
  fc.oneof(
    { weight: 4, arbitrary: directRecords(fc.integer({ min: 1, max: maxRecords })) },
    { weight: 2, arbitrary: eventBridge.map((event): DirectEvent => ({ kind: 'single', value: event.value, expect: event.expect })) },
    { weight: 1, arbitrary: fc.constant<DirectEvent>({ kind: 'single', value: s3TestEvent(), expect: ignored() }) },
    { weight: 1, arbitrary: fc.constant<DirectEvent>({ kind: 'records', value: { Records: [] }, records: [] }) },
    {
      weight: 2,
      arbitrary: fc.oneof(otherService, randomJson).map((event): DirectEvent => {
        const records = typeof event.value === 'object' && event.value !== null ? (event.value as { Records?: unknown }).Records : undefined;
        // A Records list of other services is read record by record: each is unreadable.
        return Array.isArray(records) && records.length > 0
          ? { kind: 'records', value: event.value, records: records.map(() => bad('event of another service')) }
          : { kind: 'single', value: event.value, expect: event.expect };
      }),
    },
  );

/** The id of a direct invocation's single delivery. */
export const singleDeliveryId = (value: unknown): string => {
  const id = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json)['id'] : undefined;
  return typeof id === 'string' && id.length > 0 ? `event ${id}` : 'event';
};

export interface BatchTaskSpec {
  readonly task: unknown;
  readonly id: string;
  readonly expect: Expectation;
}

const batchTask = (index: number) =>
  fc
    .record({
      bucket: arbBucket,
      key: arbObjectKey,
      schema: fc.constantFrom('1.0', '2.0'),
      variant: fc.constantFrom('good', 'good', 'good', 'no-bucket', 'bad-arn', 'no-key', 'broken-key', 'not-object', 'no-task-id'),
      broken: arbBrokenEncoding,
    })
    .map(({ bucket, key, schema, variant, broken }): BatchTaskSpec => {
      const taskId = `t-${index}`;
      const where = schema === '1.0' ? { s3BucketArn: `arn:aws:s3:::${bucket}` } : { s3Bucket: bucket };
      const base = { taskId, s3Key: encodeS3Key(key), s3VersionId: null, ...where };
      switch (variant) {
        case 'no-bucket':
          return { task: { taskId, s3Key: base.s3Key }, id: taskId, expect: bad('task without bucket') };
        case 'bad-arn':
          return { task: { taskId, s3Key: base.s3Key, s3BucketArn: `arn:aws:s3:::${bucket}/nested` }, id: taskId, expect: bad('task without bucket') };
        case 'no-key':
          return { task: { ...base, s3Key: undefined }, id: taskId, expect: bad('task without key') };
        case 'broken-key':
          return { task: { ...base, s3Key: broken }, id: taskId, expect: bad('invalid percent-encoding') };
        case 'not-object':
          return { task: ['not', 'a', 'task'], id: `tasks[${index}]`, expect: bad('task is not an object') };
        case 'no-task-id':
          return { task: { ...base, taskId: undefined }, id: `tasks[${index}]`, expect: good(bothSpellings(bucket, key, base.s3Key)) };
        default:
          return { task: base, id: taskId, expect: good(bothSpellings(bucket, key, base.s3Key)) };
      }
    });

export const arbBatchJob = (minTasks: number, maxTasks: number): fc.Arbitrary<{ event: unknown; tasks: BatchTaskSpec[] }> =>
  fc.integer({ min: minTasks, max: maxTasks }).chain((count) =>
    fc.tuple(...Array.from({ length: count }, (_unused, index) => batchTask(index))).map((tasks) => ({
      event: {
        invocationSchemaVersion: '2.0',
        invocationId: 'inv-fuzz',
        job: { id: 'job-fuzz', userArguments: {} },
        tasks: tasks.map((task) => JSON.parse(JSON.stringify(task.task)) as unknown),
      },
      tasks,
    })),
  );
