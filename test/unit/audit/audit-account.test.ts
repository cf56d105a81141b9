import { NO_FIXES } from '../../../shared/config/parse-policy.js';
import { DescribeKeyCommand, EnableKeyRotationCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand, KMSClient } from '@aws-sdk/client-kms';
import { Buffer } from 'node:buffer';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  ListBucketsCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  S3Client,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { announceThrough, auditAccount, accountOfFunctionArn, scheduledTime, type AuditDependencies } from '../../../functions/audit-encryption/audit-account.js';
import type { AuditRecorder } from '../../../functions/audit-encryption/audit-recorder.js';
import { KmsKeyInspector } from '../../../shared/adapters/kms-key-inspector.js';
import { S3BucketEncryptionWriter } from '../../../shared/adapters/s3-bucket-encryption-writer.js';
import { S3BucketInspector } from '../../../shared/adapters/s3-bucket-inspector.js';
import { LocalReportSpool } from '../../../shared/adapters/local-report-spool.js';
import { S3ReportStore } from '../../../shared/adapters/s3-report-store.js';
import { SNS_MESSAGE_BUDGET_BYTES, SnsNotificationPublisher, snsMessageBytes } from '../../../shared/adapters/sns-notification-publisher.js';
import type { NotificationDocument } from '../../../shared/audit/audit-notifications.js';
import type { AuditReport } from '../../../shared/audit/audit-report.js';
import { isFailing, type AccountFinding, type Finding } from '../../../shared/audit/finding.js';
import { ACCOUNT, REQUIRED, awsError, context } from './fixtures.js';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:encryption-findings';
const DATED = 'encryption-audit/123456789012/2026-03-01/encryption-audit-2026-03-01T030000Z';
const east = new S3Client({ region: 'us-east-1' });
const west = new S3Client({ region: 'eu-west-1' });
const s3East = mockClient(east);
const s3West = mockClient(west);
const kmsClient = new KMSClient({ region: 'us-east-1' });
const kms = mockClient(kmsClient);
const snsClient = new SNSClient({ region: 'us-east-1' });
const sns = mockClient(snsClient);

