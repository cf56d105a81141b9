import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetBucketOwnershipControlsCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UpdateObjectEncryptionCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeS3Key } from '../../../shared/core/decode-s3-key.js';
import { kmsError, networkError, s3Error } from '../../fixtures/aws-errors.js';
import { s3Notification, s3Record, sqsEvent, sqsMessage } from '../../fixtures/events.js';
import { markdownTable, publishReliabilitySection } from '../../fixtures/reliability-report.js';
import { KEY_ARN, captureOutput, lambdaContext, loadHandler, type Captured, type EnforceHandler, type LogLine } from '../../fixtures/enforce-handler-harness.js';

/**
 * Every AWS call the enforce function makes × every fault worth expecting × every trigger, through
 * the real handler. aws-sdk-client-mock replaces the SDK's `send`, so the SDK's own retries never
 * run here: "retried" means the record is handed back (SQS batchItemFailures, a thrown error, a
 * TemporaryFailure) and its redelivery, with the fault gone, succeeds.
 * The suite writes its table as a reliability section (test/fixtures/reliability-report.ts) when it
 * has run every cell.
 */

const s3 = mockClient(S3Client);
const kms = mockClient(KMSClient);
const sns = mockClient(SNSClient);

const BUCKET = 'photos-bucket';
const TARGET_KEY = 'reports/Q3 résumé + notes.txt';
const BYSTANDER_KEY = 'already/compliant.txt';
const MIB = 1024 ** 2;

const CALLS = [
  'HeadObject',
  'CopyObject',
  'UpdateObjectEncryption',
  'CreateMultipartUpload',
  'UploadPartCopy',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
  'GetBucketOwnershipControls',
  'GetObjectAcl',
  'GetObjectTagging',
  'DeleteObject',
  'DescribeKey',
  'Publish',
] as const;
type Call = (typeof CALLS)[number];

const serviceOf = (call: Call): 's3' | 'kms' | 'sns' => (call === 'DescribeKey' ? 'kms' : call === 'Publish' ? 'sns' : 's3');

const snsError = (name: string, httpStatusCode: number): SNSServiceException =>
  new SNSServiceException({ name, message: name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode } });

const timeoutError = (): Error => Object.assign(new Error('Connection timed out after 3000 ms'), { name: 'TimeoutError' });

interface Fault {
  readonly id: string;
  readonly label: string;
  /** The error each service answers with, as the SDK throws it. */
  readonly s3: () => Error;
  readonly kms: () => Error;
  readonly sns: () => Error;
}

const FAULTS: readonly Fault[] = [
  { id: 'throttling', label: 'throttling', s3: () => s3Error('SlowDown', 503), kms: () => kmsError('ThrottlingException'), sns: () => snsError('ThrottledException', 429) },
  { id: 'server-error', label: '500', s3: () => s3Error('InternalError', 500), kms: () => kmsError('KMSInternalException', 500), sns: () => snsError('InternalErrorException', 500) },
  { id: 'access-denied', label: 'AccessDenied', s3: () => s3Error('AccessDenied', 403), kms: () => kmsError('AccessDeniedException'), sns: () => snsError('AuthorizationErrorException', 403) },
  { id: 'not-found', label: 'NoSuchKey / 404', s3: () => s3Error('NoSuchKey', 404), kms: () => kmsError('NotFoundException'), sns: () => snsError('NotFoundException', 404) },
  { id: 'precondition-failed', label: '412', s3: () => s3Error('PreconditionFailed', 412), kms: () => kmsError('PreconditionFailed', 412), sns: () => snsError('PreconditionFailed', 412) },
  { id: 'kms-disabled', label: 'KMS Disabled', s3: () => s3Error('KMS.DisabledException', 400), kms: () => kmsError('DisabledException'), sns: () => snsError('KMSDisabledException', 400) },
  { id: 'kms-invalid-state', label: 'KMS InvalidState', s3: () => s3Error('KMS.KMSInvalidStateException', 400), kms: () => kmsError('KMSInvalidStateException'), sns: () => snsError('KMSInvalidStateException', 400) },
  { id: 'kms-not-found', label: 'KMS NotFound', s3: () => s3Error('KMS.NotFoundException', 400), kms: () => kmsError('NotFoundException'), sns: () => snsError('KMSNotFoundException', 400) },
  { id: 'timeout', label: 'timeout', s3: timeoutError, kms: timeoutError, sns: timeoutError },
  { id: 'econnreset', label: 'ECONNRESET', s3: () => networkError('ECONNRESET'), kms: () => networkError('ECONNRESET'), sns: () => networkError('ECONNRESET') },
];

