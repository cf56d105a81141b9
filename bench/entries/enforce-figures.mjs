// Bundled by bench/run.mjs with the functions' esbuild options and run in its own process:
//   node enforce-figures.mjs <result.json> calls|throughput|trace|sdk-ceiling|timer-ceiling|sdk-floor [options as JSON]
// The enforce use case (enforceInvocation) runs with the real S3ObjectStore over a real S3Client
// whose HTTP handler is the simulated S3 of bench/lib; configuration comes from the real loader.
// The ceilings send again, with no enforcer, the very commands a traced run of the enforcer sent
// (bench/lib/call-trace.mjs).
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetBucketOwnershipControlsCommand,
  GetObjectAclCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  S3Client,
  UpdateObjectEncryptionCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { enforceInvocation } from '../../functions/enforce-object-encryption/enforce-invocation.ts';
import { powertoolsRecorder } from '../../functions/enforce-object-encryption/powertools-recorder.ts';
import { UpdateCapability } from '../../functions/enforce-object-encryption/update-capability.ts';
import { S3ObjectStore } from '../../shared/adapters/s3-object-store.ts';
import { loadEnforcerConfig } from '../../shared/config/enforcer-config.ts';
import { requirementFor } from '../../shared/core/object-requirement.ts';
import { createTelemetry } from '../../shared/observability/powertools.ts';
import { newTrace, readTrace, recordInto, sendAgain, writeTrace } from '../lib/call-trace.mjs';
import { CallCounter, keyedLatency, simulatedClient } from '../lib/simulated-aws.mjs';
import { objectClasses, SimulatedObjects } from '../lib/simulated-object-store.mjs';

/** @import { EnforcementRecorder } from '../../functions/enforce-object-encryption/enforcement-recorder.ts' */
/** @import { InvocationDependencies } from '../../functions/enforce-object-encryption/enforce-invocation.ts' */
/** @import { CommandClasses } from '../lib/call-trace.mjs' */
/** @import { CommandInput } from '../lib/simulated-aws.mjs' */
/** @import { ObjectClass, Ownership } from '../lib/simulated-object-store.mjs' */

/** @typedef {'auto' | 'copy'} Strategy */
/** @typedef {keyof typeof CLASSES} ClassName */
/** @typedef {{ meanMs: number, spreadMs: number, seed: number }} LatencyModel */

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const REQUIRED_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
const OTHER_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/99999999-8888-7777-6666-555555555555`;
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:encryption-findings`;
const QUEUE_ARN = `arn:aws:sqs:${REGION}:${ACCOUNT}:object-created`;
const BUCKET = 'bench-uploads';
const CLASSES = objectClasses(REQUIRED_KEY_ARN, OTHER_KEY_ARN);
/** Every command S3ObjectStore sends, by the name a trace records. @type {CommandClasses} */
const S3_COMMANDS = {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetBucketOwnershipControlsCommand,
  GetObjectAclCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  UpdateObjectEncryptionCommand,
  UploadPartCopyCommand,
};

/**
 * The configuration the function would load, with POLICY.strategy as given.
 * @param {Strategy} strategy
 */
const configFor = (strategy) =>
  loadEnforcerConfig({ REQUIRED_KMS_KEY: REQUIRED_KEY_ARN, FINDINGS_TOPIC_ARN: TOPIC_ARN, AWS_REGION: REGION, POLICY: JSON.stringify({ strategy }) });

/**
 * One SQS message per object, each carrying S3's notification, as Lambda's SQS poller hands them over.
 * @param {string[]} keys
 * @param {string} eventName
 * @param {number} sizeBytes
 * @param {number} firstId
 */
const sqsEvent = (keys, eventName, sizeBytes, firstId) => ({
  Records: keys.map((key, index) => ({
    messageId: `m-${firstId + index}`,
    receiptHandle: `r-${firstId + index}`,
    body: JSON.stringify({
      Records: [
        {
          eventVersion: '2.1',
          eventSource: 'aws:s3',
          awsRegion: REGION,
          eventTime: '2025-01-01T00:00:00.000Z',
          eventName,
          s3: {
            s3SchemaVersion: '1.0',
            configurationId: 'enforcer',
            bucket: { name: BUCKET, arn: `arn:aws:s3:::${BUCKET}` },
            object: { key, size: sizeBytes, sequencer: (firstId + index).toString(16).toUpperCase().padStart(16, '0') },
          },
        },
      ],
    }),
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1735689600000', SenderId: 'AIDAIENQZJOLO23YVJ4VO', ApproximateFirstReceiveTimestamp: '1735689600000' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: QUEUE_ARN,
    awsRegion: REGION,
  })),
});

