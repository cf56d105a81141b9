import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CopyObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { enforceInvocation, type InvocationDependencies } from '../../../functions/enforce-object-encryption/enforce-invocation.js';
import { UpdateCapability } from '../../../functions/enforce-object-encryption/update-capability.js';
import { S3ObjectStore } from '../../../shared/adapters/s3-object-store.js';
import { sqsEvent, sqsMessage } from '../../fixtures/events.js';
import { markdownTable, publishReliabilitySection } from '../../fixtures/reliability-report.js';
import { captureOutput, KEY_ARN, lambdaContext, loadHandler, type EnforceHandler } from '../../fixtures/enforce-handler-harness.js';
import { MINI_BUCKET, MiniS3, type PendingEvent, type Race } from './support/mini-s3.js';

/**
 * Races between users and the enforcer on one key, against a stand-in S3 that honours the ETag
 * guards (moto ignores them): overwrites and deletes between HeadObject and the write, events
 * delivered late, twice, in any order, and the enforcer's own copy events mixed in.
 */

const s3 = mockClient(S3Client);
const kms = mockClient(KMSClient);
const sns = mockClient(SNSClient);
const KEY = 'reports/Q3 résumé + notes.txt';

const stats = { sequences: 0, steps: 0, batches: 0, eventsDelivered: 0, duplicates: 0, racesHappened: 0, copiesTried: 0, writes: 0, preconditionFailures: 0, notFound: 0, userUploads: 0, userDeletes: 0, replays: 0, versioned: 0 };
const examples: { name: string; result: string; held?: string }[] = [];
let currentExample: number | undefined;
/** Names a race and what must come of it; whether it did is written down when the test ends. */
const example = (name: string, result: string) => {
  currentExample = examples.push({ name, result }) - 1;
};

beforeEach(() => {
  s3.reset();
  kms.reset();
  sns.reset();
  kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', Arn: KEY_ARN, KeyState: 'Enabled', KeyManager: 'CUSTOMER' } });
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});
const testResults = new Map<string, 'pass' | 'FAIL'>();
afterEach((context) => {
  vi.unstubAllEnvs();
  testResults.set(context.task.name, context.task.result?.state === 'fail' ? 'FAIL' : 'pass');
  const named = currentExample === undefined ? undefined : examples[currentExample];
  if (named) named.held = context.task.result?.state === 'fail' ? 'FAIL' : 'pass';
  currentExample = undefined;
});

const invocationDependencies = (): InvocationDependencies => ({
  store: new S3ObjectStore(new S3Client({ region: 'us-east-1' })),
  requirementOf: () => ({ kind: 'required', keyArn: KEY_ARN, bucketKey: true, acceptDsseKms: true }),
  mode: 'enforce',
  copyLimitBytes: 5 * 1024 ** 3,
  strategy: 'copy',
  priorVersions: 'retain',
  update: new UpdateCapability(false),
  multipart: { partBytes: 64 * 1024 ** 2, concurrency: 4 },
  remainingTimeMs: () => 600_000,
  clock: () => new Date('2026-11-22T00:00:00Z'),
  alerts: { publish: () => Promise.resolve() },
  recorder: { objectHandled: () => undefined, recordRejected: () => undefined, noticeIgnored: () => undefined, alertsNotPublished: () => undefined, updateRefused: () => undefined },
  concurrency: 8,
  functionName: 'enforce-object-encryption',
  now: () => 0,
});

let deliveries = 0;
const batchOf = (world: MiniS3, events: readonly PendingEvent[]) =>
  sqsEvent(...events.map((event) => sqsMessage(`m-${event.id}-${(deliveries += 1)}`, world.notificationOf(event))));

type Step = { kind: 'upload' } | { kind: 'delete' } | { kind: 'race'; race: Race } | { kind: 'deliver'; picks: number[]; keep: boolean[] };

const arbStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Step>({ kind: 'upload' }) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'delete' }) },
  { weight: 2, arbitrary: fc.constantFrom<Race>('overwrite', 'delete').map((race): Step => ({ kind: 'race', race })) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('deliver' as const), picks: fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), keep: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }) }) },
);