const TRIGGERS = ['sqs', 'direct', 'batch-operations'] as const;
type Trigger = (typeof TRIGGERS)[number];

/**
 * What is right for each cell.
 * - retry: handed back for redelivery (TemporaryFailure), and the redelivery succeeds;
 * - fail: handed back and alerted (PermanentFailure for Batch Operations): someone must act;
 * - gone / superseded: acknowledged, no write, no alert (404 on the object; 412 on a guarded write);
 * - ssec: a HEAD answer has no body, so a 400 to HeadObject reads as "SSE-C": acknowledged and alerted;
 * - residual: remediated; the prior version that could not be deleted is alerted;
 * - cold-start: DescribeKey runs before any event is read: the invocation fails as a whole, then succeeds;
 * - not-called: Batch Operations tasks send no SNS alert (the completion report carries them).
 */
type Expected = 'retry' | 'fail' | 'gone' | 'superseded' | 'ssec' | 'residual' | 'cold-start' | 'not-called';

const TRANSIENT = new Set(['throttling', 'server-error', 'timeout', 'econnreset']);
const KMS_FAULTS = new Set(['kms-disabled', 'kms-invalid-state', 'kms-not-found']);
/** Calls about the object itself: a 404 means it was deleted meanwhile. */
const ABOUT_THE_OBJECT = new Set<Call>(['HeadObject', 'CopyObject', 'UpdateObjectEncryption', 'CreateMultipartUpload', 'UploadPartCopy', 'CompleteMultipartUpload', 'GetObjectAcl', 'GetObjectTagging']);
/** The writes of a copy: S3 answers 412 to the guarded ones (CopySourceIfMatch / IfMatch) when the object changed. */
const COPY_WRITES = new Set<Call>(['CopyObject', 'CreateMultipartUpload', 'UploadPartCopy', 'CompleteMultipartUpload']);

const expectedFor = (call: Call, fault: Fault, trigger: Trigger): Expected => {
  if (call === 'Publish') return trigger === 'batch-operations' ? 'not-called' : 'retry';
  if (call === 'DescribeKey') return 'cold-start';
  if (call === 'DeleteObject') return 'residual';
  if (TRANSIENT.has(fault.id)) return 'retry';
  // The upload is already gone: the failure that led to the abort (a 500 here) decides.
  if (call === 'AbortMultipartUpload' && fault.id === 'not-found') return 'retry';
  if (fault.id === 'not-found' && ABOUT_THE_OBJECT.has(call)) return 'gone';
  if (fault.id === 'precondition-failed' && COPY_WRITES.has(call)) return 'superseded';
  if (call === 'HeadObject' && KMS_FAULTS.has(fault.id)) return 'ssec';
  return 'fail';
};

/** The situation that makes the function reach each call. */
type Scenario = 'copy-with-acl' | 'update-in-place' | 'multipart' | 'prior-version-delete' | 'sse-c-alert';
const SCENARIO: Readonly<Record<Call, Scenario>> = {
  HeadObject: 'copy-with-acl',
  CopyObject: 'copy-with-acl',
  UpdateObjectEncryption: 'update-in-place',
  CreateMultipartUpload: 'multipart',
  UploadPartCopy: 'multipart',
  CompleteMultipartUpload: 'multipart',
  AbortMultipartUpload: 'multipart',
  GetBucketOwnershipControls: 'copy-with-acl',
  GetObjectAcl: 'copy-with-acl',
  GetObjectTagging: 'multipart',
  DeleteObject: 'prior-version-delete',
  DescribeKey: 'copy-with-acl',
  Publish: 'sse-c-alert',
};

const SCENARIO_ENV: Readonly<Record<Scenario, Record<string, string>>> = {
  'copy-with-acl': {},
  'update-in-place': {},
  multipart: { COPY_LIMIT_BYTES: String(6 * MIB), MULTIPART_PART_BYTES: String(5 * MIB) },
  'prior-version-delete': { POLICY: JSON.stringify({ priorVersions: 'delete' }) },
  'sse-c-alert': {},
};

