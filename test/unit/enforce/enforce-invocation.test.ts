import { CopyObjectCommand, GetBucketOwnershipControlsCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../shared/adapters/s3-object-store.js';
import { SnsNotificationPublisher } from '../../../shared/adapters/sns-notification-publisher.js';
import type { EnforcementMode } from '../../../shared/core/decide-object-action.js';
import type { ObjectOutcome } from '../../../shared/core/object-outcome.js';
import { requirementFor, type EnforcementPolicy } from '../../../shared/core/object-requirement.js';
import { enforceInvocation, type InvocationDependencies } from '../../../functions/enforce-object-encryption/enforce-invocation.js';
import type { EnforcementRecorder } from '../../../functions/enforce-object-encryption/enforcement-recorder.js';
import { UpdateCapability } from '../../../functions/enforce-object-encryption/update-capability.js';
import { s3Error } from '../../fixtures/aws-errors.js';
import { eventBridgeObjectCreated, s3Notification, s3Record, s3TestEvent, sqsEvent, sqsMessage } from '../../fixtures/events.js';

const REQUIRED = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const OTHER = 'arn:aws:kms:us-east-1:123456789012:key/9999abcd-12ab-34cd-56ef-1234567890ab';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:encryption-findings';
const BUCKET = 'photos-bucket';

const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);

const policy: EnforcementPolicy = {
  requiredKey: 'alias/enforcer',
  strategy: 'copy',
  priorVersions: 'retain',
  bucketKey: true,
  acceptDsseKms: true,
  exemptions: [{ bucket: BUCKET, prefix: 'scratch/' }],
  overrides: [],
};

interface Recorded {
  objects: { key: string; outcome: ObjectOutcome }[];
  rejected: string[];
  ignored: string[];
  alertFailures: number;
}

const setup = (mode: EnforcementMode = 'enforce'): { deps: InvocationDependencies; recorded: Recorded } => {
  const recorded: Recorded = { objects: [], rejected: [], ignored: [], alertFailures: 0 };
  const recorder: EnforcementRecorder = {
    objectHandled: (ref, outcome) => recorded.objects.push({ key: ref.key, outcome }),
    recordRejected: (_id, notice) => recorded.rejected.push(`${notice.record}: ${notice.reason}`),
    noticeIgnored: (_id, notice) => recorded.ignored.push(notice.reason),
    alertsNotPublished: () => (recorded.alertFailures += 1),
    updateRefused: () => undefined,
  };
  return {
    recorded,
    deps: {
      store: new S3ObjectStore(new S3Client({ region: 'us-east-1' })),
      requirementOf: (bucket, key) => requirementFor(policy, () => REQUIRED, bucket, key),
      mode,
      copyLimitBytes: 5 * 1024 ** 3,
      strategy: 'copy',
      priorVersions: 'retain',
      update: new UpdateCapability(false),
      multipart: { partBytes: 8 * 1024 ** 2, concurrency: 2 },
      remainingTimeMs: () => 600_000,
      clock: () => new Date('2026-11-22T00:00:00Z'),
      alerts: new SnsNotificationPublisher(new SNSClient({ region: 'us-east-1' }), TOPIC),
      recorder,
      concurrency: 4,
      functionName: 'enforce-object-encryption',
      now: () => 0,
    },
  };
};

const head = (key: string, fields: Record<string, unknown>) =>
  s3.on(HeadObjectCommand, { Bucket: BUCKET, Key: key }).resolves({ ETag: `"etag-${key}"`, ContentLength: 5, ...fields });

const publishedDocuments = (): { alerts: Record<string, unknown>[] }[] =>
  sns.commandCalls(PublishCommand).map((call) => JSON.parse((JSON.parse(call.args[0].input.Message ?? '{}') as { sqs: string }).sqs));

beforeEach(() => {
  s3.reset();
  sns.reset();
  s3.on(GetBucketOwnershipControlsCommand).resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } });
  sns.on(PublishCommand).resolves({ MessageId: 'published' });
});

