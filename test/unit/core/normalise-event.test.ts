import { describe, expect, it } from 'vitest';
import { normaliseEvent } from '../../../shared/core/normalise-event.js';
import {
  eventBridgeObjectCreated,
  s3Notification,
  s3Record,
  s3TestEvent,
  snsEnvelope,
  snsLambdaEvent,
  sqsEvent,
  sqsMessage,
} from '../../fixtures/events.js';

const expectedRef = {
  bucket: 'photos-bucket',
  key: 'holiday photos/c++ notes/été.jpg',
  versionId: 'v1',
  eTag: 'd41d8cd98f00b204e9800998ecf8427e',
  size: 10,
  sequencer: '0055AED6DCD90281E5',
  eventName: 'ObjectCreated:Put',
};
const encodedKey = 'holiday+photos/c%2B%2B+notes/%C3%A9t%C3%A9.jpg';

describe('normaliseEvent', () => {
  it('reads an S3 notification delivered to Lambda directly, decoding the key', () => {
    const result = normaliseEvent(s3Notification(s3Record({ key: encodedKey, versionId: 'v1' })));
    expect(result).toEqual({
      trigger: 'direct',
      deliveries: [{ id: 'Records[0]', objects: [expectedRef], rejections: [], ignored: [] }],
    });
  });

  it('reads an S3 notification in an SQS body, one delivery per message', () => {
    const result = normaliseEvent(
      sqsEvent(sqsMessage('m-1', s3Notification(s3Record({ key: encodedKey, versionId: 'v1' }))), sqsMessage('m-2', s3Notification(s3Record({ key: 'b' })))),
    );
    expect(result.trigger).toBe('sqs');
    expect(result.deliveries.map((d) => d.id)).toEqual(['m-1', 'm-2']);
    expect(result.deliveries[0]?.objects).toEqual([expectedRef]);
    expect(result.deliveries[1]?.objects[0]?.key).toBe('b');
  });

  it('reads an S3 notification through SNS (Sns.Message)', () => {
    const result = normaliseEvent(snsLambdaEvent(s3Notification(s3Record({ key: encodedKey, versionId: 'v1' }))));
    expect(result).toEqual({
      trigger: 'direct',
      deliveries: [{ id: 'Records[0]', objects: [expectedRef], rejections: [], ignored: [] }],
    });
  });

  it('reads an S3 notification through SNS then SQS (envelope in the body)', () => {
    const result = normaliseEvent(sqsEvent(sqsMessage('m-1', snsEnvelope(s3Notification(s3Record({ key: encodedKey, versionId: 'v1' }))))));
    expect(result.deliveries).toEqual([{ id: 'm-1', objects: [expectedRef], rejections: [], ignored: [] }]);
  });

  it('reads an EventBridge "Object Created" event directly and through SQS', () => {
    const event = eventBridgeObjectCreated({ key: encodedKey, versionId: 'v9', reason: 'CopyObject' });
    const expected = {
      bucket: 'photos-bucket',
      key: 'holiday photos/c++ notes/été.jpg',
      // EventBridge leaves the key's encoding unsettled: the text as sent is a candidate too.
      keySpellings: ['holiday photos/c++ notes/été.jpg', encodedKey],
      versionId: 'v9',
      eTag: 'b1946ac92492d2347c6235b4d2611184',
      size: 10,
      sequencer: '00617F08299329D189',
      eventName: 'ObjectCreated:Copy',
    };
    expect(normaliseEvent(event).deliveries[0]?.objects).toEqual([expected]);
    expect(normaliseEvent(sqsEvent(sqsMessage('m-eb', event)))).toEqual({
      trigger: 'sqs',
      deliveries: [{ id: 'm-eb', objects: [expected], rejections: [], ignored: [] }],
    });
  });

  describe('keys whose encoding the path leaves unsettled (EventBridge, Batch Operations)', () => {
    const eventBridgeKey = (key: string) => normaliseEvent(eventBridgeObjectCreated({ key })).deliveries[0]?.objects[0];
    const batchKey = (s3Key: string) =>
      normaliseEvent({ invocationSchemaVersion: '2.0', invocationId: 'i', tasks: [{ taskId: 't', s3Key, s3VersionId: null, s3Bucket: 'photos-bucket' }] }).deliveries[0]?.objects[0];

    it.each([
      ['a plus, as stored', 'plus/a+b+c.txt', ['plus/a b c.txt', 'plus/a+b+c.txt']],
      ['a percent sign, as stored', 'pct/100%25 done.txt', ['pct/100% done.txt', 'pct/100%25 done.txt']],
      ['a key URL-encoded as notifications are', 'reports/Q1%2BQ2+r%C3%A9sum%C3%A9.csv', ['reports/Q1+Q2 résumé.csv', 'reports/Q1%2BQ2+r%C3%A9sum%C3%A9.csv']],
    ])('names both spellings for %s, the decoded one first', (_what, text, spellings) => {
      for (const ref of [eventBridgeKey(text), batchKey(text)]) {
        expect(ref?.key).toBe(spellings[0]);
        expect(ref?.keySpellings).toEqual(spellings);
      }
    });

    it.each([
      ['no + or %', 'reports/Q1 résumé:final.csv'],
      ['a colon and unicode, as stored', 'times/12:30 run 日本.log'],
    ])('names one key, with no second look, when decoding changes nothing: %s', (_what, text) => {
      for (const ref of [eventBridgeKey(text), batchKey(text)]) {
        expect(ref?.key).toBe(text);
        expect(ref).not.toHaveProperty('keySpellings');
      }
    });

    it('takes an EventBridge key that is not valid URL encoding as the key as stored; where encoding is documented, it is a malformed record', () => {
      expect(eventBridgeKey('pct/100% done.txt')).toMatchObject({ key: 'pct/100% done.txt' });
      expect(eventBridgeKey('pct/100% done.txt')).not.toHaveProperty('keySpellings');
      const malformed = 'bucket photos-bucket: object key is not valid URL encoding: "pct/100% done.txt"';
      expect(normaliseEvent(s3Notification(s3Record({ key: 'pct/100% done.txt' }))).deliveries[0]?.rejections).toEqual([{ record: 'Records[0]', reason: malformed }]);
      const task = { invocationSchemaVersion: '2.0', invocationId: 'i', tasks: [{ taskId: 't', s3Key: 'pct/100% done.txt', s3VersionId: null, s3Bucket: 'photos-bucket' }] };
      expect(normaliseEvent(task).deliveries[0]?.rejections).toEqual([{ record: 'task t', reason: malformed }]);
    });

    it('does not look up a spelling longer than any S3 key can be', () => {
      const key = '日'.repeat(341);
      const encoded = encodeURIComponent(key);
      expect(eventBridgeKey(encoded)).toMatchObject({ key });
      expect(eventBridgeKey(encoded)).not.toHaveProperty('keySpellings');
    });

    it("reads the emulator's spellings of the other fields: eTag, reason ObjectCreated, version-id null", () => {
      const event = eventBridgeObjectCreated({ key: 'a.txt', versionId: 'null', reason: 'ObjectCreated' }) as { detail: { object: Record<string, unknown> } };
      const { etag, ...object } = event.detail.object;
      event.detail.object = { ...object, eTag: etag };
      expect(normaliseEvent(event).deliveries[0]?.objects).toEqual([
        { bucket: 'photos-bucket', key: 'a.txt', versionId: 'null', eTag: etag, size: 10, sequencer: '00617F08299329D189', eventName: 'ObjectCreated:*' },
      ]);
    });
  });

  it.each([
    ['direct', s3TestEvent()],
    ['through SQS', sqsEvent(sqsMessage('m-test', s3TestEvent()))],
    ['through SNS then SQS', sqsEvent(sqsMessage('m-test', snsEnvelope(s3TestEvent())))],
  ])('acknowledges s3:TestEvent %s with no work and no rejection', (_how, event) => {
    const [delivery] = normaliseEvent(event).deliveries;
    expect(delivery?.objects).toEqual([]);
    expect(delivery?.rejections).toEqual([]);
    expect(delivery?.ignored).toHaveLength(1);
    expect(delivery?.ignored[0]?.reason).toContain('s3:TestEvent');
  });

  it.each([
    ['a space written as +', 'a+b.txt', 'a b.txt'],
    ['a plus written as %2B', 'a%2Bb.txt', 'a+b.txt'],
    ['a slash written as %2F', 'dir%2Ffile.txt', 'dir/file.txt'],
    ['percent-encoded UTF-8', '%E6%97%A5%E6%9C%AC/%F0%9F%98%80.txt', '日本/😀.txt'],
    ['a literal percent', '100%25.txt', '100%.txt'],
  ])('decodes %s', (_what, encoded, decoded) => {
    expect(normaliseEvent(s3Notification(s3Record({ key: encoded }))).deliveries[0]?.objects[0]?.key).toBe(decoded);
  });

  it('acknowledges S3 events that are not object-created without work', () => {
    const [delivery] = normaliseEvent(s3Notification(s3Record({ key: 'k', eventName: 'ObjectRemoved:Delete' }))).deliveries;
    expect(delivery?.objects).toEqual([]);
    expect(delivery?.rejections).toEqual([]);
    expect(delivery?.ignored[0]?.reason).toBe('S3 event ObjectRemoved:Delete is not an object-created event');
  });

  it('rejects bad records by name and keeps the good ones of the same batch', () => {
    const truncated = { eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'photos-bucket' } } };
    const result = normaliseEvent(
      sqsEvent(
        sqsMessage('good', s3Notification(s3Record({ key: 'ok.txt' }))),
        sqsMessage('not-json', '{"Records": ['),
        sqsMessage('other-service', { Records: [{ eventSource: 'aws:dynamodb', eventName: 'INSERT' }] }),
        sqsMessage('truncated', s3Notification(truncated)),
        sqsMessage('bad-encoding', s3Notification(s3Record({ key: 'bad%E0%A4%A.txt' }))),
        sqsMessage('eventbridge-other', eventBridgeObjectCreated({ key: 'k', source: 'aws.ec2' })),
      ),
    );
    expect(result.deliveries.map(({ id, objects, rejections }) => ({ id, keys: objects.map((o) => o.key), rejections }))).toEqual([
      { id: 'good', keys: ['ok.txt'], rejections: [] },
      { id: 'not-json', keys: [], rejections: [{ record: 'message not-json', reason: 'invalid JSON (13 characters)' }] },
      { id: 'other-service', keys: [], rejections: [{ record: 'message other-service.Records[0]', reason: 'record is not an S3 event (eventSource "aws:dynamodb")' }] },
      { id: 'truncated', keys: [], rejections: [{ record: 'message truncated.Records[0]', reason: 'S3 record for bucket photos-bucket has no s3.object.key' }] },
      {
        id: 'bad-encoding',
        keys: [],
        rejections: [{ record: 'message bad-encoding.Records[0]', reason: 'bucket photos-bucket: object key is not valid URL encoding: "bad%E0%A4%A.txt"' }],
      },
      { id: 'eventbridge-other', keys: [], rejections: [{ record: 'message eventbridge-other', reason: 'EventBridge event from "aws.ec2" is not from aws.s3' }] },
    ]);
  });

  it('rejects an event that is not recognised at all, naming it', () => {
    expect(normaliseEvent({ hello: 'world' }).deliveries).toEqual([
      {
        id: 'event',
        objects: [],
        rejections: [{ record: 'event', reason: 'message is neither an S3 notification, an SNS notification nor an EventBridge event' }],
        ignored: [],
      },
    ]);
    expect(normaliseEvent(null).deliveries[0]?.rejections).toEqual([{ record: 'event', reason: 'event is not a JSON object' }]);
    expect(normaliseEvent('text').deliveries[0]?.rejections[0]?.reason).toBe('event is not a JSON object');
  });

  it('keeps the good records of a direct invocation when one is bad', () => {
    const result = normaliseEvent(s3Notification(s3Record({ key: 'a' }), { eventSource: 'aws:s3' }, s3Record({ key: 'b' })));
    expect(result.deliveries.map((d) => [d.id, d.objects.map((o) => o.key), d.rejections.map((r) => r.reason)])).toEqual([
      ['Records[0]', ['a'], []],
      ['Records[1]', [], ['S3 record has no eventName']],
      ['Records[2]', ['b'], []],
    ]);
  });

  it('accepts the "s3:" prefix some S3-compatible stores put on event names', () => {
    expect(normaliseEvent(s3Notification(s3Record({ key: 'a', eventName: 's3:ObjectCreated:Put' }))).deliveries[0]?.objects[0]?.eventName).toBe(
      'ObjectCreated:Put',
    );
  });

  it('refuses to unwrap envelopes nested without end', () => {
    let message: unknown = s3Notification(s3Record({ key: 'deep' }));
    for (let i = 0; i < 6; i++) message = snsEnvelope(message);
    const [delivery] = normaliseEvent(sqsEvent(sqsMessage('deep', message))).deliveries;
    expect(delivery?.objects).toEqual([]);
    expect(delivery?.rejections[0]?.reason).toMatch(/wrapped more than 4 levels/);
  });
});

