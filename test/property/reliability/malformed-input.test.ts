import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetBucketOwnershipControlsCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import fc from 'fast-check';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { batchOperationsResponse } from '../../../functions/enforce-object-encryption/batch-operations-results.js';
import { enforceInvocation, type InvocationDependencies, type InvocationReport } from '../../../functions/enforce-object-encryption/enforce-invocation.js';
import type { EnforcementRecorder } from '../../../functions/enforce-object-encryption/enforcement-recorder.js';
import { UpdateCapability } from '../../../functions/enforce-object-encryption/update-capability.js';
import type { ObjectInspection } from '../../../shared/core/classify-object.js';
import { normaliseEvent, type Notice } from '../../../shared/core/normalise-event.js';
import type { ObjectStore } from '../../../shared/ports/object-store.js';
import { markdownTable, publishReliabilitySection } from '../../fixtures/reliability-report.js';
import { TEST_SEED } from '../../fixtures/test-seed.js';
import { captureOutput, KEY_ARN, lambdaContext, loadHandler } from '../../fixtures/enforce-handler-harness.js';
import {
  BODY_MARKER,
  KEYS_OF_1024_BYTES,
  arbBatchJob,
  arbDirectEvent,
  arbHugeDirectEvent,
  arbSqsMessages,
  singleDeliveryId,
  sqsDeliveryId,
  toSqsEvent,
  type DirectEvent,
  type Expectation,
  type ObjectKey,
  type SqsMessageSpec,
} from './support/event-arbitraries.js';

/**
 * Malformed and adversarial input, generated: through normaliseEvent and through enforceInvocation
 * with a stand-in object store that answers at once ("already compliant"), and a sample through
 * the real handler. Zero unhandled exceptions; every unreadable record is reported with a reason
 * that names it and fails its delivery, every time it is delivered (so it reaches the DLQ); the good
 * records of the same batch are still handled.
 */

const stats = {
  events: { sqs: 0, direct: 0, 'batch-operations': 0, anything: 0, huge: 0, handler: 0 } as Record<string, number>,
  sqsMessages: 0,
  directRecords: 0,
  tasks: 0,
  objectsHandled: 0,
  rejections: 0,
  ignoredNotices: 0,
  badDeliveries: 0,
  goodDeliveries: 0,
  replays: 0,
  largestBatch: 0,
  longestKeyBytes: 0,
  longestReason: 0,
  defects: new Map<string, number>(),
  reasons: new Map<string, number>(),
};

const countDefects = (expectation: Expectation): void => {
  for (const defect of expectation.defects) stats.defects.set(defect, (stats.defects.get(defect) ?? 0) + 1);
};

/** A reason with its particulars taken out, to count kinds of rejection. */
const reasonKind = (reason: string): string =>
  reason
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/\(\d+ characters\)/, '(N characters)')
    .replace(/bucket [^ :]+/g, 'bucket …')
    .replace(/for [a-z0-9.-]+ has/, 'for … has')
    .replace(/\b\d+\b/g, 'N');

interface Recorded {
  rejected: { deliveryId: string; notice: Notice }[];
  ignored: { deliveryId: string; notice: Notice }[];
}

/** Answers every HeadObject at once: the object is already under the required key. */
class AnsweringStore implements ObjectStore {
  inspect(): Promise<ObjectInspection> {
    return Promise.resolve({ kind: 'found', object: { eTag: '"e"', sizeBytes: 1, serverSideEncryption: 'aws:kms', kmsKeyId: KEY_ARN, bucketKeyEnabled: true } });
  }
  private refuse(): never {
    throw new Error('a compliant object must never be written');
  }
  copyInPlace = () => this.refuse();
  multipartCopyInPlace = () => this.refuse();
  updateEncryptionInPlace = () => this.refuse();
  aclMode = () => this.refuse();
  readAcl = () => this.refuse();
  readTags = () => this.refuse();
  deleteVersion = () => this.refuse();
}