/**
 * The real recorder (its log lines go to this process's stdout, which the runner discards), plus a tally.
 * @param {EnforcementRecorder} recorder
 */
const tallyingRecorder = (recorder) => {
  /** @type {Map<string, number>} */
  const outcomes = new Map();
  return {
    outcomes,
    /** @type {EnforcementRecorder} */
    recorder: {
      ...recorder,
      objectHandled(ref, outcome, durationMs) {
        const name = outcome.kind === 'remediated' ? `remediated:${outcome.strategy}` : outcome.kind === 'skipped' ? `skipped:${outcome.reason}` : outcome.kind;
        outcomes.set(name, (outcomes.get(name) ?? 0) + 1);
        recorder.objectHandled(ref, outcome, durationMs);
      },
    },
  };
};

/** The key of a case's object, by the order it is sent in (warm-up objects first). @param {number} index */
const objectKey = (index) => `objects/${String(index).padStart(6, '0')}.bin`;

/**
 * The simulated bucket of a case and its objects: `objects` keys, in the order they are sent, all of one class.
 * @param {{ ownership: Ownership, objectClass: ClassName, objects: number }} options
 */
const bucketOf = ({ ownership, objectClass, objects }) => {
  const world = new SimulatedObjects();
  world.addBucket(BUCKET, ownership);
  /** @type {ObjectClass} */
  const spec = CLASSES[objectClass];
  const keys = Array.from({ length: objects }, (_, index) => objectKey(index));
  for (const key of keys) world.putObject(BUCKET, key, spec);
  const compliantCount = (/** @type {string[]} */ among) => among.filter((key) => world.objectOf(BUCKET, key)?.kmsKeyId === REQUIRED_KEY_ARN).length;
  return { world, spec, keys, compliantCount };
};

/**
 * Everything enforceInvocation needs, as the handler's composition root makes it, over the simulated S3.
 * `onCommand` sees each command as the enforcer sends it (a trace).
 * @param {{ strategy: Strategy, ownership: Ownership, objectClass: ClassName, objects: number, latencyMs: number | ((command: string, input: CommandInput) => number), onCommand?: (command: string, input: CommandInput) => void }} options
 */
const setUp = ({ strategy, ownership, objectClass, objects, latencyMs, onCommand }) => {
  const config = configFor(strategy);
  const { world, spec, keys, compliantCount: compliantAmong } = bucketOf({ ownership, objectClass, objects });
  const counter = new CallCounter();
  const s3 = simulatedClient(S3Client, {
    region: REGION,
    latencyMs,
    counter,
    respond: (command, input) => world.respond(command, input),
    ...(onCommand ? { onCommand } : {}),
    extra: { forcePathStyle: config.aws.forcePathStyle },
  });
  const { logger, metrics } = createTelemetry('enforce-object-encryption');
  const tally = tallyingRecorder(powertoolsRecorder(logger, metrics));
  const alerts = { published: 0, publish: async () => void (alerts.published += 1) };
  /** @type {InvocationDependencies} */
  const deps = {
    store: new S3ObjectStore(s3),
    requirementOf: (bucket, key) => requirementFor(config.policy, (reference) => (reference === REQUIRED_KEY_ARN ? REQUIRED_KEY_ARN : reference), bucket, key),
    mode: config.mode,
    copyLimitBytes: config.copyLimitBytes,
    strategy: config.policy.strategy,
    priorVersions: config.policy.priorVersions,
    // "auto" on Amazon S3 itself, where UpdateObjectEncryption is available.
    update: new UpdateCapability(config.updateObjectEncryptionAvailable),
    multipart: { partBytes: config.multipartPartBytes, concurrency: config.multipartConcurrency },
    clock: () => new Date(),
    onUpdateRefused: (ref, code, endpointWide) => tally.recorder.updateRefused(ref, code, endpointWide),
    alerts,
    recorder: tally.recorder,
    concurrency: config.objectConcurrency,
    functionName: 'enforce-object-encryption',
    now: () => Date.now(),
    remainingTimeMs: () => 900_000,
  };
  let nextId = 0;
  /**
   * @param {string[]} batchKeys
   * @param {string} [eventName]
   */
  const invoke = async (batchKeys, eventName = 'ObjectCreated:Put') => {
    const event = sqsEvent(batchKeys, eventName, spec.sizeBytes, nextId);
    nextId += batchKeys.length;
    const report = await enforceInvocation(event, deps);
    metrics.publishStoredMetrics();
    if (report.failedDeliveries.length > 0) throw new Error(`enforcement failed: ${report.failureReasons.slice(0, 3).join('; ')}`);
    return report;
  };
  const compliantCount = () => compliantAmong(keys);
  return { config, keys, counter, tally, invoke, compliantCount, alerts };
};

