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
