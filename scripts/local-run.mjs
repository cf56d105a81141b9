// npm start: the main job on this machine, nothing deployed.
//
// moto's server stands in for S3, KMS, SNS, SQS and EventBridge. A sample estate is provisioned
// (buckets with different default encryption and policies, keys with and without rotation, objects
// of every encryption class moto can hold, with metadata, tags and awkward keys). Object-created
// events take both paths the deployment supports: the recommended one, EventBridge notifications
// on the bucket and the deployment's rule on the default bus sending to an SQS queue, and an S3
// event notification straight to an SQS queue. The REAL built enforce bundle consumes both queues
// the way Lambda's event source mapping does; then the REAL built audit bundle runs and its on-call
// summary is read back from a queue subscribed to the findings topic. Prints every object before
// and after, with the path its event took, and the summary; exits 1 if an object that should be
// under the required key is not (or lost a byte, a header or a tag), naming it, 2 if it cannot run
// here, 130 on Ctrl-C. Stops everything it started, also on Ctrl-C.
//
//   npm start                      (node scripts/local-run.mjs; builds the bundles first when stale)
//   npm start -- --verbose         also prints every log line of the two functions
//   npm start -- --organization    an organization instead: members with their own enforcers, one
//                                  locked out, and the organization audit's state machine
//                                  (scripts/local-run/organization/run-organization.mjs)
import { performance } from 'node:perf_hooks';
import { motoUnavailableReason, startMotoServer } from '../tooling/moto-server.mjs';
import { BATCH_SIZE, consumeQueue, drainQueue } from '../tooling/sqs-event-source.mjs';
import { EVENT_PATHS, MAX_RECEIVE_COUNT, RULE_NAME, createObjectCreatedRule, createQueuesAndTopic, wireBucket } from './local-run/event-wiring.mjs';
import { ENFORCE_BUNDLE_NAME, configureFunctions, ensureBundles, loadEnforce, runAudit } from './local-run/functions.mjs';
import { REGION, clientsFor } from './local-run/local-aws.mjs';
import { problemsOf, snapshot } from './local-run/object-checks.mjs';
import { encryptionText, eventsHandled, outcomeText, printOnCall, say, table } from './local-run/report.mjs';
import { BUCKETS, KEYS, OBJECTS, POLICY, applyTlsOnlyPolicies, createBuckets, createKeys, uploadObjects } from './local-run/sample-estate.mjs';
import { interruption, onStop, stopEverything, stopOnSignals } from './local-run/shutdown.mjs';

/** @import { EventPath } from './local-run/event-wiring.mjs' */
/** @import { ObjectState } from './local-run/object-checks.mjs' */
/** @import { SampleObject } from './local-run/sample-estate.mjs' */

// Read when the clients are created, which is after every import.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

/** How long each queue may take to fall quiet. */
const QUEUE_LIMIT_MS = 180_000;

stopOnSignals();

/**
 * @param {SampleObject} object
 * @returns {EventPath}
 */
const pathOf = (object) => {
  const bucket = BUCKETS.find((candidate) => candidate.name === object.bucket);
  if (!bucket) throw new Error(`${object.bucket} is not a bucket of the sample estate`);
  return bucket.events;
};