/**
 * Commands per object for one class, strategy and bucket: the first object of a cold store (which
 * looks up the bucket's Object Ownership once), then `objects` more, then each copy's own
 * ObjectCreated:Copy event (update in place fires none).
 * @param {{ strategy: Strategy, ownership: Ownership, objectClass: ClassName, objects: number }} options
 */
const callsFor = async ({ strategy, ownership, objectClass, objects }) => {
  const run = setUp({ strategy, ownership, objectClass, objects: objects + 1, latencyMs: 0 });
  await run.invoke(run.keys.slice(0, 1));
  const first = run.counter.snapshot();
  run.counter.reset();
  run.tally.outcomes.clear();
  await run.invoke(run.keys.slice(1));
  const steady = run.counter.snapshot();
  const outcomes = Object.fromEntries(run.tally.outcomes);
  const copied = run.tally.outcomes.get('remediated:copy-in-place') ?? 0;
  const multipart = run.tally.outcomes.get('remediated:multipart-copy') ?? 0;
  run.counter.reset();
  run.tally.outcomes.clear();
  let ownEvent;
  if (copied + multipart > 0) {
    const eventName = multipart > 0 ? 'ObjectCreated:CompleteMultipartUpload' : 'ObjectCreated:Copy';
    await run.invoke(run.keys.slice(1), eventName);
    ownEvent = { calls: run.counter.snapshot(), outcomes: Object.fromEntries(run.tally.outcomes) };
  }
  return {
    strategy,
    ownership,
    objectClass,
    label: CLASSES[objectClass].label,
    sizeBytes: CLASSES[objectClass].sizeBytes,
    objects,
    first,
    steady,
    outcomes,
    ownEvent,
    compliantAfter: run.compliantCount(),
    totalObjects: objects + 1,
    alerts: run.alerts.published,
    partBytes: run.config.multipartPartBytes,
  };
};

/** @typedef {Awaited<ReturnType<typeof callsFor>>} CallsRow */

/** @param {{ objects?: number }} options */
const calls = async ({ objects = 10 }) => {
  /** @type {CallsRow[]} */
  const rows = [];
  for (const strategy of /** @type {const} */ (['auto', 'copy'])) {
    for (const ownership of /** @type {const} */ (['BucketOwnerEnforced', 'ObjectWriter'])) {
      for (const objectClass of /** @type {ClassName[]} */ (Object.keys(CLASSES))) rows.push(await callsFor({ strategy, ownership, objectClass, objects }));
    }
  }
  return { rows };
};

/**
 * Objects per second through enforceInvocation with every S3 call taking a simulated latency:
 * `latencyMs` for every call, or, with `latency: { meanMs, spreadMs, seed }`, a whole number of
 * milliseconds drawn per call uniformly from [mean - spread, mean + spread] from a sequence of the
 * object's own (keyedLatency: the n-th call for an object waits the same whoever sends it). One
 * invocation of `objects` messages, or invocations of `batch` messages one after another. A warm
 * execution environment: `warmup` other objects are handled first, untimed, uncounted and without
 * latency. Each call's latency is recorded against the object it was for (the command's `Key`):
 * `objectLatencyMs` is each measured object's total, in the order the objects were sent.
 * @param {{ strategy: Strategy, ownership: Ownership, objectClass: ClassName, objects: number, batch?: number, latencyMs?: number, latency?: LatencyModel, warmup?: number }} options
 */