const dependencies = (): { deps: InvocationDependencies; recorded: Recorded } => {
  const recorded: Recorded = { rejected: [], ignored: [] };
  const recorder: EnforcementRecorder = {
    objectHandled: () => undefined,
    recordRejected: (deliveryId, notice) => recorded.rejected.push({ deliveryId, notice }),
    noticeIgnored: (deliveryId, notice) => recorded.ignored.push({ deliveryId, notice }),
    alertsNotPublished: () => undefined,
    updateRefused: () => undefined,
  };
  return {
    recorded,
    deps: {
      store: new AnsweringStore(),
      requirementOf: () => ({ kind: 'required', keyArn: KEY_ARN, bucketKey: true, acceptDsseKms: true }),
      mode: 'enforce',
      copyLimitBytes: 5 * 1024 ** 3,
      strategy: 'auto',
      priorVersions: 'retain',
      update: new UpdateCapability(true),
      multipart: { partBytes: 64 * 1024 ** 2, concurrency: 4 },
      remainingTimeMs: () => 600_000,
      clock: () => new Date('2026-11-22T00:00:00Z'),
      alerts: { publish: () => Promise.reject(new Error('nothing here may need an alert')) },
      recorder,
      concurrency: 8,
      functionName: 'enforce-object-encryption',
      now: () => 0,
    },
  };
};

/** Runs one event through normaliseEvent and enforceInvocation, twice: a poison record fails every time. */
const runTwice = async (event: unknown): Promise<{ report: InvocationReport; recorded: Recorded }> => {
  const normalised = normaliseEvent(event);
  // Plain JSON data: nothing in it is lost or changed when a delivery or notice is logged.
  expect(JSON.parse(JSON.stringify(normalised))).toStrictEqual(normalised);
  const { deps, recorded } = dependencies();
  const report = await enforceInvocation(event, deps);
  const again = await enforceInvocation(event, dependencies().deps);
  expect([...again.failedDeliveries].sort()).toEqual([...report.failedDeliveries].sort());
  stats.replays += 1;
  // Only unreadable records fail here: the store answers "compliant" for every object.
  const rejectedIds = new Set(report.deliveries.filter((delivery) => delivery.rejections.length > 0).map((delivery) => delivery.id));
  expect(new Set(report.failedDeliveries)).toEqual(rejectedIds);
  expect(report.deliveries.map((delivery) => delivery.id)).toEqual(normalised.deliveries.map((delivery) => delivery.id));
  for (const { notice } of recorded.rejected) {
    expect(notice.reason.length).toBeGreaterThan(0);
    expect(notice.reason.length).toBeLessThanOrEqual(600);
    expect(notice.reason).not.toContain(BODY_MARKER);
    stats.longestReason = Math.max(stats.longestReason, notice.reason.length);
    stats.reasons.set(reasonKind(notice.reason), (stats.reasons.get(reasonKind(notice.reason)) ?? 0) + 1);
  }
  stats.rejections += recorded.rejected.length;
  stats.ignoredNotices += recorded.ignored.length;
  stats.objectsHandled += report.handled.length;
  for (const { ref } of report.handled) stats.longestKeyBytes = Math.max(stats.longestKeyBytes, Buffer.byteLength(ref.key));
  return { report, recorded };
};

/** Checks one delivery against what its generator said it is. */
const checkDelivery = (id: string, expectation: Expectation, report: InvocationReport, recorded: Recorded, recordPrefix: string): void => {
  const failed = report.failedDeliveries.includes(id);
  const rejections = recorded.rejected.filter((item) => item.deliveryId === id);
  const handled = report.handled.filter((item) => item.deliveryId === id).map(({ ref }): ObjectKey => ({ bucket: ref.bucket, key: ref.key }));
  countDefects(expectation);
  if (expectation.label === 'bad') {
    stats.badDeliveries += 1;
    expect(failed, `${id} is unreadable and must be failed`).toBe(true);
    expect(rejections.length, `${id} must be reported`).toBeGreaterThan(0);
    for (const { notice } of rejections) expect(notice.record.startsWith(recordPrefix), `${notice.record} names ${recordPrefix}`).toBe(true);
    expect(report.failureReasons.some((reason) => reason.startsWith(recordPrefix))).toBe(true);
  } else {
    stats.goodDeliveries += 1;
    expect(failed, `${id} is readable and must not be failed: ${JSON.stringify(rejections)}`).toBe(false);
    expect(rejections).toEqual([]);
  }
  if (expectation.label === 'ignored') expect(recorded.ignored.some((item) => item.deliveryId === id)).toBe(true);
  // The good records of a message are handled even when another record of it is unreadable.
  const sorted = (keys: readonly ObjectKey[]) => keys.map((key) => JSON.stringify([key.bucket, key.key])).sort();
  expect(sorted(handled)).toEqual(sorted(expectation.objects));
};