describe('enforceInvocation', () => {
  it('SQS batch: remediates, leaves compliant objects alone, and fails exactly the bad messages', async () => {
    head('plain.txt', {});
    head('done.txt', { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: REQUIRED, BucketKeyEnabled: true });
    s3.on(CopyObjectCommand).resolves({ VersionId: 'v-new', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: REQUIRED, BucketKeyEnabled: true });
    const { deps, recorded } = setup();

    const report = await enforceInvocation(
      sqsEvent(
        sqsMessage('m-plain', s3Notification(s3Record({ key: 'plain.txt' }))),
        sqsMessage('m-done', s3Notification(s3Record({ key: 'done.txt' }))),
        sqsMessage('m-broken', '{"Records": [}'),
        sqsMessage('m-test', s3TestEvent()),
      ),
      deps,
    );

    expect(report.trigger).toBe('sqs');
    expect(report.failedDeliveries).toEqual(['m-broken']);
    expect(s3.commandCalls(CopyObjectCommand).map((call) => call.args[0].input)).toEqual([
      {
        Bucket: BUCKET,
        Key: 'plain.txt',
        CopySource: `${BUCKET}/plain.txt`,
        CopySourceIfMatch: '"etag-plain.txt"',
        IfMatch: '"etag-plain.txt"',
        MetadataDirective: 'COPY',
        TaggingDirective: 'COPY',
        StorageClass: 'STANDARD',
        WebsiteRedirectLocation: undefined,
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: REQUIRED,
        BucketKeyEnabled: true,
      },
    ]);
    expect([...recorded.objects].sort((a, b) => b.key.localeCompare(a.key))).toEqual([
      {
        key: 'plain.txt',
        outcome: {
          kind: 'remediated',
          strategy: 'copy-in-place',
          before: { kind: 'unencrypted' },
          after: { kind: 'sse-kms', keyArn: REQUIRED, bucketKeyEnabled: true },
          target: { algorithm: 'aws:kms', keyArn: REQUIRED, bucketKeyEnabled: true },
          newVersionId: 'v-new',
          aclCarried: false,
        },
      },
      { key: 'done.txt', outcome: { kind: 'compliant', encryption: { kind: 'sse-kms', keyArn: REQUIRED, bucketKeyEnabled: true } } },
    ]);
    expect(recorded.rejected).toEqual(['message m-broken: invalid JSON (14 characters)']);
    expect(recorded.ignored).toEqual([`s3:TestEvent for bucket ${BUCKET}`]);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it("the copy's own event ends after one HeadObject with no write", async () => {
    head('plain.txt', { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: REQUIRED, BucketKeyEnabled: true, VersionId: 'v-new' });
    const { deps } = setup();
    const report = await enforceInvocation(sqsEvent(sqsMessage('m-copy', s3Notification(s3Record({ key: 'plain.txt', eventName: 'ObjectCreated:Copy', versionId: 'v-new' })))), deps);
    expect(report.failedDeliveries).toEqual([]);
    expect(s3).toHaveReceivedCommandTimes(HeadObjectCommand, 1);
    expect(s3).not.toHaveReceivedCommand(CopyObjectCommand);
  });

  it('the same object twice in one batch is handled in order: one write at most', async () => {
    s3.on(HeadObjectCommand)
      .resolvesOnce({ ETag: '"e1"', ContentLength: 5 })
      .resolves({ ETag: '"e2"', ContentLength: 5, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: REQUIRED });
    s3.on(CopyObjectCommand).resolves({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: REQUIRED, BucketKeyEnabled: true });
    const { deps } = setup();
    const report = await enforceInvocation(
      sqsEvent(
        sqsMessage('m-copy-event', s3Notification(s3Record({ key: 'twice.txt', eventName: 'ObjectCreated:Copy', sequencer: '0000000000000000B0' }))),
        sqsMessage('m-put-event', s3Notification(s3Record({ key: 'twice.txt', sequencer: '0000000000000000A0' }))),
        sqsMessage('m-put-replay', s3Notification(s3Record({ key: 'twice.txt', sequencer: '0000000000000000A0' }))),
      ),
      deps,
    );
    expect(report.failedDeliveries).toEqual([]);
    expect(s3).toHaveReceivedCommandTimes(HeadObjectCommand, 3);
    expect(s3).toHaveReceivedCommandTimes(CopyObjectCommand, 1);
  });

  it('an event for a version that is no longer current is superseded: the older content never goes back on top', async () => {
    head('doc.txt', { VersionId: 'v2' });
    const { deps, recorded } = setup();
    const report = await enforceInvocation(s3Notification(s3Record({ key: 'doc.txt', versionId: 'v1' })), deps);
    expect(report.failedDeliveries).toEqual([]);
    expect(s3).not.toHaveReceivedCommand(CopyObjectCommand);
    expect(recorded.objects[0]?.outcome).toEqual({ kind: 'skipped', reason: 'superseded', detail: 'version v1 is no longer current (current: v2)', alert: false });
  });

  it('copies from the exact version inspected in a versioned bucket', async () => {
    head('doc.txt', { VersionId: 'v2', ServerSideEncryption: 'AES256' });
    s3.on(CopyObjectCommand).resolves({ VersionId: 'v3', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: REQUIRED, BucketKeyEnabled: true });
    const { deps } = setup();
    await enforceInvocation(s3Notification(s3Record({ key: 'doc.txt', versionId: 'v2' })), deps);
    expect(s3).toHaveReceivedCommandWith(CopyObjectCommand, { CopySource: `${BUCKET}/doc.txt?versionId=v2`, CopySourceIfMatch: '"etag-doc.txt"', IfMatch: '"etag-doc.txt"' });
  });

  it('412 on the copy: superseded, benign, not retried', async () => {
    head('raced.txt', {});
    s3.on(CopyObjectCommand).rejects(s3Error('PreconditionFailed', 412));
    const { deps, recorded } = setup();
    const report = await enforceInvocation(sqsEvent(sqsMessage('m-raced', s3Notification(s3Record({ key: 'raced.txt' })))), deps);
    expect(report.failedDeliveries).toEqual([]);
    expect(recorded.objects[0]?.outcome).toMatchObject({ kind: 'skipped', reason: 'superseded', alert: false });
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it('AccessDenied on the copy: the message fails and on-call is alerted with what and why', async () => {
    head('locked.txt', { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: OTHER });
    s3.on(CopyObjectCommand).rejects(s3Error('AccessDenied', 403, 'Access Denied'));
    const { deps } = setup();
    const report = await enforceInvocation(sqsEvent(sqsMessage('m-locked', s3Notification(s3Record({ key: 'locked.txt' })))), deps);
    expect(report.failedDeliveries).toEqual(['m-locked']);
    expect(publishedDocuments()).toEqual([
      {
        kind: 'object-alerts',
        source: 'enforce-object-encryption',
        part: 1,
        parts: 1,
        alerts: [
          {
            bucket: BUCKET,
            key: 'locked.txt',
            outcome: 'failed',
            reason: 'AccessDenied',
            detail: 'CopyObject failed: AccessDenied (HTTP 403): Access Denied',
            encryption: `sse-kms(${OTHER})`,
            severity: 'high',
          },
        ],
      },
    ]);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: `S3 encryption: 1 object(s) need attention in ${BUCKET}`,
      MessageStructure: 'json',
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: 'object-alerts' },
        severity: { DataType: 'String', StringValue: 'high' },
        reasons: { DataType: 'String', StringValue: 'AccessDenied' },
      },
    });
  });

  it('throttling after the SDK retries: the message fails for another delivery, without paging anyone', async () => {
    head('busy.txt', {});
    s3.on(CopyObjectCommand).rejects(s3Error('SlowDown', 503));
    const { deps } = setup();
    const report = await enforceInvocation(sqsEvent(sqsMessage('m-busy', s3Notification(s3Record({ key: 'busy.txt' })))), deps);
    expect(report.failedDeliveries).toEqual(['m-busy']);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it('SSE-C objects are never touched, and reported', async () => {
    s3.on(HeadObjectCommand).rejects(s3Error('BadRequest', 400));
    const { deps } = setup();
    const report = await enforceInvocation(s3Notification(s3Record({ key: 'secret.bin' })), deps);
    expect(report.failedDeliveries).toEqual([]);
    expect(s3).not.toHaveReceivedCommand(CopyObjectCommand);
    expect(publishedDocuments()[0]?.alerts).toEqual([
      {
        bucket: BUCKET,
        key: 'secret.bin',
        outcome: 'skipped',
        reason: 'customer-provided-key',
        detail: 'encrypted with a customer-provided key (SSE-C); only the uploader can read or re-encrypt it',
        encryption: 'sse-c',
        severity: 'high',
      },
    ]);
  });

  it('report mode decides and reports, and never writes', async () => {
    head('plain.txt', {});
    head('sse-s3.txt', { ServerSideEncryption: 'AES256' });
    const { deps } = setup('report');
    const report = await enforceInvocation(s3Notification(s3Record({ key: 'plain.txt' }), s3Record({ key: 'sse-s3.txt' })), deps);
    expect(report.failedDeliveries).toEqual([]);
    expect(s3).not.toHaveReceivedCommand(CopyObjectCommand);
    expect(publishedDocuments()[0]?.alerts.map((alert) => [alert['key'], alert['reason'], alert['severity']])).toEqual([
      ['plain.txt', 'report-only', 'medium'],
      ['sse-s3.txt', 'report-only', 'medium'],
    ]);
  });

  it('exempt objects cost no API call', async () => {
    const { deps, recorded } = setup();
    await enforceInvocation(s3Notification(s3Record({ key: 'scratch/tmp.bin' })), deps);
    expect(s3.calls()).toHaveLength(0);
    expect(recorded.objects[0]?.outcome).toMatchObject({ kind: 'skipped', reason: 'exempt', alert: false });
  });

  it('a deleted object is benign', async () => {
    s3.on(HeadObjectCommand).rejects(s3Error('NotFound', 404));
    const { deps, recorded } = setup();
    const report = await enforceInvocation(sqsEvent(sqsMessage('m-gone', s3Notification(s3Record({ key: 'gone.txt' })))), deps);
    expect(report.failedDeliveries).toEqual([]);
    expect(recorded.objects[0]?.outcome).toMatchObject({ kind: 'skipped', reason: 'gone', alert: false });
  });

  describe('an EventBridge key that may or may not be URL-encoded', () => {
    const copiedKeys = () => s3.commandCalls(CopyObjectCommand).map((call) => call.args[0].input.Key);
    const headedKeys = () => s3.commandCalls(HeadObjectCommand).map((call) => call.args[0].input.Key).sort();
    const eventFor = (key: string) => sqsEvent(sqsMessage('m-eb', eventBridgeObjectCreated({ bucket: BUCKET, key })));

    beforeEach(() => {
      s3.on(HeadObjectCommand).rejects(s3Error('NotFound', 404));
      s3.on(CopyObjectCommand).resolves({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: REQUIRED, BucketKeyEnabled: true });
    });

    it('enforces the key as stored when only that spelling exists, and says nothing of the other', async () => {
      head('plus/a+b+c.txt', { ServerSideEncryption: 'AES256' });
      const { deps, recorded } = setup();
      const report = await enforceInvocation(eventFor('plus/a+b+c.txt'), deps);
      expect(report.failedDeliveries).toEqual([]);
      expect(headedKeys()).toEqual(['plus/a b c.txt', 'plus/a+b+c.txt']);
      expect(copiedKeys()).toEqual(['plus/a+b+c.txt']);
      expect(recorded.objects).toEqual([
        { key: 'plus/a+b+c.txt', outcome: expect.objectContaining({ kind: 'remediated', strategy: 'copy-in-place', before: { kind: 'sse-s3' } }) },
      ]);
      expect(report.handled.map(({ deliveryId, ref }) => [deliveryId, ref.key])).toEqual([['m-eb', 'plus/a+b+c.txt']]);
    });

    it('enforces the decoded key when only that spelling exists', async () => {
      head('reports/Q1+Q2 résumé.csv', { ServerSideEncryption: 'AES256' });
      const { deps, recorded } = setup();
      await enforceInvocation(eventFor('reports/Q1%2BQ2+r%C3%A9sum%C3%A9.csv'), deps);
      expect(copiedKeys()).toEqual(['reports/Q1+Q2 résumé.csv']);
      expect(recorded.objects.map(({ key, outcome }) => [key, outcome.kind])).toEqual([['reports/Q1+Q2 résumé.csv', 'remediated']]);
    });

    it('enforces both objects when both spellings exist (`a b.txt` and `a+b.txt`)', async () => {
      head('both/a b.txt', { ServerSideEncryption: 'AES256' });
      head('both/a+b.txt', {});
      const { deps, recorded } = setup();
      const report = await enforceInvocation(eventFor('both/a+b.txt'), deps);
      expect(report.failedDeliveries).toEqual([]);
      expect(copiedKeys().sort()).toEqual(['both/a b.txt', 'both/a+b.txt']);
      expect(recorded.objects.map(({ key, outcome }) => [key, outcome.kind]).sort()).toEqual([
        ['both/a b.txt', 'remediated'],
        ['both/a+b.txt', 'remediated'],
      ]);
    });

    it('ends as one visible `gone` naming every spelling tried when neither exists, and is not retried', async () => {
      const { deps, recorded } = setup();
      const report = await enforceInvocation(eventFor('pct/100%25 done.txt'), deps);
      expect(report.failedDeliveries).toEqual([]);
      expect(headedKeys()).toEqual(['pct/100% done.txt', 'pct/100%25 done.txt']);
      expect(recorded.objects).toEqual([
        {
          key: 'pct/100% done.txt',
          outcome: {
            kind: 'skipped',
            reason: 'gone',
            alert: false,
            detail: 'the object was deleted before it could be inspected (spellings tried: "pct/100% done.txt", "pct/100%25 done.txt")',
          },
        },
      ]);
    });

    it('fails the message when enforcing either spelling fails, so it is retried', async () => {
      head('both/a b.txt', {});
      s3.on(HeadObjectCommand, { Bucket: BUCKET, Key: 'both/a+b.txt' }).rejects(s3Error('SlowDown', 503));
      const { deps, recorded } = setup();
      const report = await enforceInvocation(eventFor('both/a+b.txt'), deps);
      expect(report.failedDeliveries).toEqual(['m-eb']);
      expect(copiedKeys()).toEqual(['both/a b.txt']);
      expect(recorded.objects.map(({ key, outcome }) => [key, outcome.kind]).sort()).toEqual([
        ['both/a b.txt', 'remediated'],
        ['both/a+b.txt', 'failed'],
      ]);
    });

    it('a key decoding leaves unchanged costs one HeadObject, as before', async () => {
      head('times/12:30 run.log', { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: REQUIRED, BucketKeyEnabled: true });
      const { deps } = setup();
      await enforceInvocation(eventFor('times/12:30 run.log'), deps);
      expect(headedKeys()).toEqual(['times/12:30 run.log']);
    });
  });

  it('an alert that cannot be published is not done: its message is retried', async () => {
    s3.on(HeadObjectCommand).rejects(s3Error('BadRequest', 400));
    sns.on(PublishCommand).rejects(s3Error('InternalError', 500));
    const { deps, recorded } = setup();
    const report = await enforceInvocation(sqsEvent(sqsMessage('m-ssec', s3Notification(s3Record({ key: 'secret.bin' })))), deps);
    expect(report.failedDeliveries).toEqual(['m-ssec']);
    expect(recorded.alertFailures).toBe(1);
  });

  it('a copy that does not come back under the required key is a failure, never counted as remediated', async () => {
    head('odd.txt', {});
    s3.on(CopyObjectCommand).resolves({ ServerSideEncryption: 'AES256' });
    const { deps, recorded } = setup();
    const report = await enforceInvocation(sqsEvent(sqsMessage('m-odd', s3Notification(s3Record({ key: 'odd.txt' })))), deps);
    expect(report.failedDeliveries).toEqual(['m-odd']);
    expect(recorded.objects[0]?.outcome).toMatchObject({ kind: 'failed', error: { code: 'RemediationNotVerified', transient: false } });
  });

  it('direct invocations report which records failed, for the handler to throw', async () => {
    head('ok.txt', { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: REQUIRED });
    const { deps } = setup();
    const report = await enforceInvocation(s3Notification(s3Record({ key: 'ok.txt' }), { eventSource: 'aws:s3', eventName: 'ObjectCreated:Put' }), deps);
    expect(report.trigger).toBe('direct');
    expect(report.failedDeliveries).toEqual(['Records[1]']);
    expect(report.failureReasons).toEqual(['Records[1]: S3 record has no s3.bucket.name']);
  });
});