const throughput = async ({ strategy, ownership, objectClass, objects, batch, latencyMs, latency, warmup = 64 }) => {
  const model = latency ? keyedLatency(latency) : () => /** @type {number} */ (latencyMs);
  /** @type {Map<string, number>} */
  const latencyByKey = new Map();
  let unattributedLatencyMs = 0;
  let warming = warmup > 0;
  /**
   * @param {string} command
   * @param {CommandInput} input
   */
  const recordedLatency = (command, input) => {
    if (warming) return 0;
    const key = typeof input?.Key === 'string' ? input.Key : undefined;
    const ms = model(key ?? '');
    if (key !== undefined) latencyByKey.set(key, (latencyByKey.get(key) ?? 0) + ms);
    else unattributedLatencyMs += ms;
    return ms;
  };
  const run = setUp({ strategy, ownership, objectClass, objects: warmup + objects, latencyMs: recordedLatency });
  const size = batch ?? objects;
  if (warmup > 0) await run.invoke(run.keys.slice(0, warmup));
  warming = false;
  const measured = run.keys.slice(warmup);
  run.counter.reset();
  run.tally.outcomes.clear();
  const started = performance.now();
  for (let index = 0; index < measured.length; index += size) await run.invoke(measured.slice(index, index + size));
  const elapsedMs = performance.now() - started;
  return {
    strategy,
    ownership,
    objectClass,
    label: CLASSES[objectClass].label,
    objects,
    batch: size,
    latencyMs,
    latency,
    concurrency: run.config.objectConcurrency,
    elapsedMs,
    calls: run.counter.total,
    byCommand: run.counter.snapshot(),
    objectLatencyMs: measured.map((key) => latencyByKey.get(key) ?? 0),
    unattributedLatencyMs,
    outcomes: Object.fromEntries(run.tally.outcomes),
    compliantAfter: run.compliantCount() - warmup,
    warmup,
  };
};

/**
 * The commands the enforcer sends for a case, recorded per object into `traceFile`: the same objects,
 * warm-up and events as a throughput run of the case, without latency (the commands do not depend on it).
 * @param {{ strategy: Strategy, ownership: Ownership, objectClass: ClassName, objects: number, batch?: number, warmup?: number, traceFile: string }} options
 */
const trace = async ({ strategy, ownership, objectClass, objects, batch, warmup = 64, traceFile }) => {
  const recorded = newTrace();
  const run = setUp({ strategy, ownership, objectClass, objects: warmup + objects, latencyMs: 0, onCommand: recordInto(recorded) });
  const size = batch ?? objects;
  if (warmup > 0) await run.invoke(run.keys.slice(0, warmup));
  const measured = run.keys.slice(warmup);
  run.counter.reset();
  for (let index = 0; index < measured.length; index += size) await run.invoke(measured.slice(index, index + size));
  writeTrace(traceFile, recorded);
  return { objects, warmup, batch: size, byCommand: run.counter.snapshot(), unkeyed: recorded.unkeyed.length, compliantAfter: run.compliantCount() - warmup };
};

/** @typedef {Awaited<ReturnType<typeof throughput>>} ThroughputRun */

/**
 * Sends `call(key)` for every key, `concurrency` at a time, each worker taking the next key as it finishes one.
 * @param {string[]} keys
 * @param {number} concurrency
 * @param {(key: string) => Promise<unknown>} call
 */