const checkSqsBatch = async (messages: readonly SqsMessageSpec[]): Promise<void> => {
  const event = toSqsEvent(messages);
  const { report, recorded } = await runTwice(event);
  expect(report.trigger).toBe('sqs');
  stats.sqsMessages += messages.length;
  stats.largestBatch = Math.max(stats.largestBatch, messages.length);
  messages.forEach((message, index) => {
    const id = sqsDeliveryId(message, index);
    checkDelivery(id, message.expect, report, recorded, `message ${id}`);
  });
};

type Json = Record<string, unknown>;
const isSqsRecord = (record: unknown): boolean => typeof record === 'object' && record !== null && (record as Json)['eventSource'] === 'aws:sqs';

const checkDirect = async (event: DirectEvent): Promise<void> => {
  const { report, recorded } = await runTwice(event.value);
  if (event.kind === 'single') {
    expect(report.trigger).toBe('direct');
    const id = singleDeliveryId(event.value);
    checkDelivery(id, event.expect, report, recorded, id);
    return;
  }
  const records = (event.value as { Records: unknown[] }).Records;
  stats.directRecords += records.length;
  stats.largestBatch = Math.max(stats.largestBatch, records.length);
  // A list made only of SQS-shaped records is read as an SQS batch, whatever else is in it.
  const asSqs = records.length > 0 && records.every(isSqsRecord);
  event.records.forEach((expectation, index) => {
    const messageId = (records[index] as Json | undefined)?.['messageId'];
    const id = asSqs ? (typeof messageId === 'string' && messageId ? messageId : `Records[${index}]`) : `Records[${index}]`;
    checkDelivery(id, expectation, report, recorded, asSqs ? `message ${id}` : id);
  });
};

const runs = (numRuns: number) => ({ numRuns });

const testResults = new Map<string, 'pass' | 'FAIL'>();
afterEach((context) => {
  vi.unstubAllEnvs();
  testResults.set(context.task.name, context.task.result?.state === 'fail' ? 'FAIL' : 'pass');
});

