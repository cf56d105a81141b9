import { DescribeKeyCommand, EnableKeyRotationCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand, KMSClient, ListAliasesCommand } from '@aws-sdk/client-kms';
import {
  CopyObjectCommand,
  GetBucketEncryptionCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  ListBucketsCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  S3Client,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { BatchImportFindingsCommand, SecurityHubClient, type AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { Buffer } from 'node:buffer';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EXIT } from '../../../cli/exit-codes.js';
import { runCli } from '../../../cli/run-cli.js';
import type { AccountFinding } from '../../../shared/audit/finding.js';
import { PRODUCT } from '../../../shared/product.js';
import { CONTENT_SECURITY_POLICY } from '../../../shared/report-html/page-frame.js';
import { s3Error } from '../../fixtures/aws-errors.js';
import { ACCOUNT, fakeIo, REQUIRED, TOPIC } from './support/fake-io.js';

const s3 = mockClient(S3Client);
const kms = mockClient(KMSClient);
const sns = mockClient(SNSClient);
const securityHub = mockClient(SecurityHubClient);

const KEY_POLICY = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }] });

beforeEach(() => {
  for (const mock of [s3, kms, sns, securityHub]) mock.reset();
  kms.on(DescribeKeyCommand).resolves({
    KeyMetadata: { KeyId: '11111111-1111-1111-1111-111111111111', Arn: REQUIRED, KeyState: 'Enabled', KeyManager: 'CUSTOMER', KeySpec: 'SYMMETRIC_DEFAULT', Origin: 'AWS_KMS' },
  });
  kms.on(GetKeyRotationStatusCommand).resolves({ KeyRotationEnabled: true, RotationPeriodInDays: 365 });
  kms.on(GetKeyPolicyCommand).resolves({ Policy: KEY_POLICY });
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

/** One bucket whose default is SSE-S3: a high finding. */
const givenSseS3Bucket = (): void => {
  s3.on(ListBucketsCommand).resolves({ Buckets: [{ Name: 'data-bucket', BucketRegion: 'us-east-1' }] });
  s3.on(GetBucketEncryptionCommand).resolves({ ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } });
  s3.on(GetBucketPolicyCommand).rejects(s3Error('NoSuchBucketPolicy', 404));
  s3.on(GetBucketNotificationConfigurationCommand).resolves({ EventBridgeConfiguration: {} });
};

const audit = async (argv: string[], env: Record<string, string> = {}, options: { cwd?: string } = {}) => {
  const io = fakeIo({ AWS_REGION: 'us-east-1', REQUIRED_KMS_KEY: REQUIRED, ...env }, options);
  const code = await runCli(['audit', ...argv], io);
  return { code, io };
};

/** What S3 received of each PutObject, read whole as S3 reads it. */
const uploads = new Map<string, Buffer>();
const keepUploads = (): void => {
  uploads.clear();
  s3.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
    const chunks: Buffer[] = [];
    for await (const chunk of input.Body as Readable) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    uploads.set(input.Key as string, Buffer.concat(chunks));
    return {};
  });
};