describe('races, generated', () => {
  it('never older content over newer, at most one write per upload, nothing failed, compliant in the end', async () => {
    await fc.assert(
      fc.asyncProperty(fc.record({ versioned: fc.boolean(), pad: fc.boolean(), steps: fc.array(arbStep, { maxLength: 14 }) }), async ({ versioned, pad, steps }) => {
        s3.reset();
        const world = new MiniS3(KEY, versioned, pad);
        world.install(s3);
        const pool: PendingEvent[] = [];
        const delivered: PendingEvent[] = [];
        const absorb = () => pool.push(...world.events.splice(0));
        const deliver = async (batch: readonly PendingEvent[]) => {
          const report = await enforceInvocation(batchOf(world, batch), invocationDependencies());
          expect(report.failedDeliveries, 'nothing here may fail: a 412 is superseded and a 404 is gone').toEqual([]);
          stats.batches += 1;
          stats.eventsDelivered += batch.length;
          stats.duplicates += batch.filter((event) => delivered.includes(event)).length;
          delivered.push(...batch);
          absorb();
        };
        world.upload();
        absorb();
        for (const step of steps) {
          stats.steps += 1;
          if (step.kind === 'upload') {
            world.upload();
            absorb();
          } else if (step.kind === 'delete') world.delete();
          else if (step.kind === 'race') world.arm(step.race);
          else if (pool.length > 0) {
            const batch = step.picks.map((pick) => pool[pick % pool.length] as PendingEvent);
            // At-least-once: an event may stay in the pool after delivery, to come again later.
            for (const [index, event] of batch.entries()) {
              const at = pool.indexOf(event);
              if (!step.keep[index] && at >= 0) pool.splice(at, 1);
            }
            await deliver(batch);
          }
        }
        // Everything still pending arrives, newest first (out of order), until nothing is left.
        for (let round = 0; pool.length > 0 && round < 20; round += 1) await deliver(pool.splice(0).reverse());
        expect(pool).toEqual([]);
        world.disarm();
        const writesBefore = world.writes.length;
        // And S3 delivers at least once: every event again, in one batch.
        await deliver([...new Set(delivered)]);
        stats.replays += 1;

        expect(world.violations).toEqual([]);
        expect(world.writes.length, 'a replay of every event wrote again').toBe(writesBefore);
        const perUpload = new Map<number, number>();
        for (const write of world.writes) perUpload.set(write.sourceContent, (perUpload.get(write.sourceContent) ?? 0) + 1);
        expect([...perUpload.values()].every((count) => count === 1), `writes per upload: ${JSON.stringify([...perUpload])}`).toBe(true);
        expect(world.writes.length).toBeLessThanOrEqual(world.counts.userUploads);
        if (world.current) {
          expect(world.current.content, 'the newest upload is what the key holds').toBe(world.counts.userUploads);
          expect(world.current.kmsKeyId, 'every event delivered: the key is compliant').toBe(KEY_ARN);
        }
        stats.sequences += 1;
        stats.versioned += versioned ? 1 : 0;
        stats.racesHappened += world.counts.racesHappened;
        stats.copiesTried += world.counts.copies;
        stats.writes += world.writes.length;
        stats.preconditionFailures += world.counts.preconditionFailures;
        stats.notFound += world.counts.notFound;
        stats.userUploads += world.counts.userUploads;
        stats.userDeletes += world.counts.userDeletes;
      }),
      { numRuns: 1000 },
    );
  }, 300_000);
});