interface JournalEntry {
  readonly call: Call;
  readonly input: Record<string, unknown>;
  readonly failed: boolean;
  /** For a failed call: the error code it was answered with. */
  readonly code?: string;
  readonly output?: Record<string, unknown>;
}

/** Installs answers for one cell: every call succeeds, except `faulted`, which fails once and then succeeds. */
const installWorld = (scenario: Scenario, faulted: Call, fault: Fault): { journal: JournalEntry[] } => {
  const journal: JournalEntry[] = [];
  let faultSpent = false;
  let primarySpent = false;
  let uploads = 0;
  const answer =
    <O extends Record<string, unknown>>(call: Call, ok: (input: Record<string, unknown>) => O) =>
    async (input: Record<string, unknown>): Promise<O> => {
      if (call === faulted && !faultSpent) {
        faultSpent = true;
        // The 404 S3 sends to an abort is about the upload, not the object: it no longer exists.
        if (call === 'AbortMultipartUpload' && fault.id === 'not-found') {
          journal.push({ call, input, failed: true, code: 'NoSuchUpload' });
          throw s3Error('NoSuchUpload', 404);
        }
        journal.push({ call, input, failed: true });
        // Likewise a bucket-level call: its 404 says the bucket is gone.
        if (call === 'GetBucketOwnershipControls' && fault.id === 'not-found') throw s3Error('NoSuchBucket', 404);
        throw fault[serviceOf(call)]();
      }
      // To reach AbortMultipartUpload, a part copy must fail first (once, with a 500).
      if (faulted === 'AbortMultipartUpload' && call === 'UploadPartCopy' && !primarySpent) {
        primarySpent = true;
        journal.push({ call, input, failed: true });
        throw s3Error('InternalError', 500);
      }
      const output = ok(input);
      journal.push({ call, input, failed: false, output });
      return output;
    };

  kms.on(DescribeKeyCommand).callsFake(answer('DescribeKey', () => ({ KeyMetadata: { KeyId: 'k', Arn: KEY_ARN, KeyState: 'Enabled', KeyManager: 'CUSTOMER' } })));
  sns.on(PublishCommand).callsFake(answer('Publish', () => ({ MessageId: 'published' })));
  // Any other key does not exist, as on S3: a task's key as sent (URL-encoded) names no object.
  s3.on(HeadObjectCommand).rejects(s3Error('NotFound', 404));
  s3.on(HeadObjectCommand, { Key: BYSTANDER_KEY }).resolves({ ETag: '"b"', ContentLength: 5, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY_ARN, BucketKeyEnabled: true });

  const remediated = { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: KEY_ARN, BucketKeyEnabled: true };
  const head = (fields: Record<string, unknown>) => s3.on(HeadObjectCommand, { Key: TARGET_KEY }).callsFake(answer('HeadObject', () => ({ ETag: '"e1"', ContentLength: 2048, ...fields })));
  const ownership = (rule: 'ObjectWriter' | 'BucketOwnerEnforced') =>
    s3.on(GetBucketOwnershipControlsCommand).callsFake(answer('GetBucketOwnershipControls', () => ({ OwnershipControls: { Rules: [{ ObjectOwnership: rule }] } })));

  switch (scenario) {
    case 'copy-with-acl':
      head({});
      ownership('ObjectWriter');
      s3.on(GetObjectAclCommand).callsFake(
        answer('GetObjectAcl', () => ({
          Owner: { ID: 'owner-id' },
          Grants: [
            { Grantee: { Type: 'CanonicalUser', ID: 'owner-id' }, Permission: 'FULL_CONTROL' },
            { Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AllUsers' }, Permission: 'READ' },
          ],
        })),
      );
      s3.on(CopyObjectCommand).callsFake(answer('CopyObject', () => ({ ...remediated })));
      break;
    case 'update-in-place':
      head({ ServerSideEncryption: 'AES256', VersionId: 'v1' });
      ownership('BucketOwnerEnforced');
      s3.on(UpdateObjectEncryptionCommand).callsFake(answer('UpdateObjectEncryption', () => ({})));
      break;
    case 'multipart':
      head({ ContentLength: 12 * MIB, ETag: '"e-mp"', TagCount: 2 });
      ownership('BucketOwnerEnforced');
      s3.on(GetObjectTaggingCommand).callsFake(answer('GetObjectTagging', () => ({ TagSet: [{ Key: 'team', Value: 'data' }, { Key: 'class', Value: 'c' }] })));
      s3.on(CreateMultipartUploadCommand).callsFake(answer('CreateMultipartUpload', () => ({ UploadId: `upload-${(uploads += 1)}` })));
      s3.on(UploadPartCopyCommand).callsFake(answer('UploadPartCopy', (input) => ({ CopyPartResult: { ETag: `"part-${String(input['PartNumber'])}"` } })));
      s3.on(CompleteMultipartUploadCommand).callsFake(answer('CompleteMultipartUpload', () => ({ ...remediated })));
      s3.on(AbortMultipartUploadCommand).callsFake(answer('AbortMultipartUpload', () => ({})));
      break;
    case 'prior-version-delete':
      head({ VersionId: 'v1' });
      ownership('BucketOwnerEnforced');
      s3.on(CopyObjectCommand).callsFake(answer('CopyObject', () => ({ ...remediated, VersionId: 'v2' })));
      s3.on(DeleteObjectCommand).callsFake(answer('DeleteObject', () => ({})));
      break;
    case 'sse-c-alert':
      // S3 will not describe an SSE-C object without its key: a bare 400, every time.
      s3.on(HeadObjectCommand, { Key: TARGET_KEY }).rejects(s3Error('BadRequest', 400));
      break;
  }
  return { journal };
};

const eventFor = (trigger: Trigger): unknown => {
  const target = encodeS3Key(TARGET_KEY);
  switch (trigger) {
    case 'sqs':
      return sqsEvent(
        sqsMessage('m-target', s3Notification(s3Record({ bucket: BUCKET, key: target }))),
        sqsMessage('m-bystander', s3Notification(s3Record({ bucket: BUCKET, key: BYSTANDER_KEY }))),
      );
    case 'direct':
      return s3Notification(s3Record({ bucket: BUCKET, key: target }));
    case 'batch-operations':
      return {
        invocationSchemaVersion: '2.0',
        invocationId: 'inv-1',
        job: { id: 'job-1', userArguments: {} },
        tasks: [
          { taskId: 't-target', s3Key: target, s3VersionId: null, s3Bucket: BUCKET },
          { taskId: 't-bystander', s3Key: BYSTANDER_KEY, s3VersionId: null, s3Bucket: BUCKET },
        ],
      };
  }
};

/** How the function answered for the target record, in the terms of its trigger. */
type Answer = 'acknowledged' | 'handed-back' | 'invocation-failed' | 'Succeeded' | 'TemporaryFailure' | 'PermanentFailure';

interface Invocation {
  readonly answer: Answer;
  readonly bystanderAcknowledged: boolean;
  readonly detail: string;
  readonly targetLog: LogLine | undefined;
  readonly alerts: readonly { reason: string; key: string }[];
  readonly journal: readonly JournalEntry[];
  readonly captured: Captured<unknown>;
}

const answerOf = (trigger: Trigger, captured: Captured<unknown>): Pick<Invocation, 'answer' | 'bystanderAcknowledged' | 'detail'> => {
  if (captured.error) return { answer: trigger === 'direct' ? 'handed-back' : 'invocation-failed', bystanderAcknowledged: false, detail: captured.error.message };
  switch (trigger) {
    case 'sqs': {
      const failures = (captured.value as { batchItemFailures: { itemIdentifier: string }[] }).batchItemFailures.map((item) => item.itemIdentifier);
      return { answer: failures.includes('m-target') ? 'handed-back' : 'acknowledged', bystanderAcknowledged: !failures.includes('m-bystander'), detail: JSON.stringify(failures) };
    }
    case 'direct':
      return { answer: 'acknowledged', bystanderAcknowledged: true, detail: JSON.stringify(captured.value) };
    case 'batch-operations': {
      const results = (captured.value as { results: { taskId: string; resultCode: Answer; resultString: string }[] }).results;
      const target = results.find((result) => result.taskId === 't-target');
      const bystander = results.find((result) => result.taskId === 't-bystander');
      return { answer: target?.resultCode ?? 'invocation-failed', bystanderAcknowledged: bystander?.resultCode === 'Succeeded', detail: target?.resultString ?? '' };
    }
  }
};

const alertsIn = (entries: readonly JournalEntry[]): { reason: string; key: string }[] =>
  entries
    .filter((entry) => entry.call === 'Publish' && !entry.failed)
    .flatMap((entry) => {
      const body = JSON.parse(String(entry.input['Message'])) as { sqs: string };
      return (JSON.parse(body.sqs) as { alerts: { reason: string; key: string }[] }).alerts;
    });

const invoke = async (handler: EnforceHandler, trigger: Trigger, journal: JournalEntry[]): Promise<Invocation> => {
  const from = journal.length;
  const captured = await captureOutput(() => handler(eventFor(trigger), lambdaContext));
  const own = journal.slice(from);
  return {
    ...answerOf(trigger, captured),
    targetLog: captured.lines.find((line) => line['key'] === TARGET_KEY && typeof line['outcome'] === 'string'),
    alerts: alertsIn(own),
    journal: own,
    captured,
  };
};

/** A record the trigger will deliver again. */
const redelivered = (trigger: Trigger, answer: Answer): boolean =>
  trigger === 'batch-operations' ? answer === 'TemporaryFailure' || answer === 'invocation-failed' : answer !== 'acknowledged';

const isAcknowledged = (answer: Answer): boolean => answer === 'acknowledged' || answer === 'Succeeded';

interface Cell {
  readonly call: Call;
  readonly fault: Fault;
  readonly trigger: Trigger;
  readonly expected: Expected;
  observed?: string;
  violations: string[];
}

const cells: Cell[] = [];

/** A short description of what happened, for the table: built from observations, not from the expectation. */
const outcomeOf = (log: LogLine | undefined): string => {
  if (!log) return 'nothing logged';
  const error = log['error'] as { code?: string } | undefined;
  return `${String(log['outcome'])}:${String(log['reason'] ?? error?.code ?? '')}`;
};

const describeObserved = (trigger: Trigger, first: Invocation, second: Invocation | undefined, faultReached: boolean): string => {
  if (!faultReached) return 'not called';
  const outcome = first.targetLog ? `${String(first.targetLog['outcome'])}${first.targetLog['reason'] ? `:${String(first.targetLog['reason'])}` : ''}` : 'no object handled';
  const alert = first.alerts.some((alert) => alert.key === TARGET_KEY) ? ' + alert' : '';
  const then = second ? ` → ${isAcknowledged(second.answer) ? (trigger === 'batch-operations' ? 'Succeeded' : 'ok') : second.answer}` : '';
  const shortOutcome = outcome.replace('skipped:', '');
  switch (first.answer) {
    case 'invocation-failed':
      return `invocation fails${then}`;
    case 'handed-back':
      return `${trigger === 'direct' ? 'thrown' : 'retried'}${alert}${then}`;
    case 'acknowledged':
    case 'Succeeded':
      return `${trigger === 'batch-operations' ? 'Succeeded: ' : 'ack: '}${shortOutcome}${alert}`;
    case 'TemporaryFailure':
      return `${first.answer}${then}`;
    case 'PermanentFailure':
      return `PermanentFailure (${first.detail.split(':')[0] ?? ''})`;
  }
};

/**
 * What a failing cell means, where it is understood: written into the document next to the cell.
 * Empty while every cell passes.
 */
const KNOWN_BUGS: Readonly<Record<string, string>> = {};

const WRITES = new Set<Call>(['CopyObject', 'CreateMultipartUpload', 'CompleteMultipartUpload', 'UpdateObjectEncryption']);

beforeEach(() => {
  s3.reset();
  kms.reset();
  sns.reset();
});
afterEach(() => vi.unstubAllEnvs());

describe.each(CALLS)('fault injection: %s', (call) => {
  describe.each(FAULTS.map((fault) => ({ fault, name: fault.label })))('$name', ({ fault }) => {
    it.each(TRIGGERS)('through %s', async (trigger) => {
      const cell: Cell = { call, fault, trigger, expected: expectedFor(call, fault, trigger), violations: [] };
      cells.push(cell);
      const scenario = SCENARIO[call];
      const { journal } = installWorld(scenario, call, fault);
      const handler = await loadHandler(SCENARIO_ENV[scenario]);

      const first = await invoke(handler, trigger, journal);
      const faultReached = first.journal.some((entry) => entry.call === call && entry.failed);
      const second = redelivered(trigger, first.answer) ? await invoke(handler, trigger, journal) : undefined;
      cell.observed = describeObserved(trigger, first, second, faultReached);

      // Invariants every cell keeps, whatever the fault.
      const violations = cell.violations;
      const check = (ok: boolean, what: string) => {
        if (!ok) violations.push(what);
      };
      if (trigger === 'sqs' && call !== 'DescribeKey') check(first.answer !== 'invocation-failed', `crashed SQS batch: ${first.detail}`);
      if (first.targetLog?.['outcome'] === 'failed') check(!isAcknowledged(first.answer), 'acknowledged failure: a failed object was acknowledged');
      for (const run of [first, second].filter((item): item is Invocation => item !== undefined)) {
        const created = run.journal.filter((entry) => entry.call === 'CreateMultipartUpload' && !entry.failed).map((entry) => String(entry.output?.['UploadId']));
        for (const uploadId of created) {
          const completed = run.journal.some((entry) => entry.call === 'CompleteMultipartUpload' && !entry.failed && entry.input['UploadId'] === uploadId);
          const abortSent = run.journal.some((entry) => entry.call === 'AbortMultipartUpload' && entry.input['UploadId'] === uploadId);
          // NoSuchUpload to an abort means the upload is already gone: nothing is left behind.
          const aborted = run.journal.some(
            (entry) => entry.call === 'AbortMultipartUpload' && (!entry.failed || entry.code === 'NoSuchUpload') && entry.input['UploadId'] === uploadId,
          );
          check(completed || abortSent, `half-written object: upload ${uploadId} neither completed nor aborted`);
          if (!completed && !aborted) {
            const logged = JSON.stringify(run.targetLog?.['error'] ?? '');
            check(!isAcknowledged(run.answer) && logged.includes(uploadId), `upload ${uploadId} left behind without the record failing and its log line naming it`);
          }
        }
        check(!run.journal.some((entry) => ['GetObject', 'PutObject'].includes(entry.call)), 'read or wrote object bytes');
      }
      if (trigger !== 'direct' && call !== 'DescribeKey') check(first.bystanderAcknowledged, 'a good record of the same batch was not acknowledged');
      const faultIndex = first.journal.findIndex((entry) => entry.call === call && entry.failed);
      if (first.targetLog?.['reason'] === 'superseded') {
        const after = first.journal.slice(faultIndex + 1).filter((entry) => WRITES.has(entry.call));
        check(after.length === 0, `wrote again after the 412: ${after.map((entry) => entry.call).join(', ')}`);
      }
      expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
      expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);

      // The outcome that is right for this cell.
      const expected = cell.expected;
      const targetAlerts = first.alerts.filter((alert) => alert.key === TARGET_KEY).map((alert) => alert.reason);
      if (expected !== 'not-called') check(faultReached, `the fault was never reached: ${call} was not called`);
      switch (expected) {
        case 'retry':
          check(trigger === 'batch-operations' ? first.answer === 'TemporaryFailure' : first.answer === 'handed-back', `expected a retry, got ${first.answer} (${first.detail})`);
          check(call === 'Publish' || targetAlerts.length === 0, `a transient failure was alerted: ${targetAlerts.join(', ')}`);
          check(second !== undefined && isAcknowledged(second.answer), second ? `the redelivery did not succeed: ${second.answer} ${second.detail}` : 'not redelivered');
          if (call === 'Publish') check(second !== undefined && second.alerts.some((alert) => alert.key === TARGET_KEY), 'the alert was not sent on redelivery');
          else check(second?.targetLog?.['outcome'] === 'remediated', `the redelivery did not remediate: ${second ? outcomeOf(second.targetLog) : 'no redelivery'}`);
          break;
        case 'fail':
          check(trigger === 'batch-operations' ? first.answer === 'PermanentFailure' : first.answer === 'handed-back', `expected a failure to report, got ${first.answer} (${first.detail})`);
          check(first.targetLog?.['outcome'] === 'failed', `expected a failed outcome, got ${outcomeOf(first.targetLog)}`);
          if (trigger !== 'batch-operations') {
            check(targetAlerts.length === 1, `expected one alert, got [${targetAlerts.join(', ')}]`);
            check(second !== undefined && isAcknowledged(second.answer) && second.targetLog?.['outcome'] === 'remediated', 'the redelivery did not remediate');
          }
          break;
        case 'gone':
        case 'superseded':
          check(isAcknowledged(first.answer), `expected a benign skip, got ${first.answer} (${first.detail})`);
          check(first.targetLog?.['outcome'] === 'skipped' && first.targetLog['reason'] === expected, `expected skipped:${expected}, got ${outcomeOf(first.targetLog)}`);
          check(targetAlerts.length === 0, `a benign skip was alerted: ${targetAlerts.join(', ')}`);
          break;
        case 'ssec':
          check(trigger === 'batch-operations' ? first.answer === 'PermanentFailure' : first.answer === 'acknowledged', `expected an SSE-C report, got ${first.answer}`);
          check(first.targetLog?.['reason'] === 'customer-provided-key', `expected customer-provided-key, got ${String(first.targetLog?.['reason'])}`);
          if (trigger !== 'batch-operations') check(targetAlerts.includes('customer-provided-key'), 'the SSE-C object was not alerted');
          break;
        case 'residual':
          check(isAcknowledged(first.answer), `expected the remediation to stand, got ${first.answer} (${first.detail})`);
          check(first.targetLog?.['outcome'] === 'remediated', `expected remediated, got ${String(first.targetLog?.['outcome'])}`);
          if (trigger !== 'batch-operations') check(targetAlerts.includes('residual-version-not-deleted'), `the version left behind was not alerted: [${targetAlerts.join(', ')}]`);
          else check(first.detail.includes('prior version v1 delete-failed'), `the result does not name the version left behind: ${first.detail}`);
          break;
        case 'cold-start':
          check(first.answer === 'invocation-failed' || (trigger === 'direct' && first.answer === 'handed-back'), `expected the cold start to fail, got ${first.answer}`);
          check(first.journal.every((entry) => entry.call === 'DescribeKey'), 'S3 was called under an unresolved key');
          check(second !== undefined && isAcknowledged(second.answer) && second.targetLog?.['outcome'] === 'remediated', 'the next invocation did not recover');
          break;
        case 'not-called':
          check(!first.journal.some((entry) => entry.call === 'Publish'), 'Batch Operations sent an SNS alert');
          check(first.answer === 'PermanentFailure', `expected the SSE-C task to fail permanently, got ${first.answer}`);
          break;
      }
      expect(violations, `${call} × ${fault.label} × ${trigger}: observed "${cell.observed}"`).toEqual([]);
    });
  });
});

