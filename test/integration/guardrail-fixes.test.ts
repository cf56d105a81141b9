import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateBucketCommand, GetBucketPolicyCommand, GetObjectCommand, PutBucketEncryptionCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOWED_UNDER_BUCKET_GUARDRAILS, operationsAllowedBy } from '../support/guardrail-verdicts.js';
import { DATA_BUCKET, type BucketUnderTest } from '../support/s3-request-matrix.js';
import { awsCliUnavailableReason, runAwsCli } from './support/aws-cli.js';
import { assertCliBuilt, runCli } from './support/cli-process.js';
import { invokeBundle } from './support/invoke-bundle.js';
import { motoClientConfig, motoEnvironment, startMotoServer, TEST_ACCOUNT, type MotoServer } from './support/moto-server.js';

/**
 * The guardrail fixes as they are deployed: the built CLI's dry run prints the exact policy, the built audit
 * bundle writes it into moto, the AWS CLI reads it back as a second client, and the independent IAM evaluator
 * judges what was written over the request matrix (moto stores bucket policies but enforces a conditioned Deny
 * on PutObject as if unconditional, and neither stores nor enforces BlockedEncryptionTypes: what S3 would
 * decide is the evaluator's, and the PutBucketEncryption input is pinned with aws-sdk-client-mock in
 * test/unit/audit/plan-guardrail-fixes.test.ts).
 */

const BUNDLE = resolve('dist', 'audit-encryption', 'index.mjs');
const BUCKET = 'guarded-data';
const LOCKED = 'someone-elses-sid';
const REPORTS = 'audit-reports';
const GUARDRAIL_FIXES = { 's3-policy-denies-wrong-key': true, 's3-tls-only-policy': true, 's3-sse-c-blocked': true };