describe('enforcer audit', () => {
  it('runs the nightly audit and prints the failing findings; nothing is published or written', async () => {
    givenSseS3Bucket();
    const { code, io } = await audit(['--account-id', ACCOUNT]);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(securityHub.calls()).toHaveLength(0);
    expect(io.stdout.text).toMatch(/^Encryption audit of account 123456789012 in us-east-1: 1 bucket\(s\), 1 key\(s\)\n\d+ failing \(1 high, \d+ medium\)/);
    expect(io.stdout.text).toContain('SEVERITY  STATUS  CHECK');
    expect(io.stdout.text).toContain('high      failed  s3-default-encryption-kms   arn:aws:s3:::data-bucket  rule 1: SSE-S3 (AES256)\n');
    expect(io.stdout.text).toContain('\nNot published: pass --publish to send the on-call summary to FINDINGS_TOPIC_ARN.\nReport not kept: pass --reports-bucket BUCKET to keep one.\n');
    expect(io.stderr.text).toBe('');
    expect(code).toBe(EXIT.findings);
  });

  it('without --publish, FINDINGS_TOPIC_ARN is not read: a malformed one does not stop the audit', async () => {
    givenSseS3Bucket();
    const { code, io } = await audit(['--account-id', ACCOUNT], { FINDINGS_TOPIC_ARN: 'not-a-topic' });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    expect(io.stderr.text).toBe('');
    expect(code).toBe(EXIT.findings);
  });

  it('--publish sends the on-call summary to the findings topic', async () => {
    givenSseS3Bucket();
    const { code, io } = await audit(['--account-id', ACCOUNT, '--publish', '--topic-arn', TOPIC]);
    const published = sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ TopicArn: TOPIC, MessageStructure: 'json', MessageAttributes: { kind: { DataType: 'String', StringValue: 'encryption-audit' } } });
    const document = JSON.parse(JSON.parse(published[0]?.Message ?? '{}').sqs) as { summary: { accountId: string; page: boolean } };
    expect(document.summary).toMatchObject({ accountId: ACCOUNT, page: true });
    expect(io.stdout.text).toContain(`Published 1 message(s) to ${TOPIC}.\n`);
    expect(code).toBe(EXIT.findings);
  });

  it('--publish without a topic is a configuration error', async () => {
    const { code, io } = await audit(['--account-id', ACCOUNT, '--publish']);
    expect(io.stderr.text).toBe('enforcer audit: Invalid configuration:\n  - FINDINGS_TOPIC_ARN is not set: give the SNS topic ARN that receives alerts and findings\n');
    expect(s3.calls()).toHaveLength(0);
    expect(code).toBe(EXIT.usage);
  });

  it('--json prints the outcome and every finding', async () => {
    givenSseS3Bucket();
    const { io } = await audit(['--account-id', ACCOUNT, '--json']);
    const document = JSON.parse(io.stdout.text) as { accountId: string; published: number; outcome: { buckets: number }; findings: { check: string; status: string; resource: string }[] };
    expect(document).toMatchObject({ accountId: ACCOUNT, region: 'us-east-1', published: 0, outcome: { buckets: 1, keys: 1 } });
    expect(document.findings).toContainEqual(expect.objectContaining({ check: 's3-default-encryption-kms', status: 'failed', resource: 'arn:aws:s3:::data-bucket' }));
    expect(document.findings.some((finding) => finding.status === 'passed')).toBe(true);
  });

  it('exits 0 when nothing fails', async () => {
    s3.on(ListBucketsCommand).resolves({ Buckets: [] });
    const { code, io } = await audit(['--account-id', ACCOUNT]);
    expect(io.stdout.text).toMatch(/^Encryption audit of account 123456789012 in us-east-1: 0 bucket\(s\), 1 key\(s\)\n0 failing · /);
    expect(code).toBe(EXIT.compliant);
  });

  it('finds the account in the ARNs of the caller’s KMS aliases when not told', async () => {
    s3.on(ListBucketsCommand).resolves({ Buckets: [] });
    kms.on(ListAliasesCommand).resolves({ Aliases: [{ AliasName: 'alias/aws/s3', AliasArn: 'arn:aws:kms:us-east-1:210987654321:alias/aws/s3' }] });
    const { io } = await audit(['--json'], { AWS_ACCOUNT_ID: '' });
    expect(kms.commandCalls(ListAliasesCommand).map((call) => call.args[0].input)).toEqual([{ Limit: 1 }]);
    expect(JSON.parse(io.stdout.text)).toMatchObject({ accountId: '210987654321' });
  });

  it('applies the fixes POLICY allows only with --apply-fixes', async () => {
    const policy = JSON.stringify({ audit: { fixes: { 's3-default-encryption-kms': true } } });
    givenSseS3Bucket();
    s3.on(PutBucketEncryptionCommand).resolves({});
    await audit(['--account-id', ACCOUNT, '--policy', policy]);
    expect(s3.commandCalls(PutBucketEncryptionCommand)).toHaveLength(0);

    const { io } = await audit(['--account-id', ACCOUNT, '--policy', policy, '--apply-fixes']);
    expect(s3.commandCalls(PutBucketEncryptionCommand).map((call) => call.args[0].input)).toEqual([
      {
        Bucket: 'data-bucket',
        ExpectedBucketOwner: ACCOUNT,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: REQUIRED }, BucketKeyEnabled: true }],
        },
      },
    ]);
    expect(io.stderr.text).toContain('enforcer audit: PutBucketEncryption data-bucket: applied');
    expect(kms.commandCalls(EnableKeyRotationCommand)).toHaveLength(0);
  });

  it('--reports-bucket reads the previous report and writes the new one under the required key', async () => {
    s3.on(ListBucketsCommand).resolves({ Buckets: [] });
    s3.on(GetObjectCommand).rejects(s3Error('NoSuchKey', 404));
    keepUploads();
    s3.on(CopyObjectCommand).resolves({});
    const { io } = await audit(['--account-id', ACCOUNT, '--reports-bucket', 'reports-bucket']);
    expect(s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: 'reports-bucket', Key: 'encryption-audit/123456789012/latest.json', ExpectedBucketOwner: ACCOUNT },
      // The account's run history, for the report's trend.
      { Bucket: 'reports-bucket', Key: 'encryption-audit/123456789012/history.jsonl', ExpectedBucketOwner: ACCOUNT },
      // No state for this account: the state from before reports were filed per account is read instead.
      { Bucket: 'reports-bucket', Key: 'encryption-audit/latest.json', ExpectedBucketOwner: ACCOUNT },
    ]);
    // The four reports and the run history, streamed, SSE-KMS under the required key.
    const dated = 'encryption-audit/123456789012/2026-11-22/encryption-audit-2026-11-22T030000Z';
    const history = 'encryption-audit/123456789012/history.jsonl';
    expect(
      s3
        .commandCalls(PutObjectCommand)
        .map((call) => ({ ...call.args[0].input, Body: call.args[0].input.Body instanceof Readable }))
        .sort((a, b) => String(a.Key).localeCompare(String(b.Key))),
    ).toEqual(
      [
        [`${dated}.html`, 'text/html; charset=utf-8'],
        [`${dated}.json`, 'application/json'],
        [`${dated}.md`, 'text/markdown; charset=utf-8'],
        [`${dated}.ocsf.jsonl`, 'application/x-ndjson'],
        [history, 'application/x-ndjson'],
      ].map(([Key, ContentType]) => ({
        Bucket: 'reports-bucket',
        Key,
        Body: true,
        ContentLength: uploads.get(Key as string)?.length,
        ContentType,
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: REQUIRED,
        BucketKeyEnabled: true,
        ExpectedBucketOwner: ACCOUNT,
      })),
    );
    const entries = (uploads.get(history)?.toString('utf8') ?? '').split('\n');
    expect(entries.pop()).toBe('');
    expect(entries.map((line) => JSON.parse(line) as unknown)).toEqual([
      expect.objectContaining({ kind: 'encryption-audit-run', runId: '2026-11-22T030000Z', startedAt: '2026-11-22T03:00:00.000Z', scope: 'account', accountId: ACCOUNT }),
    ]);
    // The state for the next run: a server-side copy of the dated JSON report.
    expect(s3.commandCalls(CopyObjectCommand).map((call) => call.args[0].input)).toEqual([
      {
        Bucket: 'reports-bucket',
        Key: 'encryption-audit/123456789012/latest.json',
        CopySource: 'reports-bucket/encryption-audit/123456789012/2026-11-22/encryption-audit-2026-11-22T030000Z.json',
        MetadataDirective: 'COPY',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: REQUIRED,
        BucketKeyEnabled: true,
        ExpectedBucketOwner: ACCOUNT,
        ExpectedSourceBucketOwner: ACCOUNT,
      },
    ]);
    expect(io.stdout.text).toContain('Report: s3://reports-bucket/encryption-audit/123456789012/2026-11-22/encryption-audit-2026-11-22T030000Z.json\n');
  });

  describe('--html FILE', () => {
    let root: string;
    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), 'audit-command-html-'));
      mkdirSync(join(root, 'tmp'));
      mkdirSync(join(root, 'cwd'));
      // The command's temporary directory goes under here, where the test can see what is left.
      vi.stubEnv('TMPDIR', join(root, 'tmp'));
    });
    afterEach(() => {
      vi.unstubAllEnvs();
      rmSync(root, { recursive: true, force: true });
    });

    it('without --reports-bucket writes the self-contained page to FILE, keeps nothing else, and leaves no temporary directory', async () => {
      givenSseS3Bucket();
      const { code, io } = await audit(['--account-id', ACCOUNT, '--html', 'audit.html'], {}, { cwd: join(root, 'cwd') });
      const file = join(root, 'cwd', 'audit.html');

      const page = readFileSync(file, 'utf8');
      expect(page.startsWith('<!doctype html>\n')).toBe(true);
      expect(page.endsWith('</html>\n')).toBe(true);
      expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY.replaceAll("'", '&#39;')}">`);
      expect(page).toContain(`<title>S3 encryption audit 2026-11-22, account ${ACCOUNT}</title>`);
      expect(page).toContain('<code>arn:aws:s3:::data-bucket</code>');
      expect(page).not.toMatch(/<script/i);
      expect(readdirSync(join(root, 'cwd'))).toEqual(['audit.html']);
      expect(readdirSync(join(root, 'tmp'))).toEqual([]);
      // Nothing went to S3: there is no bucket to keep reports in.
      for (const command of [GetObjectCommand, PutObjectCommand, CopyObjectCommand] as const) expect(s3.commandCalls(command as typeof GetObjectCommand)).toHaveLength(0);
      expect(io.stdout.text).toContain(`\nReport not kept: pass --reports-bucket BUCKET to keep one.\nHTML report: ${file}\n`);
      expect(io.stderr.text).toBe('');
      expect(code).toBe(EXIT.findings);
    });
  });

  describe('--security-hub', () => {
    const START = '2026-11-22T03:00:00.000Z';
    const TYPES = ['Software and Configuration Checks/AWS Security Best Practices'];
    const STATUS = { failed: 'FAILED', error: 'NOT_AVAILABLE', fixed: 'PASSED', passed: 'PASSED', informational: 'PASSED' } as const;

    /** A finding the audit printed, as Security Hub receives it in the finding's region: first seen tonight, never a Workflow. */
    const asff = (finding: AccountFinding): AwsSecurityFinding => {
      const severity = { Label: finding.status === 'failed' || finding.status === 'error' ? finding.severity.toUpperCase() : 'INFORMATIONAL', Original: finding.severity };
      return {
        SchemaVersion: '2018-10-08',
        Id: finding.id,
        ProductArn: `arn:aws:securityhub:${finding.region}:${ACCOUNT}:product/${ACCOUNT}/default`,
        ProductName: PRODUCT.name,
        CompanyName: PRODUCT.vendor,
        GeneratorId: finding.check,
        AwsAccountId: ACCOUNT,
        Types: TYPES,
        CreatedAt: START,
        UpdatedAt: START,
        FirstObservedAt: START,
        LastObservedAt: START,
        Severity: severity,
        FindingProviderFields: { Severity: severity, Types: TYPES },
        Title: finding.title,
        Description: `Observed: ${finding.observed}; expected: ${finding.expected}`,
        Remediation: { Recommendation: { Text: finding.remediation } },
        ProductFields: {
          ProviderName: PRODUCT.name,
          ProviderVersion: PRODUCT.version,
          check: finding.check,
          status: finding.status,
          observed: finding.observed,
          expected: finding.expected,
          ...(finding.related?.length ? { relatedResources: finding.related.join(', '), relatedResourceCount: String(finding.related.length) } : {}),
        },
        Resources: [
          {
            Type: finding.resourceType,
            Id: finding.resource,
            Partition: 'aws',
            Region: finding.region,
            // A key's id is in its ARN; nothing else about a resource is stated.
            ...(finding.resource === REQUIRED ? { Details: { AwsKmsKey: { KeyId: '11111111-1111-1111-1111-111111111111' } } } : {}),
          },
        ],
        Compliance: { Status: STATUS[finding.status], ...(finding.controls.length > 0 ? { RelatedRequirements: [...finding.controls] } : {}) },
        RecordState: 'ACTIVE',
      } as AwsSecurityFinding;
    };

    it('imports every finding into Security Hub in its own region, one region after another, and says how each went on stderr', async () => {
      // The bucket is in eu-west-1, the required key in us-east-1: two regions, each with its findings.
      givenSseS3Bucket();
      s3.on(ListBucketsCommand).resolves({ Buckets: [{ Name: 'data-bucket', BucketRegion: 'eu-west-1' }] });
      securityHub.on(BatchImportFindingsCommand).callsFake((input: { Findings: unknown[] }) => ({ SuccessCount: input.Findings.length, FailedCount: 0, FailedFindings: [] }));

      const { code, io } = await audit(['--account-id', ACCOUNT, '--security-hub', '--json']);

      const { findings } = JSON.parse(io.stdout.text) as { findings: AccountFinding[] };
      const printed = (check: string, resource: string): AccountFinding => {
        const found = findings.find((finding) => finding.check === check && finding.resource === resource);
        if (!found) throw new Error(`no ${check} finding of ${resource} was printed`);
        return found;
      };
      const calls = securityHub.commandCalls(BatchImportFindingsCommand);
      expect(calls).toHaveLength(2);
      // eu-west-1 first: the bucket's findings, in the order the audit made them.
      expect(calls[0]?.args[0].input).toEqual({
        Findings: ['s3-default-encryption-kms', 's3-sse-c-blocked', 's3-tls-only-policy', 's3-policy-denies-wrong-key', 's3-realtime-coverage', 'kms-key-state'].map((check) =>
          asff(printed(check, 'arn:aws:s3:::data-bucket')),
        ),
      });
      expect(calls[0]?.args[0].input.Findings?.map((finding) => [finding.Id, finding.ProductArn, finding.GeneratorId, finding.Compliance?.Status, finding.RecordState])).toEqual([
        ['s3-default-encryption-kms/c6965e37452fbcd182df', `arn:aws:securityhub:eu-west-1:${ACCOUNT}:product/${ACCOUNT}/default`, 's3-default-encryption-kms', 'FAILED', 'ACTIVE'],
        ['s3-sse-c-blocked/04b22f0259a1c8a30933', `arn:aws:securityhub:eu-west-1:${ACCOUNT}:product/${ACCOUNT}/default`, 's3-sse-c-blocked', 'FAILED', 'ACTIVE'],
        ['s3-tls-only-policy/5a4fd5b10534e532c2f9', `arn:aws:securityhub:eu-west-1:${ACCOUNT}:product/${ACCOUNT}/default`, 's3-tls-only-policy', 'FAILED', 'ACTIVE'],
        ['s3-policy-denies-wrong-key/97a88bc1909dd15ab615', `arn:aws:securityhub:eu-west-1:${ACCOUNT}:product/${ACCOUNT}/default`, 's3-policy-denies-wrong-key', 'FAILED', 'ACTIVE'],
        ['s3-realtime-coverage/2c3d67e9b53c613c0ee8', `arn:aws:securityhub:eu-west-1:${ACCOUNT}:product/${ACCOUNT}/default`, 's3-realtime-coverage', 'PASSED', 'ACTIVE'],
        ['kms-key-state/b5a89ae829b177f37851', `arn:aws:securityhub:eu-west-1:${ACCOUNT}:product/${ACCOUNT}/default`, 'kms-key-state', 'FAILED', 'ACTIVE'],
      ]);
      // Then us-east-1: the key's findings (whose checks end in whatever order KMS answers).
      const byGenerator = (a: AwsSecurityFinding, b: AwsSecurityFinding) => String(a.GeneratorId).localeCompare(String(b.GeneratorId));
      expect({ Findings: [...(calls[1]?.args[0].input.Findings ?? [])].sort(byGenerator) }).toEqual({
        Findings: ['kms-key-role-separation', 'kms-key-rotation', 'kms-key-state'].map((check) => asff(printed(check, REQUIRED))),
      });
      // The audit never sets a finding's workflow: that is whoever works the finding.
      expect(calls.flatMap((call) => call.args[0].input.Findings ?? []).filter((finding) => 'Workflow' in finding)).toEqual([]);

      expect(io.stderr.text).toBe('enforcer audit: Security Hub eu-west-1: 6 finding(s) imported\nenforcer audit: Security Hub us-east-1: 3 finding(s) imported\n');
      // Each region's import is a finding of its own.
      expect(findings.filter((finding) => finding.check === 'securityhub-import').map((finding) => [finding.resource, finding.region, finding.status, finding.observed])).toEqual([
        [`arn:aws:securityhub:eu-west-1:${ACCOUNT}:hub/default`, 'eu-west-1', 'passed', '6 imported'],
        [`arn:aws:securityhub:us-east-1:${ACCOUNT}:hub/default`, 'us-east-1', 'passed', '3 imported'],
      ]);
      expect(code).toBe(EXIT.findings);
    });

    it('POLICY.audit.securityHub turns the import on without the flag', async () => {
      s3.on(ListBucketsCommand).resolves({ Buckets: [] });
      securityHub.on(BatchImportFindingsCommand).callsFake((input: { Findings: unknown[] }) => ({ SuccessCount: input.Findings.length, FailedCount: 0, FailedFindings: [] }));
      const { io } = await audit(['--account-id', ACCOUNT, '--policy', JSON.stringify({ audit: { securityHub: true } })]);
      expect(securityHub.commandCalls(BatchImportFindingsCommand).map((call) => call.args[0].input.Findings?.map((finding) => [finding.GeneratorId, finding.ProductArn]).sort())).toEqual([
        [
          ['kms-key-role-separation', `arn:aws:securityhub:us-east-1:${ACCOUNT}:product/${ACCOUNT}/default`],
          ['kms-key-rotation', `arn:aws:securityhub:us-east-1:${ACCOUNT}:product/${ACCOUNT}/default`],
          ['kms-key-state', `arn:aws:securityhub:us-east-1:${ACCOUNT}:product/${ACCOUNT}/default`],
        ],
      ]);
      expect(io.stderr.text).toBe('enforcer audit: Security Hub us-east-1: 3 finding(s) imported\n');
    });
  });

  it('an account that cannot be listed stops the audit with exit 3', async () => {
    s3.on(ListBucketsCommand).rejects(s3Error('AccessDenied', 403, 'Access Denied'));
    const { code, io } = await audit(['--account-id', ACCOUNT]);
    expect(io.stderr.text).toBe('enforcer audit: ListBuckets failed: AccessDenied (HTTP 403): Access Denied\n');
    expect(code).toBe(EXIT.failure);
  });
});