afterAll(() => {
  const total = CALLS.length * FAULTS.length * TRIGGERS.length;
  if (cells.length !== total || cells.some((cell) => cell.observed === undefined)) return; // a filtered run: keep the last full table
  const cellOf = (call: Call, fault: Fault, trigger: Trigger) => cells.find((cell) => cell.call === call && cell.fault === fault && cell.trigger === trigger);
  const text = (cell: Cell | undefined) => (cell ? `${cell.violations.length > 0 ? '✗ ' : ''}${cell.observed ?? ''}` : '');
  const tally = new Map<string, number>();
  for (const cell of cells) tally.set(`${cell.trigger}\u0000${cell.observed}`, (tally.get(`${cell.trigger}\u0000${cell.observed}`) ?? 0) + 1);
  const failing = cells.filter((cell) => cell.violations.length > 0);
  const triggerTitle: Record<Trigger, string> = {
    sqs: 'SQS (the answer for the faulted message; a compliant message rides in the same batch)',
    direct: 'Direct invocation (S3, SNS or EventBridge invoking the function)',
    'batch-operations': 'S3 Batch Operations (the faulted task\'s result; a compliant task rides in the same job)',
  };
  const sections = TRIGGERS.map((trigger) =>
    [
      `### ${triggerTitle[trigger]}`,
      '',
      markdownTable(
        ['call', ...FAULTS.map((fault) => fault.label)],
        CALLS.map((call) => [call, ...FAULTS.map((fault) => text(cellOf(call, fault, trigger)))]),
      ),
    ].join('\n'),
  );
  const counts = [...tally.entries()]
    .map(([key, count]) => {
      const [trigger, observed] = key.split('\u0000');
      return [trigger ?? '', observed ?? '', count] as const;
    })
    .sort((a, b) => a[0].localeCompare(b[0]) || b[2] - a[2]);
  publishReliabilitySection(
    'fault-injection',
    [
      `${CALLS.length} calls × ${FAULTS.length} faults × ${TRIGGERS.length} triggers = **${total} cells**, each a cold start of the real handler with`,
      'aws-sdk-client-mock answering for S3, KMS and SNS; the faulted call fails once, then answers normally. The SDK\'s own',
      'retries (adaptive, 5 attempts) are bypassed by the mock, so "retried" means the record is handed back — in',
      '`batchItemFailures`, as a thrown error, or as a `TemporaryFailure` — and the redelivery (a second invocation) succeeds.',
      '',
      `Every cell also checks: no SQS batch crashes (the handler resolves; DescribeKey excepted, see the legend), no failed object is acknowledged, every multipart upload created is`,
      'completed or aborted (and if the abort itself fails, the record fails and names the upload), no bytes are read or written (`GetObject` / `PutObject`),',
      'a 412 is never followed by another write, and the compliant record in the same batch is acknowledged.',
      '',
      `**Cells failing: ${failing.length} of ${total}.**${failing.length > 0 ? ' Marked ✗ below; each is a product bug, listed after the tables.' : ''}`,
      '',
      'Legend: `retried` / `thrown` — handed back for redelivery; `+ alert` — an SNS alert names the object; `→ ok` / `→ Succeeded` — the',
      'redelivery succeeded; `ack: gone` / `ack: superseded` — acknowledged with no write; `ack: customer-provided-key + alert` — a bare',
      '400 to HeadObject is how S3 answers for an SSE-C object (a HEAD answer has no body), so it is reported as one;',
      '`ack: remediated + alert` — the copy stands and the version that could not be deleted is alerted;',
      '`invocation fails → ok` — `DescribeKey` resolves the required key at the first invocation, before any event is read, so',
      'the whole invocation fails (every message of the batch is redelivered, none acknowledged) and the next one succeeds;',
      '`not called` — Batch Operations tasks send no SNS alert (the job\'s completion report carries them).',
      'Faults used: S3 `SlowDown` 503 / KMS `ThrottlingException` / SNS `ThrottledException` 429; `InternalError` 500; `AccessDenied` 403',
      '(KMS `AccessDeniedException`, SNS `AuthorizationErrorException`); `NoSuchKey` 404 (`NoSuchUpload` for AbortMultipartUpload, `NoSuchBucket` for GetBucketOwnershipControls; KMS and SNS',
      '`NotFoundException`); `PreconditionFailed` 412 (S3 sends it only to the guarded writes; elsewhere it shows the fallback);',
      'S3 `KMS.DisabledException`, `KMS.KMSInvalidStateException`, `KMS.NotFoundException` (KMS `DisabledException`, … ; SNS `KMSDisabledException`, …);',
      '`TimeoutError`; `ECONNRESET`. The scenario reaching each call: copy-in-place in an ACL-enabled bucket (HeadObject, CopyObject,',
      'GetBucketOwnershipControls, GetObjectAcl, DescribeKey); update in place of an SSE-S3 object; multipart copy of a 12 MiB object with',
      'tags (`COPY_LIMIT_BYTES` 6 MiB; AbortMultipartUpload is reached by a part copy failing with a 500 first); `priorVersions: delete` in a',
      'versioned bucket (DeleteObject); an SSE-C object\'s alert (Publish).',
      '',
      ...sections.flatMap((section) => [section, '']),
      '### Counts',
      '',
      markdownTable(['trigger', 'outcome', 'cells'], counts),
      '',
      ...(failing.length > 0
        ? [
            '### Failing cells',
            '',
            ...[...new Set(failing.map((cell) => KNOWN_BUGS[`${cell.call}|${cell.fault.id}`]).filter((note): note is string => note !== undefined))].map((note) => `> ${note}\n`),
            ...failing.map((cell) => `- ${cell.call} × ${cell.fault.label} × ${cell.trigger} (expected: ${cell.expected}): ${cell.violations.join('; ')}`),
          ]
        : []),
    ].join('\n'),
  );
});