const PARTNER_GRANT = {
  Sid: 'PartnerRead',
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::444455556666:root' },
  Action: ['s3:GetObject', 's3:ListBucket'],
  Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`],
};
/** Written with odd spacing on purpose: the owner's statement must come back exactly as it was. */
const OWNER_POLICY = `{"Version":"2012-10-17","Id":"owner-policy","Statement":[${JSON.stringify(PARTNER_GRANT)}]}`;

interface Finding {
  check: string;
  resource: string;
  status: string;
  observed: string;
  fix?: { action: string; outcome: string; before: string; after: string; error?: string };
}

const cliMissing = awsCliUnavailableReason();

describe('the guardrail fixes, deployed', () => {
  let moto: MotoServer;
  let s3: S3Client;
  let requiredKey: string;
  let cwd: string;
  let topicArn: string;

  beforeAll(async () => {
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm run build first`);
    assertCliBuilt();
    // eslint-disable-next-line no-console -- one visible line: the second client is missing on this machine
    if (cliMissing) console.warn(`AWS CLI NOT USED as the second client: ${cliMissing}. Policies are read back with the SDK instead.`);
    cwd = mkdtempSync(join(tmpdir(), 'enforcer-guardrails-'));
    moto = await startMotoServer();
    const config = motoClientConfig(moto.endpoint);
    s3 = new S3Client(config);
    const kms = new KMSClient(config);
    requiredKey = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn as string;
    kms.destroy();
    const sns = new SNSClient(config);
    topicArn = (await sns.send(new CreateTopicCommand({ Name: 'encryption-findings' }))).TopicArn as string;
    sns.destroy();
    for (const bucket of [BUCKET, LOCKED, REPORTS]) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const sseS3 = { ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' as const } }] } };
    await s3.send(new PutBucketEncryptionCommand({ Bucket: BUCKET, ...sseS3 }));
    await s3.send(new PutBucketEncryptionCommand({ Bucket: LOCKED, ...sseS3 }));
    await putPolicyAsOwner(BUCKET, OWNER_POLICY);
    // Someone's own statement under a guardrail's Sid: never rewritten, so the fix is refused.
    await putPolicyAsOwner(
      LOCKED,
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'EnforcerDenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:DeleteBucket', Resource: `arn:aws:s3:::${LOCKED}` }] }),
    );
  });

  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  /** The bucket owner's own tool: the AWS CLI where it is installed. */
  const putPolicyAsOwner = async (bucket: string, policy: string): Promise<void> => {
    if (cliMissing) {
      await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy }));
      return;
    }
    const run = await runAwsCli(moto.endpoint, ['s3api', 'put-bucket-policy', '--bucket', bucket, '--policy', policy]);
    expect(run.code, run.stderr).toBe(0);
  };

  const policyOf = async (bucket: string): Promise<string> => {
    if (cliMissing) return (await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy ?? '';
    const run = await runAwsCli(moto.endpoint, ['s3api', 'get-bucket-policy', '--bucket', bucket, '--output', 'json']);
    expect(run.code, run.stderr).toBe(0);
    return (JSON.parse(run.stdout) as { Policy: string }).Policy;
  };

  const environment = (): Record<string, string> => ({
    ...motoEnvironment(moto.endpoint),
    REQUIRED_KMS_KEY: requiredKey,
    POLICY: JSON.stringify({ audit: { fixes: GUARDRAIL_FIXES } }),
  });

  const nightlyRun = async (time: string): Promise<Finding[]> => {
    const run = await invokeBundle('audit-encryption', { source: 'aws.events', 'detail-type': 'Scheduled Event', time, detail: {} }, {
      ...environment(),
      FINDINGS_TOPIC_ARN: topicArn,
      REPORTS_BUCKET: REPORTS,
    });
    expect(run.error, run.stderr).toBeUndefined();
    const { report } = run.result as { report: string };
    const key = report.replace(`s3://${REPORTS}/`, '');
    const { Body } = await s3.send(new GetObjectCommand({ Bucket: REPORTS, Key: key }));
    return (JSON.parse((await Body?.transformToString()) ?? '{}') as { findings: Finding[] }).findings;
  };

  const ofBucket = (findings: readonly Finding[], bucket: string, check: string): Finding | undefined =>
    findings.find((finding) => finding.check === check && finding.resource === `arn:aws:s3:::${bucket}`);

  let printedPolicy = '';

  it('as a dry run (enforcer audit without --apply-fixes), prints the exact policy each bucket would get and writes nothing', async () => {
    const run = await runCli(['audit', '--json'], environment(), cwd);
    expect(run.code, run.stderr).toBe(1);
    const lines = run.stderr.split('\n');
    const planned = lines.findIndex((line) => line.startsWith(`enforcer audit: PutBucketPolicy ${BUCKET}: planned (`));
    expect(planned, run.stderr).toBeGreaterThanOrEqual(0);
    printedPolicy = (lines[planned + 1] ?? '').replace(/^enforcer audit: {3}policy: /, '');
    expect(JSON.parse(printedPolicy)).toMatchObject({ Id: 'owner-policy' });
    expect(run.stderr).toContain(`PutBucketEncryption ${BUCKET}: planned (no encryption type is blocked → SSE-C blocked (BlockedEncryptionTypes), the rule otherwise as they were)`);
    expect(run.stderr).toContain(`PutBucketPolicy ${LOCKED}: refused (the bucket policy already has a statement "EnforcerDenyInsecureTransport" (statement 1) that differs from the guardrail of that name`);
    // Nothing was written: the owner's policy is as the owner wrote it.
    expect(await policyOf(BUCKET)).toBe(OWNER_POLICY);
    const findings = (JSON.parse(run.stdout) as { findings: Finding[] }).findings;
    expect(ofBucket(findings, BUCKET, 's3-tls-only-policy')).toMatchObject({ status: 'failed', fix: { action: 'PutBucketPolicy', outcome: 'planned', before: OWNER_POLICY } });

    // Read as a person does, the summary says fixes wait for --apply-fixes.
    const plannedFixes = findings.filter((finding) => finding.fix?.outcome === 'planned').length;
    const human = await runCli(['audit'], environment(), cwd);
    expect(plannedFixes).toBeGreaterThanOrEqual(3);
    expect(human.stdout).toContain(`${plannedFixes} failing finding(s) have a fix planned (shown above on stderr): run again with --apply-fixes to apply them`);
  });

  it('the nightly run writes exactly that policy: the owner’s statement kept, the guardrails added, and the evaluator judges it as promised', async () => {
    const findings = await nightlyRun('2026-12-04T03:00:00Z');
    const written = await policyOf(BUCKET);
    expect(written).toBe(printedPolicy);

    const document = JSON.parse(written) as { Id: string; Statement: { Sid: string }[] };
    expect(document.Id).toBe('owner-policy');
    expect(document.Statement[0]).toEqual(PARTNER_GRANT);
    expect(document.Statement.map((statement) => statement.Sid)).toEqual([
      'PartnerRead',
      'EnforcerDenyNonKmsEncryption',
      'EnforcerDenyAwsManagedKey',
      'EnforcerDenyOtherKmsKeys',
      'EnforcerDenyInsecureTransport',
    ]);
    for (const check of ['s3-policy-denies-wrong-key', 's3-tls-only-policy']) {
      expect(ofBucket(findings, BUCKET, check), check).toMatchObject({ status: 'fixed', fix: { action: 'PutBucketPolicy', outcome: 'applied', before: OWNER_POLICY } });
    }
    expect(ofBucket(findings, BUCKET, 's3-sse-c-blocked')).toMatchObject({ status: 'fixed', fix: { action: 'PutBucketEncryption', outcome: 'applied' } });
    expect(ofBucket(findings, LOCKED, 's3-tls-only-policy')).toMatchObject({ status: 'failed', fix: { action: 'PutBucketPolicy', outcome: 'refused' } });
    // The reports bucket's policy is its stack's: refused, never written.
    expect(ofBucket(findings, REPORTS, 's3-tls-only-policy')).toMatchObject({ status: 'failed', fix: { outcome: 'refused', error: expect.stringContaining("the audit's reports bucket (REPORTS_BUCKET)") } });
    expect(JSON.parse(await policyOf(LOCKED))).toMatchObject({ Statement: [{ Sid: 'EnforcerDenyInsecureTransport', Action: 's3:DeleteBucket' }] });

    // What S3 would decide for the policy moto now holds, by an evaluator that is not ours.
    const underTest: BucketUnderTest = {
      ...DATA_BUCKET,
      name: BUCKET,
      account: TEST_ACCOUNT,
      requiredKey: { arn: requiredKey, keyId: requiredKey.split('/')[1] ?? '', aliasName: 'alias/guarded', aliasArn: `arn:aws:kms:us-east-1:${TEST_ACCOUNT}:alias/guarded` },
    };
    expect(await operationsAllowedBy(underTest, written, { httpsOnly: true })).toEqual(ALLOWED_UNDER_BUCKET_GUARDRAILS);
  });

  it('the next night changes no policy: both checks pass on what was written', async () => {
    const before = await policyOf(BUCKET);
    const findings = await nightlyRun('2026-12-05T03:00:00Z');
    expect(await policyOf(BUCKET)).toBe(before);
    for (const check of ['s3-policy-denies-wrong-key', 's3-tls-only-policy']) {
      const finding = ofBucket(findings, BUCKET, check);
      expect(finding, check).toMatchObject({ status: 'passed' });
      expect(finding?.fix, check).toBeUndefined();
    }
    expect(ofBucket(findings, BUCKET, 's3-policy-denies-wrong-key')?.observed).toMatch(/; uploads without encryption headers pass and get the bucket default$/);
  });
});