const GOOD_POLICY = JSON.stringify({
  Statement: [
    { Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: ['arn:aws:s3:::good-bucket', 'arn:aws:s3:::good-bucket/*'], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    { Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: 'arn:aws:s3:::good-bucket/*', Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': REQUIRED } } },
  ],
});

const recorded: string[] = [];
const findingsRecorded: AccountFinding[] = [];
const recorder: AuditRecorder = {
  findingRecorded: (finding) => findingsRecorded.push(finding),
  factsGathered: (counts) => recorded.push(`facts ${JSON.stringify(counts)}`),
  fixAttempted: (result) => recorded.push(`fix ${result.plan.kind} ${result.outcome}`),
  previousReportUnavailable: (reason) => recorded.push(`no previous: ${reason}`),
  previousDetailsUnavailable: (reason) => recorded.push(`no previous details: ${reason}`),
  reportNotWritten: (what) => recorded.push(`not written: ${what}`),
  securityHubImported: (outcome) => recorded.push(`security hub ${outcome.region} ${outcome.kind}`),
  runCompleted: (outcome) => recorded.push(`done ${outcome.runId}`),
};

const dependencies = (overrides: { policy?: Parameters<typeof context>[0]; reports?: boolean } = {}): AuditDependencies => {
  const keys = new KmsKeyInspector(() => kmsClient);
  const s3In = (region: string): S3Client => (region === 'eu-west-1' ? west : east);
  return {
    sources: { buckets: new S3BucketInspector(s3In, 'us-east-1'), keys, concurrency: 4 },
    writers: { mode: 'apply', bucketEncryption: new S3BucketEncryptionWriter(s3In, ACCOUNT), bucketPolicy: new S3BucketEncryptionWriter(s3In, ACCOUNT), keyRotation: keys },
    reports:
      overrides.reports === false
        ? undefined
        : { store: new S3ReportStore(east, 'reports', ACCOUNT), bucket: 'reports', prefix: 'encryption-audit/', openSpool: () => new LocalReportSpool({ parent: spoolRoot }) },
    ending: announceThrough(new SnsNotificationPublisher(snsClient, TOPIC), snsMessageBytes, SNS_MESSAGE_BUDGET_BYTES),
    recorder,
    context: context({ policy: { requiredKey: 'alias/data', exemptions: [{ bucket: 'scratch-bucket', prefix: '' }] }, ...overrides.policy }),
  };
};

/** Each run's report spool lives under here; the run must leave nothing behind. */
const spoolRoot = mkdtempSync(join(tmpdir(), 'audit-account-test-'));
afterEach(() => expect(readdirSync(spoolRoot)).toEqual([]));
afterAll(() => rmSync(spoolRoot, { recursive: true, force: true }));

/** The Body S3 would receive: a stream, read whole while the request is in flight (as S3 reads it). */
const collect = async (body: PutObjectCommandInput['Body']): Promise<Buffer> => {
  if (!(body instanceof Readable)) throw new Error(`PutObject Body is not a stream: ${typeof body}`);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
};

const uploads = new Map<string, Buffer>();

/** The text of an uploaded object, checked against the ContentLength it was sent with. */
const putBody = (key: string): string => {
  const call = s3East.commandCalls(PutObjectCommand).find((item) => item.args[0].input.Key === key);
  const bytes = uploads.get(key);
  if (!call || !bytes) throw new Error(`no PutObject of ${key}`);
  expect(call.args[0].input.ContentLength).toBe(bytes.length);
  return bytes.toString('utf8');
};

const LATEST_COPY = {
  Bucket: 'reports',
  Key: 'encryption-audit/123456789012/latest.json',
  CopySource: `reports/${DATED}.json`,
  MetadataDirective: 'COPY',
  ServerSideEncryption: 'aws:kms',
  SSEKMSKeyId: REQUIRED,
  BucketKeyEnabled: true,
  ExpectedBucketOwner: ACCOUNT,
  ExpectedSourceBucketOwner: ACCOUNT,
};

const LATEST_READ = { Bucket: 'reports', Key: 'encryption-audit/123456789012/latest.json', ExpectedBucketOwner: ACCOUNT };
const LEGACY_LATEST_READ = { Bucket: 'reports', Key: 'encryption-audit/latest.json', ExpectedBucketOwner: ACCOUNT };
const HISTORY = 'encryption-audit/123456789012/history.jsonl';
const HISTORY_READ = { Bucket: 'reports', Key: HISTORY, ExpectedBucketOwner: ACCOUNT };
/** The reports of a run, beside one another: the JSON, the Markdown, the HTML page and the OCSF events. */
const REPORT_KEYS = (base: string): string[] => [`${base}.html`, `${base}.json`, `${base}.md`, `${base}.ocsf.jsonl`];
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  json: 'application/json',
  md: 'text/markdown; charset=utf-8',
  jsonl: 'application/x-ndjson',
};
/** Every PutObject of a run: streamed, SSE-KMS under the required key with a bucket key, in the account's own bucket. */
const PUT = (Key: string) => ({
  Bucket: 'reports',
  Key,
  Body: true,
  ContentLength: uploads.get(Key)?.length,
  ContentType: CONTENT_TYPES[Key.slice(Key.lastIndexOf('.') + 1)],
  ServerSideEncryption: 'aws:kms',
  SSEKMSKeyId: REQUIRED,
  BucketKeyEnabled: true,
  ExpectedBucketOwner: ACCOUNT,
});
const CONSOLE = 'https://console.aws.amazon.com/s3/object/reports?region=us-east-1&prefix=';
/** A run history read back: one entry a line. */
const historyEntries = (text: string): Record<string, unknown>[] => {
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
};

const published = (): NotificationDocument[] =>
  sns.commandCalls(PublishCommand).map((call) => JSON.parse(JSON.parse(call.args[0].input.Message as string).sqs) as NotificationDocument);

beforeEach(() => {
  for (const mock of [s3East, s3West, kms, sns]) mock.reset();
  recorded.length = 0;
  findingsRecorded.length = 0;
  uploads.clear();
  s3East.on(ListBucketsCommand).resolves({
    Buckets: [
      { Name: 'good-bucket', BucketRegion: 'us-east-1' },
      { Name: 'eu-bucket' },
      { Name: 'locked-bucket', BucketRegion: 'us-east-1' },
      { Name: 'scratch-bucket', BucketRegion: 'us-east-1' },
    ],
  });
  s3East.on(GetBucketLocationCommand, { Bucket: 'eu-bucket' }).resolves({ LocationConstraint: 'EU' });
  s3East.on(GetBucketEncryptionCommand, { Bucket: 'good-bucket' }).resolves({
    ServerSideEncryptionConfiguration: {
      Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: REQUIRED }, BucketKeyEnabled: true, BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } }],
    },
  });
  s3East.on(GetBucketPolicyCommand, { Bucket: 'good-bucket' }).resolves({ Policy: GOOD_POLICY });
  s3East.on(GetBucketNotificationConfigurationCommand, { Bucket: 'good-bucket' }).resolves({ EventBridgeConfiguration: {} });
  for (const command of [GetBucketEncryptionCommand, GetBucketPolicyCommand, GetBucketNotificationConfigurationCommand] as const) {
    s3East.on(command as typeof GetBucketPolicyCommand, { Bucket: 'locked-bucket' }).rejects(awsError('AccessDenied', 403, 'Access Denied'));
  }
  s3West.on(GetBucketEncryptionCommand, { Bucket: 'eu-bucket' }).resolves({ ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } });
  s3West.on(GetBucketPolicyCommand, { Bucket: 'eu-bucket' }).rejects(awsError('NoSuchBucketPolicy', 404));
  s3West.on(GetBucketNotificationConfigurationCommand, { Bucket: 'eu-bucket' }).resolves({});
  s3East.on(GetObjectCommand).rejects(awsError('NoSuchKey', 404));
  s3East.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
    uploads.set(input.Key as string, await collect(input.Body));
    return {};
  });
  s3East.on(CopyObjectCommand).resolves({});
  kms.on(DescribeKeyCommand).resolves({
    KeyMetadata: { KeyId: '11111111-1111-1111-1111-111111111111', Arn: REQUIRED, AWSAccountId: ACCOUNT, KeyState: 'Enabled', KeyManager: 'CUSTOMER', KeySpec: 'SYMMETRIC_DEFAULT', Origin: 'AWS_KMS' },
  });
  kms.on(GetKeyRotationStatusCommand).resolves({ KeyRotationEnabled: true, RotationPeriodInDays: 365 });
  kms.on(GetKeyPolicyCommand).resolves({ Policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }] }) });
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});