const pool = async (keys, concurrency, call) => {
  let next = 0;
  const worker = async () => {
    while (next < keys.length) await call(/** @type {string} */ (keys[next++]));
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
};

/**
 * The floor under the figures above: CPU time per command of the SDK client and the simulated S3
 * alone (no enforcer, no latency), `concurrency` commands in flight, after a warm-up.
 * @param {{ calls?: number, concurrency?: number, warmup?: number }} options
 */
const sdkFloor = async ({ calls: count = 1000, concurrency = 8, warmup = 200 }) => {
  const world = new SimulatedObjects();
  world.addBucket(BUCKET, 'BucketOwnerEnforced');
  const keys = Array.from({ length: count + warmup }, (_, index) => `floor/${index}`);
  for (const key of keys) world.putObject(BUCKET, key, CLASSES.unencrypted);
  const s3 = simulatedClient(S3Client, { region: REGION, latencyMs: 0, respond: (command, input) => world.respond(command, input) });
  /** @param {(key: string) => Promise<unknown>} work */
  const timed = async (work) => {
    const started = performance.now();
    await pool(keys, concurrency, work);
    return (performance.now() - started) / keys.length;
  };
  const head = (/** @type {string} */ key) => s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
  const copy = (/** @type {string} */ key) => {
    const { eTag } = /** @type {import('../lib/simulated-object-store.mjs').StoredObject} */ (world.objectOf(BUCKET, key));
    return s3.send(
      new CopyObjectCommand({ Bucket: BUCKET, Key: key, CopySource: `${BUCKET}/${key}`, CopySourceIfMatch: eTag, IfMatch: eTag, MetadataDirective: 'COPY', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: REQUIRED_KEY_ARN }),
    );
  };
  await timed(head);
  const headMs = await timed(head);
  const copyMs = await timed(copy);
  // The simulated S3's own share: building HeadObject answers and the streams that carry them.
  const answerMs = await timed(async (key) => {
    const { body } = world.respond('HeadObjectCommand', { Bucket: BUCKET, Key: key });
    for await (const chunk of Readable.from([Buffer.from(body)])) void chunk;
  });
  return { headMs, copyMs, answerMs, concurrency, calls: keys.length };
};

/**
 * The objects of a ceiling run, each with the commands the traced enforcer sent for it, and its latencies:
 * none until `start()` (the warm-up), then the case's keyed model, each draw recorded against its object.
 * @param {{ strategy: Strategy, objects: number, warmup: number, latency: LatencyModel, traceFile: string }} options
 */
const ceilingRun = ({ strategy, objects, warmup, latency, traceFile }) => {
  const traced = readTrace(traceFile);
  const keys = Array.from({ length: warmup + objects }, (_, index) => objectKey(index));
  /** @param {string} key */
  const callsOf = (key) => {
    const calls = traced.byKey.get(key);
    if (!calls) throw new Error(`ceiling: the trace has no commands for ${key}`);
    return calls;
  };
  const model = keyedLatency(latency);
  /** @type {Map<string, number>} */
  const byKey = new Map();
  let started = false;
  return {
    traced,
    callsOf,
    warmupKeys: keys.slice(0, warmup),
    measured: keys.slice(warmup),
    concurrency: configFor(strategy).objectConcurrency,
    start: () => (started = true),
    /** @param {string} key */
    draw: (key) => {
      if (!started) return 0;
      const ms = model(key);
      byKey.set(key, (byKey.get(key) ?? 0) + ms);
      return ms;
    },
    /** @param {string} key */
    latencyOf: (key) => byKey.get(key) ?? 0,
  };
};

/**
 * Runs `handle(key)` over the measured objects in events of `batch`, `concurrency` at a time, as the
 * throughput run sends them, and times it.
 * @param {string[]} measured
 * @param {number} batch
 * @param {number} concurrency
 * @param {(key: string) => Promise<unknown>} handle
 */
const timedInEvents = async (measured, batch, concurrency, handle) => {
  const started = performance.now();
  for (let index = 0; index < measured.length; index += batch) await pool(measured.slice(index, index + batch), concurrency, handle);
  return performance.now() - started;
};

/**
 * The SDK's own ceiling for a case: no enforcer at all, only the same SDK client (same settings and
 * tuning) sending again, object by object, the very commands the traced enforcer sent for the case
 * (same inputs, same order per object), to a fresh copy of the same simulated bucket, with the same
 * concurrency, events and warm-up, and the same latency per call (the keyed model: each object waits
 * exactly what it waited in the throughput run of the same seed) — the rate any code making those
 * calls with the SDK reaches here. Commands that name no object (ownership controls, looked up once
 * per bucket) are sent before the warm-up, as the enforcer sends them during it.
 * @param {{ strategy: Strategy, ownership: Ownership, objectClass: ClassName, objects: number, batch?: number, warmup?: number, latency: LatencyModel, traceFile: string }} options
 */
const sdkCeiling = async ({ strategy, ownership, objectClass, objects, batch, warmup = 64, latency, traceFile }) => {
  const run = ceilingRun({ strategy, objects, warmup, latency, traceFile });
  const { world, compliantCount } = bucketOf({ ownership, objectClass, objects: warmup + objects });
  const counter = new CallCounter();
  const s3 = simulatedClient(S3Client, {
    region: REGION,
    latencyMs: (_command, input) => run.draw(typeof input.Key === 'string' ? input.Key : ''),
    counter,
    respond: (command, input) => world.respond(command, input),
    extra: { forcePathStyle: configFor(strategy).aws.forcePathStyle },
  });
  await sendAgain(s3, S3_COMMANDS, run.traced.unkeyed);
  await pool(run.warmupKeys, run.concurrency, (key) => sendAgain(s3, S3_COMMANDS, run.callsOf(key)));
  counter.reset();
  let refused = 0;
  run.start();
  const size = batch ?? objects;
  const elapsedMs = await timedInEvents(run.measured, size, run.concurrency, async (key) => (refused += await sendAgain(s3, S3_COMMANDS, run.callsOf(key))));
  return {
    objects,
    batch: size,
    concurrency: run.concurrency,
    elapsedMs,
    objectLatencyMs: run.measured.map(run.latencyOf),
    byCommand: counter.snapshot(),
    refused,
    compliantAfter: compliantCount(run.measured),
  };
};

/** What a ceiling run writes: the same figures for the SDK's ceiling and the simulation's. @typedef {Awaited<ReturnType<typeof sdkCeiling>>} CeilingRun */

/**
 * The ceiling of the simulation itself: no SDK and no enforcer, each object only the waits the
 * simulated S3 would make its traced calls wait, one after another (the same keyed model,
 * concurrency, events and pool; the measured objects only, no warm-up). What it misses of the bound
 * is what Node's timers add to each wait on this machine.
 * @param {{ strategy: Strategy, objects: number, batch?: number, warmup?: number, latency: LatencyModel, traceFile: string }} options
 * @returns {Promise<CeilingRun>}
 */
const timerCeiling = async ({ strategy, objects, batch, warmup = 64, latency, traceFile }) => {
  const run = ceilingRun({ strategy, objects, warmup, latency, traceFile });
  run.start();
  const size = batch ?? objects;
  /** @type {Map<string, number>} */
  const byCommand = new Map();
  const elapsedMs = await timedInEvents(run.measured, size, run.concurrency, async (key) => {
    for (const [command] of run.callsOf(key)) {
      byCommand.set(command, (byCommand.get(command) ?? 0) + 1);
      await sleep(run.draw(key));
    }
  });
  return {
    objects,
    batch: size,
    concurrency: run.concurrency,
    elapsedMs,
    objectLatencyMs: run.measured.map(run.latencyOf),
    byCommand: Object.fromEntries([...byCommand].sort(([a], [b]) => (a < b ? -1 : 1))),
    refused: 0,
    compliantAfter: objects,
  };
};

const tasks = { calls, throughput, trace, 'sdk-ceiling': sdkCeiling, 'timer-ceiling': timerCeiling, 'sdk-floor': sdkFloor };
/**
 * What the bench asks of this entry (bench/lib/enforce-runner.mjs): each task's options, and the figures it writes.
 * @typedef {typeof tasks} EnforceTasks
 */

const [resultFile, task = '', options = '{}'] = process.argv.slice(2);
if (!resultFile || !Object.hasOwn(tasks, task)) throw new Error('usage: enforce-figures.mjs <result.json> calls|throughput|trace|sdk-ceiling|timer-ceiling|sdk-floor [options]');
writeFileSync(resultFile, JSON.stringify(await tasks[/** @type {keyof EnforceTasks} */ (task)](JSON.parse(options))));