const main = async () => {
  const missing = motoUnavailableReason();
  if (missing) {
    process.stderr.write(`npm start needs moto's server, a local S3/KMS/SNS/SQS/EventBridge endpoint, and cannot start it:\n  ${missing}\n`);
    return 2;
  }
  ensureBundles();

  const startedAt = Date.now();
  const moto = await startMotoServer();
  onStop(moto.stop);
  const { endpoint } = moto;
  const clients = clientsFor(endpoint);
  onStop(async () => Object.values(clients).forEach((client) => client.destroy()));
  const { s3, sqs } = clients;

  say(`S3 encryption enforcer, locally: moto at ${endpoint}, nothing deployed.\n`);
  const keys = await createKeys(clients.kms);
  const wiring = await createQueuesAndTopic(clients);
  await createBuckets(s3, keys);
  const eventBridgeBuckets = BUCKETS.filter((bucket) => bucket.events === 'eventBridge').map((bucket) => bucket.name);
  const pattern = await createObjectCreatedRule(clients.events, eventBridgeBuckets, wiring.enforcerQueues.eventBridge);
  for (const bucket of BUCKETS) await wireBucket(s3, bucket, wiring.enforcerQueues);
  await uploadObjects(s3, keys);

  say('Estate');
  say(table(['BUCKET', 'SET UP', 'EVENTS'], BUCKETS.map((bucket) => [bucket.name, bucket.what, EVENT_PATHS[bucket.events].label])));
  say(`KMS keys: ${Object.values(KEYS).map((key) => `${key.alias} (rotation ${key.rotation ? 'on, 365 days' : 'off'})`).join(', ')}`);
  say(`${EVENT_PATHS.eventBridge.label}: EventBridge notifications on; rule ${RULE_NAME} on the default bus, pattern ${JSON.stringify(pattern)}, to SQS ${wiring.enforcerQueues.eventBridge.name}.`);
  say(`${EVENT_PATHS.notification.label}: s3:ObjectCreated:* to SQS ${wiring.enforcerQueues.notification.name}.`);
  say(`Both queues dead-letter to ${wiring.deadLetters.name} after ${MAX_RECEIVE_COUNT} receives.`);
  say(`POLICY: ${JSON.stringify(POLICY)}\n`);

  /** @type {Map<SampleObject, ObjectState>} */
  const before = new Map();
  for (const object of OBJECTS) before.set(object, await snapshot(s3, object));

  configureFunctions({ endpoint, topicArn: wiring.topicArn, enforcerQueueArn: wiring.enforcerQueues.notification.arn });
  const enforce = await loadEnforce();
  /** @type {Partial<Record<EventPath, Record<string, unknown>[]>>} */
  const logsByPath = {};
  say(`Enforcement by ${ENFORCE_BUNDLE_NAME}, consuming each queue as Lambda's event source mapping does:`);
  for (const path of /** @type {EventPath[]} */ (Object.keys(wiring.enforcerQueues))) {
    const queue = wiring.enforcerQueues[path];
    const logsBefore = enforce.logs.length;
    const stats = await consumeQueue({ sqs, queue, region: REGION, invoke: enforce.invoke, deadline: performance.now() + QUEUE_LIMIT_MS });
    if (stats.timedOut) throw new Error(`the queue ${queue.name} was not quiet after ${QUEUE_LIMIT_MS / 1000} s`);
    const logs = enforce.logs.slice(logsBefore);
    logsByPath[path] = logs;
    say(`  ${EVENT_PATHS[path].label} (${queue.name}): ${stats.messages} messages in ${stats.batches} batch(es) of up to ${BATCH_SIZE}; ${stats.failedItems} delivery failure(s) retried.`);
    say(`    Notices handled: ${eventsHandled(logs)}.`);
  }
  const deadLettered = await drainQueue(sqs, wiring.deadLetters.url);
  say(`  ${deadLettered.length} dead-lettered.`);
  say('  (Each copy fires its own ObjectCreated event; the function finds that object compliant and writes nothing.)\n');

  const rows = [];
  const notFixed = [];
  for (const object of OBJECTS) {
    const was = /** @type {ObjectState} */ (before.get(object));
    const now = await snapshot(s3, object);
    const found = problemsOf(object, was, now, keys);
    const path = EVENT_PATHS[pathOf(object)].label;
    if (found.length > 0) notFixed.push(`s3://${object.bucket}/${object.key} (${path}): ${found.join(', ')}`);
    rows.push([
      object.bucket,
      object.key,
      path,
      encryptionText(was, keys),
      encryptionText(now, keys),
      outcomeText(object, logsByPath[pathOf(object)] ?? []),
      found.length === 0 ? 'ok' : `NOT OK: ${found.join(', ')}`,
    ]);
  }
  say(table(['BUCKET', 'KEY', 'PATH', 'BEFORE', 'AFTER', 'OUTCOME', 'CHECK'], rows));
  say('(CHECK: under the required key, or untouched when exempt; bytes, content type, cache control, metadata and tags unchanged.)\n');

  await applyTlsOnlyPolicies(s3);
  const outcome = await runAudit();
  say(
    `Audit: ${outcome.buckets} buckets, ${outcome.keys} keys; ${outcome.findings.failed + outcome.findings.error} failing, ${outcome.findings.passed} passed; ` +
      `${outcome.notifications} notification(s) published; report ${outcome.report ?? `not written (${outcome.reportError})`}.\n`,
  );
  printOnCall(await drainQueue(sqs, wiring.onCall.url));

  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  say('');
  if (notFixed.length > 0 || deadLettered.length > 0) {
    say(`FAILED: ${notFixed.length} object(s) not as they should be, ${deadLettered.length} message(s) dead-lettered (${seconds} s).`);
    for (const line of notFixed) say(`  ${line}`);
    return 1;
  }
  say(`OK: every object is under the required key (the exempt one untouched), with bytes, headers, metadata and tags intact (${seconds} s).`);
  return 0;
};

let code;
try {
  code = process.argv.includes('--organization') ? await (await import('./local-run/organization/run-organization.mjs')).runOrganization() : await main();
} catch (error) {
  if (interruption() === undefined) process.stderr.write(`npm start: ${(error instanceof Error && error.stack) || error}\n`);
  code = 1;
} finally {
  await stopEverything();
}
process.exit(interruption() ?? code);