describe('auditAccount', () => {
  it('audits each bucket in its own region, turns one bucket’s errors into error findings, writes the report and pages', async () => {
    const outcome = await auditAccount(dependencies(), new Date('2026-03-01T03:00:00Z'));
    expect(outcome).toEqual({
      accountId: ACCOUNT,
      runId: '2026-03-01T030000Z',
      runDate: '2026-03-01',
      buckets: 3,
      keys: 1,
      findings: { failed: 6, error: 5, fixed: 0, passed: 9, informational: 0 },
      changes: { new: 11, changed: 0, resolved: 0, fixed: 0, unchanged: 0 },
      page: true,
      notifications: 1,
      report: `s3://reports/${DATED}.json`,
      reportKey: `${DATED}.json`,
    });

    // The eu-west-1 bucket is read through the eu-west-1 client only; the exempt bucket is not read at all.
    expect(s3West.commandCalls(GetBucketEncryptionCommand).map((call) => call.args[0].input)).toEqual([{ Bucket: 'eu-bucket' }]);
    expect(s3East.commandCalls(GetBucketEncryptionCommand).map((call) => call.args[0].input.Bucket).sort()).toEqual(['good-bucket', 'locked-bucket']);
    expect(s3East.calls().some((call) => (call.args[0].input as { Bucket?: string }).Bucket === 'scratch-bucket')).toBe(false);
    expect(kms.commandCalls(DescribeKeyCommand).map((call) => call.args[0].input)).toEqual([{ KeyId: 'alias/data' }, { KeyId: REQUIRED }]);

    const json = putBody(`${DATED}.json`);
    const report = JSON.parse(json) as AuditReport;
    // Laid out a finding a line, so the next run can read it a line at a time.
    expect(json.split('\n')).toHaveLength(2 + report.findings.length + 2);
    const statusOf = (check: string, resource: string) => report.findings.find((item) => item.check === check && item.resource === resource)?.status;
    expect(['s3-default-encryption-kms', 's3-sse-c-blocked', 's3-tls-only-policy', 's3-policy-denies-wrong-key', 's3-realtime-coverage'].map((check) => statusOf(check, 'arn:aws:s3:::locked-bucket'))).toEqual([
      'error',
      'error',
      'error',
      'error',
      'error',
    ]);
    expect(statusOf('s3-default-encryption-kms', 'arn:aws:s3:::good-bucket')).toBe('passed');
    expect(statusOf('s3-tls-only-policy', 'arn:aws:s3:::good-bucket')).toBe('passed');
    expect(statusOf('s3-policy-denies-wrong-key', 'arn:aws:s3:::good-bucket')).toBe('passed');
    expect(statusOf('s3-default-encryption-kms', 'arn:aws:s3:::eu-bucket')).toBe('failed');
    expect(report.scope.exemptBuckets).toEqual(['scratch-bucket']);

    // One document, failing findings first, each group in the order audited (buckets as listed, keys last).
    expect(report.findings.slice(0, 11).every((item) => isFailing(item.status))).toBe(true);
    expect(report.findings.slice(11).some((item) => isFailing(item.status))).toBe(false);
    const order = (items: readonly Finding[]) => [...new Set(items.map((item) => item.resource))];
    expect(order(report.findings.slice(0, 11))).toEqual(['arn:aws:s3:::eu-bucket', 'arn:aws:s3:::locked-bucket']);
    expect(order(report.findings.slice(11))).toEqual(['arn:aws:s3:::good-bucket', REQUIRED]);
    // Every finding is recorded (logged) once, as the run makes it.
    expect(findingsRecorded.map((item) => item.id).sort()).toEqual(report.findings.map((item) => item.id).sort());

    const markdown = putBody(`${DATED}.md`);
    expect(markdown).toContain('# S3 encryption audit — 2026-03-01');
    expect(markdown).toContain('### New (11)');
    expect(markdown).toContain('## Exempt buckets\n\n- `scratch-bucket`');

    // Every finding was first seen tonight: there is no previous report.
    expect(new Set(report.findings.map((item) => item.firstSeen))).toEqual(new Set(['2026-03-01T03:00:00.000Z']));

    // Reports: the dated JSON, Markdown, HTML and OCSF, streamed, SSE-KMS under the required key; then
    // the run history; then the summary; then the state.
    const puts = s3East.commandCalls(PutObjectCommand);
    expect(
      puts.map((call) => ({ ...call.args[0].input, Body: call.args[0].input.Body instanceof Readable })).sort((a, b) => String(a.Key).localeCompare(String(b.Key))),
    ).toEqual([...REPORT_KEYS(DATED), HISTORY].map(PUT));
    const historyPut = puts.find((call) => call.args[0].input.Key === HISTORY);
    expect(puts.filter((call) => call !== historyPut).every((call) => call.calledBefore(historyPut as never))).toBe(true);
    const publish = sns.commandCalls(PublishCommand)[0];
    expect(puts.every((call) => call.calledBefore(publish as never))).toBe(true);

    // One OCSF event a finding, as the run recorded them.
    const events = putBody(`${DATED}.ocsf.jsonl`)
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { finding_info: { uid: string; first_seen_time: number }; cloud: { account: { uid: string } } });
    expect(events.map((event) => event.finding_info.uid)).toEqual(findingsRecorded.map((item) => item.id));
    expect(events).toHaveLength(report.findings.length);
    expect(new Set(events.map((event) => [event.cloud.account.uid, event.finding_info.first_seen_time].join(' ')))).toEqual(new Set([`${ACCOUNT} ${Date.parse('2026-03-01T03:00:00Z')}`]));
    // The page: self-contained, nothing to run.
    const page = putBody(`${DATED}.html`);
    expect(page.startsWith('<!doctype html>\n')).toBe(true);
    expect(page).toContain(`Account <code>${ACCOUNT}</code>, run <code>2026-03-01T030000Z</code>`);
    expect(page).not.toMatch(/<script/i);
    // The run history: this run, by its counts.
    expect(historyEntries(putBody(HISTORY))).toEqual([
      {
        kind: 'encryption-audit-run',
        runId: '2026-03-01T030000Z',
        startedAt: '2026-03-01T03:00:00.000Z',
        scope: 'account',
        accountId: ACCOUNT,
        findings: 20,
        byStatus: { failed: 6, error: 5, fixed: 0, passed: 9, informational: 0 },
        failingBySeverity: report.summary.failingBySeverity,
        byCheck: {
          'kms-key-role-separation': { findings: 1, failing: 0 },
          'kms-key-rotation': { findings: 1, failing: 0 },
          'kms-key-state': { findings: 2, failing: 1 },
          's3-bucket-key-enabled': { findings: 1, failing: 0 },
          's3-default-encryption-kms': { findings: 3, failing: 2 },
          's3-policy-denies-wrong-key': { findings: 3, failing: 2 },
          's3-realtime-coverage': { findings: 3, failing: 2 },
          's3-sse-c-blocked': { findings: 3, failing: 2 },
          's3-tls-only-policy': { findings: 3, failing: 2 },
        },
        byAccount: { [ACCOUNT]: { findings: 20, failing: 11 } },
      },
    ]);
    // latest.json is a server-side copy of the dated JSON report, made once the summary went out.
    const copies = s3East.commandCalls(CopyObjectCommand);
    expect(copies.map((call) => call.args[0].input)).toEqual([LATEST_COPY]);
    expect(copies[0]?.calledAfter(publish as never)).toBe(true);
    // No state for this account yet: the one from before reports were filed per account is tried too;
    // the run history is read as the run starts.
    expect(s3East.commandCalls(GetObjectCommand).map((call) => call.args[0].input)).toEqual([LATEST_READ, HISTORY_READ, LEGACY_LATEST_READ]);
    expect(s3East.commandCalls(GetObjectCommand).every((call) => call.calledBefore(puts[0] as never))).toBe(true);

    const input = publish?.args[0].input;
    expect(input).toEqual({
      TopicArn: TOPIC,
      Subject: 'S3 encryption audit 2026-03-01 [high]: 11 new, 0 changed, 0 resolved',
      MessageStructure: 'json',
      Message: expect.any(String),
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: 'encryption-audit' },
        page: { DataType: 'String', StringValue: 'true' },
        severity: { DataType: 'String', StringValue: 'high' },
        checks: {
          DataType: 'String.Array',
          StringValue: JSON.stringify(['kms-key-state', 's3-default-encryption-kms', 's3-policy-denies-wrong-key', 's3-realtime-coverage', 's3-sse-c-blocked', 's3-tls-only-policy']),
        },
        changes: { DataType: 'String.Array', StringValue: '["new"]' },
      },
    });
    const message = JSON.parse(input?.Message as string) as Record<string, string>;
    expect(Object.keys(message).sort()).toEqual(['default', 'email', 'email-json', 'firehose', 'http', 'https', 'lambda', 'sqs']);
    expect(message['default']).toContain(
      `Report: s3://reports/${DATED}.json\n${CONSOLE}${encodeURIComponent(`${DATED}.json`)}\nHTML report: ${CONSOLE}${encodeURIComponent(`${DATED}.html`)}\n`,
    );
    const [document] = published();
    expect(document?.findings).toHaveLength(11);
    expect(document?.findings.every((item) => item.change === 'new')).toBe(true);
    expect(recorded).toEqual(['facts {"accountId":"123456789012","buckets":3,"unreachable":0,"exempt":1,"keys":1}', 'done 2026-03-01T030000Z']);
    // Every finding names the account whose resource it is, in the report as in the log.
    expect(new Set(findingsRecorded.map((finding) => finding.accountId))).toEqual(new Set([ACCOUNT]));
    expect(new Set((JSON.parse(putBody(`${DATED}.json`)) as AuditReport).findings.map((finding) => (finding as { accountId?: string }).accountId))).toEqual(new Set([ACCOUNT]));
  });

  it('compares with the state kept before reports were filed per account, once, and files the next one under the account', async () => {
    await auditAccount(dependencies(), new Date('2026-03-01T03:00:00Z'));
    const previous = putBody(`${DATED}.json`);
    for (const mock of [s3East, sns]) mock.resetHistory();
    uploads.clear();
    s3East.on(GetObjectCommand, LEGACY_LATEST_READ).callsFake(() => ({ Body: Readable.from([previous]) }));

    const outcome = await auditAccount(dependencies(), new Date('2026-03-02T03:00:00Z'));

    // Nothing changed overnight: nothing is new, so nobody is paged again after the upgrade.
    expect(outcome.changes).toMatchObject({ new: 0, changed: 0, resolved: 0 });
    expect(outcome.page).toBe(false);
    expect(s3East.commandCalls(GetObjectCommand).map((call) => call.args[0].input)).toEqual([LATEST_READ, HISTORY_READ, LEGACY_LATEST_READ]);
    expect(s3East.commandCalls(CopyObjectCommand).map((call) => call.args[0].input.Key)).toEqual(['encryption-audit/123456789012/latest.json']);
    // Each finding was first seen the night of the report compared with.
    const report = JSON.parse(putBody('encryption-audit/123456789012/2026-03-02/encryption-audit-2026-03-02T030000Z.json')) as AuditReport;
    expect(new Set(report.findings.map((item) => item.firstSeen))).toEqual(new Set(['2026-03-01T03:00:00.000Z']));
  });

  it.each([
    ['as this version writes it (a finding a line)', (text: string) => text],
    [
      'pretty-printed by an earlier version, without first sightings',
      (text: string) => {
        const report = JSON.parse(text) as AuditReport;
        return JSON.stringify({ ...report, findings: report.findings.map(({ firstSeen: _none, ...rest }) => rest) }, null, 2);
      },
    ],
  ])('against the previous report %s, pages only for what changed and lists what was resolved', async (_layout, layout) => {
    await auditAccount(dependencies(), new Date('2026-03-01T03:00:00Z'));
    // latest.json is a copy of the dated report: the next night reads that text back, and the history.
    const previous = layout(putBody(`${DATED}.json`));
    const history = putBody(HISTORY);
    const before = (JSON.parse(previous) as AuditReport).findings;
    for (const mock of [s3East, sns]) mock.resetHistory();
    uploads.clear();
    s3East.on(GetObjectCommand, LATEST_READ).callsFake(() => ({ Body: Readable.from([previous]) }));
    s3East.on(GetObjectCommand, HISTORY_READ).callsFake(() => ({ Body: Readable.from([history]) }));
    // Overnight: the locked bucket opened up and turned out to be unencrypted; eu-bucket got EventBridge.
    for (const command of [GetBucketPolicyCommand] as const) s3East.on(command, { Bucket: 'locked-bucket' }).rejects(awsError('NoSuchBucketPolicy', 404));
    s3East.on(GetBucketEncryptionCommand, { Bucket: 'locked-bucket' }).rejects(awsError('ServerSideEncryptionConfigurationNotFoundError', 404));
    s3East.on(GetBucketNotificationConfigurationCommand, { Bucket: 'locked-bucket' }).resolves({ EventBridgeConfiguration: {} });
    s3West.on(GetBucketNotificationConfigurationCommand, { Bucket: 'eu-bucket' }).resolves({ EventBridgeConfiguration: {} });

    const outcome = await auditAccount(dependencies(), new Date('2026-03-02T03:00:00Z'));
    expect(outcome.changes).toEqual({ new: 0, changed: 4, resolved: 2, fixed: 0, unchanged: 5 });
    const [document] = published();
    const rows = (document?.findings ?? []).map((item) => [item.change, item.check, item.resource, item.status]);
    // Paged changes come first, then what got better.
    expect(rows.map(([change]) => change)).toEqual(['changed', 'changed', 'changed', 'changed', 'resolved', 'resolved']);
    expect(rows.map((row) => row.join(' ')).sort()).toEqual([
      'changed s3-default-encryption-kms arn:aws:s3:::locked-bucket failed',
      'changed s3-policy-denies-wrong-key arn:aws:s3:::locked-bucket failed',
      'changed s3-sse-c-blocked arn:aws:s3:::locked-bucket failed',
      'changed s3-tls-only-policy arn:aws:s3:::locked-bucket failed',
      'resolved s3-realtime-coverage arn:aws:s3:::eu-bucket passed',
      'resolved s3-realtime-coverage arn:aws:s3:::locked-bucket passed',
    ]);
    expect(document?.summary).toMatchObject({ page: true, severity: 'high', changes: { new: 0, changed: 4, resolved: 2 } });
    // The changed and resolved findings are read back in full (a second pass over latest.json): what they were.
    const earlier = (id: string) => before.find((item) => item.id === id);
    expect(document?.findings.map((item) => item.previous)).toEqual(
      document?.findings.map((item) => ({ status: earlier(item.id)?.status, severity: earlier(item.id)?.severity, observed: earlier(item.id)?.observed })),
    );
    expect(s3East.commandCalls(GetObjectCommand).map((call) => call.args[0].input)).toEqual([LATEST_READ, HISTORY_READ, LATEST_READ]);
    const report = JSON.parse(putBody('encryption-audit/123456789012/2026-03-02/encryption-audit-2026-03-02T030000Z.json')) as AuditReport;
    // Every finding is one the previous report had: first seen the night before (its own, or that run's start).
    expect(report.findings.map((item) => [item.id, item.firstSeen])).toEqual(report.findings.map((item) => [earlier(item.id)?.id, '2026-03-01T03:00:00.000Z']));
    // The history gains this run after the one before it.
    expect(historyEntries(putBody(HISTORY)).map((entry) => [entry['runId'], entry['startedAt'], entry['byStatus']])).toEqual([
      ['2026-03-01T030000Z', '2026-03-01T03:00:00.000Z', { failed: 6, error: 5, fixed: 0, passed: 9, informational: 0 }],
      ['2026-03-02T030000Z', '2026-03-02T03:00:00.000Z', report.summary.byStatus],
    ]);
    expect(report.changes.resolved.map((item) => [item.check, item.resource, item.status, item.observed])).toEqual(
      report.changes.resolved.map((item) => [item.check, item.resource, earlier(item.id)?.status, earlier(item.id)?.observed]),
    );
    expect(report.summary.changes).toEqual({ new: 0, changed: 4, resolved: 2, fixed: 0, unchanged: 5 });
    // A resolved finding keeps the account it was found in (the previous report named it).
    expect(report.changes.resolved.map((item) => item.accountId)).toEqual([ACCOUNT, ACCOUNT]);
    expect(recorded.filter((line) => line.startsWith('no previous'))).toEqual([]);
  });

  it('when the previous findings cannot be read back a second time, the changes still page, sketched from the state', async () => {
    await auditAccount(dependencies(), new Date('2026-03-01T03:00:00Z'));
    const previous = putBody(`${DATED}.json`);
    for (const mock of [s3East, sns]) mock.resetHistory();
    uploads.clear();
    s3East
      .on(GetObjectCommand, LATEST_READ)
      .callsFakeOnce(() => ({ Body: Readable.from([previous]) }))
      .rejects(awsError('SlowDown', 503, 'Please reduce your request rate.'));
    // Overnight: the locked bucket's encryption became readable, and absent; eu-bucket got EventBridge.
    s3East.on(GetBucketEncryptionCommand, { Bucket: 'locked-bucket' }).rejects(awsError('ServerSideEncryptionConfigurationNotFoundError', 404));
    s3West.on(GetBucketNotificationConfigurationCommand, { Bucket: 'eu-bucket' }).resolves({ EventBridgeConfiguration: {} });

    const outcome = await auditAccount(dependencies(), new Date('2026-03-02T03:00:00Z'));
    expect(outcome.changes).toEqual({ new: 0, changed: 2, resolved: 1, fixed: 0, unchanged: 8 });
    expect(outcome.page).toBe(true);
    expect(recorded).toContain(
      'no previous details: GetObject: SlowDown: GetObject failed: SlowDown (HTTP 503): Please reduce your request rate.',
    );
    const [document] = published();
    expect(document?.findings.map((item) => [item.change, item.check, item.resource, item.previous])).toEqual([
      ['changed', 's3-default-encryption-kms', 'arn:aws:s3:::locked-bucket', { status: 'error', severity: 'medium', observed: '(the previous observation could not be read back)' }],
      ['changed', 's3-sse-c-blocked', 'arn:aws:s3:::locked-bucket', { status: 'error', severity: 'medium', observed: '(the previous observation could not be read back)' }],
      ['resolved', 's3-realtime-coverage', 'arn:aws:s3:::eu-bucket', { status: 'failed', severity: 'high', observed: '(the previous observation could not be read back)' }],
    ]);
  });

  it('audits the account a page of buckets at a time, with the same findings as one page', async () => {
    const whole = await auditAccount(dependencies(), new Date('2026-03-01T03:00:00Z'));
    s3East.on(ListBucketsCommand, { MaxBuckets: 1000 }).resolves({
      Buckets: [{ Name: 'good-bucket', BucketRegion: 'us-east-1' }, { Name: 'eu-bucket' }],
      ContinuationToken: 'page-2',
    });
    s3East.on(ListBucketsCommand, { MaxBuckets: 1000, ContinuationToken: 'page-2' }).resolves({
      Buckets: [
        { Name: 'locked-bucket', BucketRegion: 'us-east-1' },
        { Name: 'scratch-bucket', BucketRegion: 'us-east-1' },
      ],
    });
    const paged = await auditAccount(dependencies(), new Date('2026-03-01T03:00:00Z'));
    expect(paged).toEqual(whole);
    expect(s3East.commandCalls(ListBucketsCommand).slice(-2).map((call) => call.args[0].input)).toEqual([{ MaxBuckets: 1000 }, { MaxBuckets: 1000, ContinuationToken: 'page-2' }]);
  });

  it('a page of buckets that cannot be listed fails the run: nothing is written or published, and the retry audits everything', async () => {
    s3East.on(ListBucketsCommand, { MaxBuckets: 1000 }).resolves({ Buckets: [{ Name: 'good-bucket', BucketRegion: 'us-east-1' }], ContinuationToken: 'page-2' });
    s3East.on(ListBucketsCommand, { MaxBuckets: 1000, ContinuationToken: 'page-2' }).rejects(awsError('InternalError', 500));
    await expect(auditAccount(dependencies(), new Date('2026-03-01T03:00:00Z'))).rejects.toMatchObject({ operation: 'ListBuckets', transient: true });
    expect(s3East.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(s3East.commandCalls(CopyObjectCommand)).toHaveLength(0);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('a summary that cannot be published fails the run and leaves the state alone, so the retry pages again', async () => {
    sns.on(PublishCommand).rejects(awsError('InternalError', 500));
    await expect(auditAccount(dependencies(), new Date('2026-03-01T03:00:00Z'))).rejects.toMatchObject({ operation: 'Publish', transient: true });
    // The reports and the history were written before the summary was tried; the retry replaces this run's entry.
    expect(s3East.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key).sort()).toEqual([...REPORT_KEYS(DATED), HISTORY]);
    expect(s3East.commandCalls(CopyObjectCommand)).toHaveLength(0);
  });

  it('a state that cannot be saved is said in the outcome: the report was written and the summary went out', async () => {
    s3East.on(CopyObjectCommand).rejects(awsError('AccessDenied', 403, 'Access Denied'));
    const outcome = await auditAccount(dependencies(), new Date('2026-03-01T03:00:00Z'));
    expect(s3East.commandCalls(CopyObjectCommand).map((call) => call.args[0].input)).toEqual([LATEST_COPY]);
    expect(outcome.reportError).toBe(
      'the state for the next run was not saved (CopyObject: AccessDenied: CopyObject failed: AccessDenied (HTTP 403): Access Denied); it will page these changes again',
    );
    expect(outcome.report).toBeUndefined();
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    expect(published()[0]?.summary.report).toEqual({
      uri: `s3://reports/${DATED}.json`,
      consoleUrl: `${CONSOLE}${encodeURIComponent(`${DATED}.json`)}`,
      html: `${CONSOLE}${encodeURIComponent(`${DATED}.html`)}`,
    });
    expect(recorded).toContain('not written: latest');
  });

  it('a report that cannot be written is said in the summary, which links nothing', async () => {
    s3East.on(PutObjectCommand).rejects(awsError('AccessDenied', 403, 'Access Denied'));
    const outcome = await auditAccount(dependencies(), new Date('2026-03-01T03:00:00Z'));
    expect(outcome.reportError).toBe('PutObject: AccessDenied: PutObject failed: AccessDenied (HTTP 403): Access Denied');
    expect(outcome.report).toBeUndefined();
    const [document] = published();
    expect(document?.summary.report).toBeUndefined();
    expect(document?.summary.reportError).toBe(outcome.reportError);
    expect(recorded).toContain('not written: report');
    // All four reports were tried; neither the history nor the state for the next run was saved.
    expect(s3East.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key).sort()).toEqual(REPORT_KEYS(DATED));
    expect(s3East.commandCalls(CopyObjectCommand)).toHaveLength(0);
  });

  it('applies the fixes POLICY turns on, with the whole request, and reports them as fixed', async () => {
    s3East.on(ListBucketsCommand).resolves({ Buckets: [{ Name: 'plain-bucket', BucketRegion: 'us-east-1' }] });
    s3East.on(GetBucketEncryptionCommand, { Bucket: 'plain-bucket' }).resolves({
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } }] },
    });
    s3East.on(GetBucketPolicyCommand).rejects(awsError('NoSuchBucketPolicy', 404));
    s3East.on(GetBucketNotificationConfigurationCommand).resolves({});
    s3East.on(PutBucketEncryptionCommand).resolves({});
    kms.on(GetKeyRotationStatusCommand).resolves({ KeyRotationEnabled: false });
    kms.on(EnableKeyRotationCommand).resolves({});
    const deps = dependencies({ policy: { settings: { fixes: { ...NO_FIXES, 's3-default-encryption-kms': true, 'kms-key-rotation': true } } } });
    const outcome = await auditAccount(deps, new Date('2026-03-01T03:00:00Z'));
    expect(outcome.findings.fixed).toBe(2);
    expect(s3East.commandCalls(PutBucketEncryptionCommand).map((call) => call.args[0].input)).toEqual([
      {
        Bucket: 'plain-bucket',
        ExpectedBucketOwner: ACCOUNT,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: REQUIRED }, BucketKeyEnabled: true, BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } }],
        },
      },
    ]);
    expect(kms.commandCalls(EnableKeyRotationCommand).map((call) => call.args[0].input)).toEqual([{ KeyId: REQUIRED, RotationPeriodInDays: 365 }]);
    expect(recorded.filter((line) => line.startsWith('fix'))).toEqual(['fix put-bucket-encryption applied', 'fix enable-key-rotation applied']);
    const [document] = published();
    expect(document?.findings.filter((item) => item.change === 'fixed').map((item) => [item.check, item.fix?.before, item.fix?.after])).toEqual([
      ['s3-default-encryption-kms', 'rule 1: SSE-S3 (AES256)', `SSE-KMS with ${REQUIRED}, bucket key on, blocking SSE-C`],
      ['kms-key-rotation', 'automatic rotation is off', 'automatic rotation on, every 365 days'],
    ]);
  });

  it('without REPORTS_BUCKET, writes nothing and compares with nothing', async () => {
    const outcome = await auditAccount(dependencies({ reports: false }), new Date('2026-03-01T03:00:00Z'));
    expect(outcome.report).toBeUndefined();
    expect(s3East.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(s3East.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(s3East.commandCalls(CopyObjectCommand)).toHaveLength(0);
    expect(recorded).toContain('no previous: REPORTS_BUCKET is not set: every failing finding counts as new on every run');
  });
});

describe('run identity', () => {
  it('files a scheduled run under the time it was due, and anything else under now', () => {
    const now = () => new Date('2026-03-05T00:00:00Z');
    expect(scheduledTime({ 'detail-type': 'Scheduled Event', time: '2026-03-01T03:00:00Z' }, now).toISOString()).toBe('2026-03-01T03:00:00.000Z');
    expect(scheduledTime({ time: 'yesterday-ish' }, now).toISOString()).toBe('2026-03-05T00:00:00.000Z');
    expect(scheduledTime(undefined, now).toISOString()).toBe('2026-03-05T00:00:00.000Z');
  });

  it('takes the account from the function ARN', () => {
    expect(accountOfFunctionArn('arn:aws:lambda:us-east-1:123456789012:function:audit')).toBe('123456789012');
    expect(accountOfFunctionArn('not-an-arn')).toBeUndefined();
  });
});