describe('normaliseEvent: what each malformed notice is rejected for', () => {
  const direct = (record: unknown) => normaliseEvent({ Records: [record] }).deliveries[0];
  const s3 = (fields: Record<string, unknown>) => ({ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', ...fields });

  it.each([
    ['a record that is not an object', 'text', 'record is not an object'],
    ['a record of no service', {}, 'record is not an S3 event (eventSource null)'],
    ['an S3 record without s3', s3({}), 'S3 record has no s3.bucket.name'],
    ['an S3 record whose bucket is not an object', s3({ s3: { bucket: 'b', object: { key: 'k' } } }), 'S3 record has no s3.bucket.name'],
    ['an S3 record with an empty bucket name', s3({ s3: { bucket: { name: '' }, object: { key: 'k' } } }), 'S3 record has no s3.bucket.name'],
    ['an S3 record whose object is not an object', s3({ s3: { bucket: { name: 'b' }, object: 'k' } }), 'S3 record for bucket b has no s3.object.key'],
    ['an S3 record with an empty key', s3({ s3: { bucket: { name: 'b' }, object: { key: '' } } }), 'S3 record for bucket b has no s3.object.key'],
  ])('%s', (_case, record, reason) => {
    expect(direct(record)).toEqual({ id: 'Records[0]', objects: [], rejections: [{ record: 'Records[0]', reason }], ignored: [] });
  });

  it('rejects a record that is not an object for what it is, inside an SQS message', () => {
    expect(normaliseEvent(sqsEvent(sqsMessage('m', { Records: [7] }))).deliveries[0]?.rejections).toEqual([{ record: 'message m.Records[0]', reason: 'record is not an object' }]);
  });

  it.each([
    ['an empty Records list', { Records: [] }, 'S3 notification has an empty Records list'],
    ['a JSON array', [], 'message is not a JSON object'],
    ['a JSON string', 'just text', 'message is not a JSON object'],
    ['an SNS envelope whose Message is not a string', { Type: 'Notification', Message: {} }, 'expected a JSON string'],
    ['a Notification without a Message', { Type: 'Notification' }, 'message is neither an S3 notification, an SNS notification nor an EventBridge event'],
    ['an envelope of another type', { Type: 'SubscriptionConfirmation', Message: '{}' }, 'message is neither an S3 notification, an SNS notification nor an EventBridge event'],
    ['a detail-type without a source', { 'detail-type': 'Object Created' }, 'message is neither an S3 notification, an SNS notification nor an EventBridge event'],
  ])('in an SQS message, %s', (_case, payload, reason) => {
    const [delivery] = normaliseEvent(sqsEvent(sqsMessage('m', JSON.stringify(payload)))).deliveries;
    expect(delivery?.objects).toEqual([]);
    expect(delivery?.rejections.map((rejection) => rejection.reason)).toEqual([reason]);
  });

  it('names the bucket of an S3 test event, or says it is unknown', () => {
    const ignoredOf = (payload: unknown) => normaliseEvent(sqsEvent(sqsMessage('m', payload))).deliveries[0]?.ignored;
    expect(ignoredOf(s3TestEvent('b1'))).toEqual([{ record: 'message m', reason: 's3:TestEvent for bucket b1' }]);
    expect(ignoredOf({ Event: 's3:TestEvent' })).toEqual([{ record: 'message m', reason: 's3:TestEvent for bucket unknown' }]);
  });

  it.each([
    ['another detail-type is acknowledged', { detailType: 'Object Deleted' }, { ignored: ['EventBridge S3 event "Object Deleted" is not an object-created event'] }],
  ])('EventBridge: %s', (_case, options, expected) => {
    const [delivery] = normaliseEvent(eventBridgeObjectCreated({ key: 'k', ...options })).deliveries;
    expect({ ignored: delivery?.ignored.map((notice) => notice.reason) }).toEqual(expected);
    expect(delivery?.rejections).toEqual([]);
  });

  it.each([
    ['no detail', {}, 'EventBridge S3 event has no detail.bucket.name'],
    ['a bucket that is not an object', { detail: { bucket: 'b', object: { key: 'k' } } }, 'EventBridge S3 event has no detail.bucket.name'],
    ['no object', { detail: { bucket: { name: 'b' } } }, 'EventBridge S3 event for bucket b has no detail.object.key'],
    ['an empty key', { detail: { bucket: { name: 'b' }, object: { key: '' } } }, 'EventBridge S3 event for bucket b has no detail.object.key'],
  ])('EventBridge: an event with %s is rejected', (_case, fields, reason) => {
    const event = { id: 'e-1', source: 'aws.s3', 'detail-type': 'Object Created', ...fields };
    expect(normaliseEvent(event).deliveries).toEqual([{ id: 'event e-1', objects: [], rejections: [{ record: 'event e-1', reason }], ignored: [] }]);
  });

  it('an EventBridge event with an unknown reason, or none, reads as ObjectCreated:*', () => {
    const eventNameOf = (detail: Record<string, unknown>) =>
      normaliseEvent({ source: 'aws.s3', 'detail-type': 'Object Created', detail: { bucket: { name: 'b' }, object: { key: 'k' }, ...detail } }).deliveries[0]?.objects[0]?.eventName;
    expect(eventNameOf({ reason: 'CopyObject' })).toBe('ObjectCreated:Copy');
    expect(eventNameOf({ reason: 'POST Object' })).toBe('ObjectCreated:Post');
    expect(eventNameOf({ reason: 'CompleteMultipartUpload' })).toBe('ObjectCreated:CompleteMultipartUpload');
    expect(eventNameOf({ reason: 'Something' })).toBe('ObjectCreated:*');
    expect(eventNameOf({})).toBe('ObjectCreated:*');
  });

  it('keeps only sizes that are whole, non-negative numbers, zero included', () => {
    const sizeOf = (size: unknown) => direct(s3({ s3: { bucket: { name: 'b' }, object: { key: 'k', size } } }))?.objects[0]?.size;
    expect([0, 10, -1, 1.5, '10', Number.MAX_SAFE_INTEGER + 2].map(sizeOf)).toEqual([0, 10, undefined, undefined, undefined, undefined]);
  });

  it('keeps only non-empty strings for the optional fields', () => {
    const [object] = direct(s3({ s3: { bucket: { name: 'b' }, object: { key: 'k', versionId: '', eTag: 5, sequencer: null } } }))?.objects ?? [];
    expect(object).toEqual({ bucket: 'b', key: 'k', eventName: 'ObjectCreated:Put' });
  });

  it('an SNS record of a direct invocation needs its Sns object; otherwise it is read as an S3 record', () => {
    expect(normaliseEvent({ Records: [{ EventSource: 'aws:sns' }] }).deliveries[0]?.rejections).toEqual([
      { record: 'Records[0]', reason: 'record is not an S3 event (eventSource null)' },
    ]);
  });

  it('an SQS batch with a record of another source is not read as SQS', () => {
    const event = { Records: [{ eventSource: 'aws:sqs', messageId: 'm', body: '{}' }, { eventSource: 'aws:kinesis' }] };
    expect(normaliseEvent(event).trigger).toBe('direct');
    expect(normaliseEvent({ Records: [] })).toEqual({ trigger: 'direct', deliveries: [] });
  });

  it('names an SQS message without an id by its place, and its rejections by that name', () => {
    const event = { Records: [{ eventSource: 'aws:sqs', body: 'not json' }] };
    expect(normaliseEvent(event).deliveries).toEqual([
      { id: 'Records[0]', objects: [], rejections: [{ record: 'message Records[0]', reason: 'invalid JSON (8 characters)' }], ignored: [] },
    ]);
  });

  it('unwraps SNS envelopes four levels deep, and no deeper', () => {
    const wrapped = (levels: number) => {
      let message: unknown = s3Notification(s3Record({ key: 'deep' }));
      for (let i = 0; i < levels; i++) message = snsEnvelope(message);
      return normaliseEvent(sqsEvent(sqsMessage('m', message))).deliveries[0];
    };
    expect(wrapped(4)?.objects.map((object) => object.key)).toEqual(['deep']);
    expect(wrapped(5)?.rejections).toEqual([
      { record: 'message m.Message.Message.Message.Message.Message', reason: 'notice is wrapped more than 4 levels deep' },
    ]);
  });
});

describe('normaliseEvent: S3 Batch Operations tasks', () => {
  const job = (tasks: unknown[], invocationId: unknown = 'inv-1') => normaliseEvent({ invocationSchemaVersion: '1.0', invocationId, tasks });

  it('reads schema 1.0 (bucket by ARN) and 2.0 (bucket by name), echoing the job', () => {
    expect(job([{ taskId: 't1', s3Key: 'a+b', s3VersionId: 'v1', s3BucketArn: 'arn:aws-cn:s3:::cn-bucket' }])).toEqual({
      trigger: 'batch-operations',
      deliveries: [
        {
          id: 't1',
          objects: [{ bucket: 'cn-bucket', key: 'a b', keySpellings: ['a b', 'a+b'], versionId: 'v1', eventName: 'BatchOperations:Invoke' }],
          rejections: [],
          ignored: [],
        },
      ],
      batchJob: { invocationSchemaVersion: '1.0', invocationId: 'inv-1' },
    });
    expect(job([{ taskId: 't2', s3Key: 'k', s3Bucket: 'named-bucket' }]).deliveries[0]?.objects).toEqual([{ bucket: 'named-bucket', key: 'k', eventName: 'BatchOperations:Invoke' }]);
  });

  it('echoes an invocation id that is not a string as empty', () => {
    expect(job([], 42).batchJob).toEqual({ invocationSchemaVersion: '1.0', invocationId: '' });
  });

  it.each([
    ['a task that is not an object', 'task', 'tasks[0]', 'task is not an object'],
    ['a task with neither bucket', { taskId: 't', s3Key: 'k' }, 't', 'task has neither s3Bucket nor an s3BucketArn'],
    ['a task whose ARN is not a bucket ARN', { taskId: 't', s3Key: 'k', s3BucketArn: 'arn:aws:s3:::b/prefix' }, 't', 'task has neither s3Bucket nor an s3BucketArn'],
    ['a task with no key', { taskId: 't', s3Bucket: 'b' }, 't', 'task for bucket b has no s3Key'],
    ['a task without a task id', { s3Bucket: 'b', s3Key: '' }, 'tasks[0]', 'task for bucket b has no s3Key'],
  ])('rejects %s, named by its task id or place', (_case, task, id, reason) => {
    expect(job([task]).deliveries).toEqual([{ id, objects: [], rejections: [{ record: `task ${id}`, reason }], ignored: [] }]);
  });

  it('is a Batch Operations job only with a schema version and a task list', () => {
    expect(normaliseEvent({ invocationSchemaVersion: '1.0' }).trigger).toBe('direct');
    expect(normaliseEvent({ tasks: [] }).trigger).toBe('direct');
    expect(normaliseEvent({ invocationSchemaVersion: '', tasks: [] }).trigger).toBe('direct');
  });
});