describe('malformed and adversarial input', () => {
  it('the generator makes keys of exactly 1,024 bytes', () => {
    for (const key of KEYS_OF_1024_BYTES) expect(Buffer.byteLength(key)).toBe(1024);
  });

  it('SQS batches of mixed good, ignored and unreadable messages', async () => {
    await fc.assert(
      fc.asyncProperty(arbSqsMessages(1, 12, 4), async (messages) => {
        stats.events['sqs'] = (stats.events['sqs'] ?? 0) + 1;
        await checkSqsBatch(messages);
      }),
      runs(4000),
    );
  }, 300_000);

  it('direct invocations: S3 records, SNS records, EventBridge events, other services, anything', async () => {
    await fc.assert(
      fc.asyncProperty(arbDirectEvent(6), async (event) => {
        stats.events['direct'] = (stats.events['direct'] ?? 0) + 1;
        await checkDirect(event);
      }),
      runs(3000),
    );
  }, 300_000);

  it('S3 Batch Operations jobs: every task gets one result; unreadable tasks fail permanently', async () => {
    await fc.assert(
      fc.asyncProperty(arbBatchJob(0, 20), async ({ event, tasks }) => {
        stats.events['batch-operations'] = (stats.events['batch-operations'] ?? 0) + 1;
        stats.tasks += tasks.length;
        const { report, recorded } = await runTwice(event);
        expect(report.trigger).toBe('batch-operations');
        if (!report.batchJob) throw new Error('a Batch Operations job without its job fields');
        const response = batchOperationsResponse(report.batchJob, report.deliveries, report.handled);
        expect(response.results.map((result) => result.taskId)).toEqual(tasks.map((task) => task.id));
        tasks.forEach((task, index) => {
          checkDelivery(task.id, task.expect, report, recorded, `task ${task.id}`);
          const result = response.results[index];
          if (task.expect.label === 'bad') {
            expect(result?.resultCode).toBe('PermanentFailure');
            expect(result?.resultString.startsWith('rejected: ')).toBe(true);
          } else {
            expect(result).toMatchObject({ resultCode: 'Succeeded' });
          }
        });
      }),
      runs(1500),
    );
  }, 300_000);

  it('any value at all as the event: never throws, and fails exactly what it could not read', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.anything(), fc.jsonValue()), async (event) => {
        stats.events['anything'] = (stats.events['anything'] ?? 0) + 1;
        const { report, recorded } = await runTwice(event);
        for (const delivery of report.deliveries) {
          if (delivery.rejections.length > 0) {
            expect(recorded.rejected.some((item) => item.deliveryId === delivery.id)).toBe(true);
          }
        }
      }),
      runs(1500),
    );
  }, 300_000);

  it('huge batches: 500 to 1,000 SQS messages, S3 records or Batch Operations tasks', async () => {
    await fc.assert(
      fc.asyncProperty(arbSqsMessages(500, 1000, 2), async (messages) => {
        stats.events['huge'] = (stats.events['huge'] ?? 0) + 1;
        await checkSqsBatch(messages);
      }),
      runs(8),
    );
    await fc.assert(
      fc.asyncProperty(arbHugeDirectEvent(500, 1000), async (event) => {
        stats.events['huge'] = (stats.events['huge'] ?? 0) + 1;
        await checkDirect(event);
      }),
      runs(4),
    );
    await fc.assert(
      fc.asyncProperty(arbBatchJob(500, 1000), async ({ event, tasks }) => {
        stats.events['huge'] = (stats.events['huge'] ?? 0) + 1;
        stats.tasks += tasks.length;
        stats.largestBatch = Math.max(stats.largestBatch, tasks.length);
        const { report } = await runTwice(event);
        expect(report.deliveries).toHaveLength(tasks.length);
      }),
      runs(4),
    );
  }, 300_000);

  it('through the real handler: a poison message is in batchItemFailures every time it is delivered', async () => {
    const s3 = mockClient(S3Client);
    const kms = mockClient(KMSClient);
    const sns = mockClient(SNSClient);
    try {
      kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', Arn: KEY_ARN, KeyState: 'Enabled', KeyManager: 'CUSTOMER' } });
      s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 1, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY_ARN, BucketKeyEnabled: true });
      s3.on(GetBucketOwnershipControlsCommand).resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } });
      sns.on(PublishCommand).resolves({ MessageId: 'm' });
      const handler = await loadHandler({});
      await fc.assert(
        fc.asyncProperty(arbSqsMessages(1, 10, 3), async (messages) => {
          stats.events['handler'] = (stats.events['handler'] ?? 0) + 1;
          const poison = messages.flatMap((message, index) => (message.expect.label === 'bad' ? [sqsDeliveryId(message, index)] : [])).sort();
          for (let delivery = 0; delivery < 3; delivery += 1) {
            const run = await captureOutput(() => handler(toSqsEvent(messages), lambdaContext));
            expect(run.error).toBeUndefined();
            const failures = (run.value as { batchItemFailures: { itemIdentifier: string }[] }).batchItemFailures.map((item) => item.itemIdentifier).sort();
            expect(failures).toEqual(poison);
            // Each unreadable record is logged, naming its message.
            for (const id of poison) expect(run.lines.some((line) => line['message'] === 'record rejected' && line['delivery'] === id)).toBe(true);
            expect(run.text).not.toContain(BODY_MARKER);
          }
        }),
        runs(300),
      );
      expect(s3.commandCalls(HeadObjectCommand).length).toBeGreaterThan(0);
    } finally {
      s3.restore();
      kms.restore();
      sns.restore();
    }
  }, 300_000);

  it('generated at least 10,000 events in all', () => {
    const total = Object.values(stats.events).reduce((sum, count) => sum + count, 0);
    expect(total).toBeGreaterThanOrEqual(10_000);
  });
});