/** The named races, through the real handler. */
describe('races, by name, through the handler', () => {
  const handle = async (handler: EnforceHandler, world: MiniS3, events: readonly PendingEvent[]) => {
    const run = await captureOutput(() => handler(batchOf(world, events), lambdaContext));
    if (run.error) throw run.error;
    const failures = (run.value as { batchItemFailures: { itemIdentifier: string }[] }).batchItemFailures;
    const outcomes = run.lines.filter((line) => line['key'] === KEY && typeof line['outcome'] === 'string').map((line) => `${String(line['outcome'])}${line['reason'] ? `:${String(line['reason'])}` : ''}`);
    return { failures, outcomes };
  };

  it.each([true, false])('overwritten between HeadObject and the write (versioned: %s): superseded, one guarded attempt, no retry', async (versioned) => {
    example(`overwritten between HeadObject and the write (${versioned ? 'versioned' : 'unversioned'} bucket)`, 'superseded, one guarded CopyObject answered 412, not retried; the newer upload remediated on its own event');
    const world = new MiniS3(KEY, versioned, true);
    world.install(s3);
    world.upload();
    const [first] = world.events.splice(0);
    if (!first) throw new Error('no event');
    const handler = await loadHandler({});
    world.arm('overwrite');

    const stale = await handle(handler, world, [first]);

    expect(stale).toEqual({ failures: [], outcomes: ['skipped:superseded'] });
    const attempts = s3.commandCalls(CopyObjectCommand).map((call) => call.args[0].input);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ CopySourceIfMatch: '"etag-1"', IfMatch: '"etag-1"', CopySource: versioned ? `${MINI_BUCKET}/${encodeURIComponent(KEY).replace(/%2F/g, '/')}?versionId=v1` : `${MINI_BUCKET}/${encodeURIComponent(KEY).replace(/%2F/g, '/')}` });
    expect(world.writes).toEqual([]);
    expect(world.current?.content).toBe(2);
    // The newer upload's own event remediates the newer content.
    const newer = world.events.splice(0);
    expect(await handle(handler, world, newer)).toEqual({ failures: [], outcomes: ['remediated'] });
    expect(world.writes).toEqual([{ sourceContent: 2, contentBefore: 2 }]);
    expect(world.violations).toEqual([]);
  });

  it('deleted before its event is handled, and between HeadObject and the write: gone, no write, acknowledged', async () => {
    example('deleted before its event is handled; deleted between HeadObject and the write', 'gone, acknowledged, no write, no alert, never recreated');
    const world = new MiniS3(KEY, true, true);
    world.install(s3);
    world.upload();
    const events = world.events.splice(0);
    world.delete();
    const handler = await loadHandler({});
    expect(await handle(handler, world, events)).toEqual({ failures: [], outcomes: ['skipped:gone'] });
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);

    world.upload();
    const again = world.events.splice(0);
    world.arm('delete');
    expect(await handle(handler, world, again)).toEqual({ failures: [], outcomes: ['skipped:gone'] });
    expect(world.writes).toEqual([]);
    expect(world.current).toBeUndefined();
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it("the same event twice, and out of order with the copy's own event: one write", async () => {
    example("the same event twice in one batch, then again with the copy's own event ahead of it", 'one write in all; the rest compliant or superseded');
    const world = new MiniS3(KEY, true, false);
    world.install(s3);
    world.upload();
    const [put] = world.events.splice(0);
    if (!put) throw new Error('no event');
    const handler = await loadHandler({});

    const first = await handle(handler, world, [put, put]);
    expect(first).toEqual({ failures: [], outcomes: ['remediated', 'skipped:superseded'] });
    const [copyEvent] = world.events.splice(0);
    if (!copyEvent) throw new Error('the copy sent no event');
    expect(copyEvent.eventName).toBe('ObjectCreated:Copy');

    // Redelivered together, the copy's own event first: still nothing to write.
    const later = await handle(handler, world, [copyEvent, put, put, copyEvent]);
    expect(later.failures).toEqual([]);
    expect(later.outcomes.sort()).toEqual(['compliant', 'compliant', 'skipped:superseded', 'skipped:superseded']);
    expect(world.writes).toHaveLength(1);
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(1);
  });
});

afterAll(() => {
  if (testResults.size < 5) return; // a filtered run: keep the last full figures
  const failing = [...testResults].filter(([, result]) => result === 'FAIL').map(([name]) => name);
  publishReliabilitySection(
    'races',
    [
      failing.length > 0 ? `**FAILING: ${failing.join('; ')}** — see the test output; the figures below stop where the failure stopped the run.\n` : '**Every sequence and every named race held.**\n',
      'Against a stand-in S3 for one key (aws-sdk-client-mock) that keeps versions and honours `CopySourceIfMatch` and `IfMatch` as S3',
      'does (moto ignores them), and emits the notification of every write — the enforcer\'s own copies included. fast-check generated',
      'sequences of user uploads, user deletes, races armed to strike right after the next HeadObject (an overwrite or a delete before the',
      'write), and SQS batches picking pending events in any order, some kept to come again (at-least-once); then everything left was',
      'delivered newest first, and finally every event once more. Checked for each sequence: no older content is ever written over',
      'newer, each upload is written by the enforcer at most once, no delivery fails, the replay writes nothing, and the key ends',
      'holding the newest upload under the required key (or nothing, if the user deleted it).',
      '',
      markdownTable(
        ['figure', 'value'],
        [
          ['sequences (versioned / unversioned buckets)', `${stats.sequences} (${stats.versioned} / ${stats.sequences - stats.versioned})`],
          ['steps', stats.steps],
          ['user uploads / deletes', `${stats.userUploads} / ${stats.userDeletes}`],
          ['races that struck between HeadObject and the write', stats.racesHappened],
          ['batches delivered', stats.batches],
          ['events delivered (of which redeliveries)', `${stats.eventsDelivered} (${stats.duplicates})`],
          ['copies tried by the enforcer', stats.copiesTried],
          ['answered 412 (superseded) / 404 (gone)', `${stats.preconditionFailures} / ${stats.notFound}`],
          ['writes made', stats.writes],
          ['older content written over newer', failing.length > 0 ? 'see the failing test' : 0],
          ['uploads written more than once', failing.length > 0 ? 'see the failing test' : 0],
        ],
      ),
      '',
      'The named races, through the real handler (SQS):',
      '',
      markdownTable(['race', 'what must happen', 'held'], examples.map((item) => [item.name, item.result, item.held ?? 'FAIL'])),
    ].join('\n'),
  );
});