afterAll(() => {
  const total = Object.values(stats.events).reduce((sum, count) => sum + count, 0);
  if (testResults.size < 8) return; // a filtered run: keep the last full figures
  const failing = [...testResults].filter(([, result]) => result === 'FAIL').map(([name]) => name);
  const defects = [...stats.defects.entries()].sort((a, b) => b[1] - a[1]);
  const reasons = [...stats.reasons.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25);
  publishReliabilitySection(
    'malformed-input',
    [
      failing.length > 0 ? `**FAILING: ${failing.join('; ')}** — the figures below stop where the failure stopped the run; see the test output.\n` : '**All properties held: 0 unhandled exceptions, every unreadable record failed and reported, every good record handled.**\n',
      `fast-check generated **${total.toLocaleString('en-US')} events** (seed ${TEST_SEED.seed}; \`TEST_SEED=${TEST_SEED.seed}\` repeats them), each run through \`normaliseEvent\` and`,
      'through `enforceInvocation` with a stand-in object store that answers at once — and then through `enforceInvocation` again, to',
      'show an unreadable record fails every time it is delivered (so SQS moves it to the dead-letter queue after `maxReceiveCount`',
      'instead of it being acknowledged or retried forever). A sample also ran through the real handler, three deliveries each.',
      '',
      markdownTable(
        ['events', 'count'],
        [
          ['SQS batches (1–12 messages; bodies: S3 notifications, EventBridge events, test events, SNS envelopes up to 6 deep, other services, random JSON, invalid JSON, non-strings)', stats.events['sqs'] ?? 0],
          ['direct invocations (S3 records, SNS records, EventBridge, test event, other services, random JSON)', stats.events['direct'] ?? 0],
          ['S3 Batch Operations jobs (0–20 tasks, schema 1.0 and 2.0 task shapes)', stats.events['batch-operations'] ?? 0],
          ['any value at all (`fc.anything()`, `fc.jsonValue()`)', stats.events['anything'] ?? 0],
          ['huge: 500–1,000 SQS messages, S3 records or tasks in one event', stats.events['huge'] ?? 0],
          ['SQS batches through the real handler (each delivered 3 times)', stats.events['handler'] ?? 0],
        ],
      ),
      '',
      markdownTable(
        ['figure', 'value'],
        [
          ['SQS messages', stats.sqsMessages],
          ['direct records', stats.directRecords],
          ['Batch Operations tasks', stats.tasks],
          ['objects handled (good records)', stats.objectsHandled],
          ['deliveries that had to fail (unreadable), all failed', stats.badDeliveries],
          ['deliveries that had to succeed, all succeeded', stats.goodDeliveries],
          ['rejections logged (one per unreadable record)', stats.rejections],
          ['notices acknowledged without work (test events, deletes, …)', stats.ignoredNotices],
          ['events replayed to check a poison record fails again', stats.replays],
          ['largest batch', stats.largestBatch],
          ['longest key handled (UTF-8 bytes)', stats.longestKeyBytes],
          ['longest rejection reason (characters; at most 600 allowed)', stats.longestReason],
          ['unhandled exceptions', failing.length > 0 ? 'see the failing test' : 0],
        ],
      ),
      '',
      'Kinds of unreadable input generated:',
      '',
      markdownTable(['defect', 'records'], defects),
      '',
      'The reasons logged for them (particulars replaced by `…` / `N`), most frequent first:',
      '',
      markdownTable(['reason', 'times'], reasons.map(([reason, count]) => [`\`${reason}\``, count])),
    ].join('\n'),
  );
});
