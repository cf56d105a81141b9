import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  CopyObjectCommand,
  GetBucketOwnershipControlsCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeS3Key } from '../../../shared/core/decode-s3-key.js';
import { kmsError, s3Error } from '../../fixtures/aws-errors.js';
import { s3Notification, s3Record, sqsEvent, sqsMessage } from '../../fixtures/events.js';
import { markdownTable, publishReliabilitySection } from '../../fixtures/reliability-report.js';
import { KEY_ARN, captureOutput, lambdaContext, loadHandler } from '../../fixtures/enforce-handler-harness.js';

/**
 * Security properties, as tests: what the function writes to its logs and alerts, how it refuses a
 * configuration it cannot trust, and what it ships.
 */

const s3 = mockClient(S3Client);
const kms = mockClient(KMSClient);
const sns = mockClient(SNSClient);

const CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIARELIABILITY7QX2',
  AWS_SECRET_ACCESS_KEY: 'secret-reliability-4f1e9c2b7d0a6e3f5b8c1d9e2f7a4b6c',
  AWS_SESSION_TOKEN: 'token-reliability-IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH',
};
const BODY_MARKER = 'OBJECT-BODY-MARKER-5e2a9d';
const POLICY_MARKERS = ['policy-marker-exempt-91c2', 'policy-marker-override-4d7e', 'policy-marker-prefix-x3k9/'];
const checks: { area: string; check: string; result: string }[] = [];
let pending: { area: string; check: string }[] = [];
let testsRun = 0;
/** Names what the running test checks; its result is filled in when the test ends. */
const record = (area: string, check: string) => pending.push({ area, check });

beforeEach(() => {
  s3.reset();
  kms.reset();
  sns.reset();
  kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', Arn: KEY_ARN, KeyState: 'Enabled', KeyManager: 'CUSTOMER' } });
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
  s3.on(GetBucketOwnershipControlsCommand).resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: 'ObjectWriter' }] } });
  s3.on(GetObjectAclCommand).resolves({ Grants: [{ Grantee: { Type: 'CanonicalUser', ID: 'owner' }, Permission: 'FULL_CONTROL' }] });
  // Were the function ever to read an object, this is what it would get.
  s3.on(GetObjectCommand).resolves({ Body: BODY_MARKER as never });
});
afterEach((context) => {
  vi.unstubAllEnvs();
  const result = context.task.result?.state === 'fail' ? 'FAIL' : 'pass';
  checks.push(...pending.map((item) => ({ ...item, result })));
  pending = [];
  testsRun += 1;
});

const everythingSent = (): string =>
  [...sns.commandCalls(PublishCommand).map((call) => JSON.stringify(call.args[0].input))].join('\n');

describe('logs and alerts', () => {
  it('never carry credentials or object bytes, whatever happens to the objects', async () => {
    record('logs', 'no AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN value in any log line, thrown error or SNS alert (remediated, denied, SSE-C and unreadable records)');
    record('logs', 'no object bytes: the function never calls GetObject, and an unreadable body is described by its length only');
    s3.on(HeadObjectCommand, { Key: 'plain.txt' }).resolves({ ETag: '"e"', ContentLength: 10, Metadata: { note: 'kept' } });
    s3.on(HeadObjectCommand, { Key: 'denied.txt' }).resolves({ ETag: '"d"', ContentLength: 10 });
    s3.on(HeadObjectCommand, { Key: 'secret.bin' }).rejects(s3Error('BadRequest', 400));
    s3.on(CopyObjectCommand, { Key: 'plain.txt' }).resolves({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY_ARN, BucketKeyEnabled: true });
    s3.on(CopyObjectCommand, { Key: 'denied.txt' }).rejects(s3Error('AccessDenied', 403, `User: arn:aws:sts::123456789012:assumed-role/enforcer is not authorized`));
    const handler = await loadHandler(CREDENTIALS);
    const event = sqsEvent(
      sqsMessage('m-1', s3Notification(s3Record({ key: 'plain.txt' }))),
      sqsMessage('m-2', s3Notification(s3Record({ key: 'denied.txt' }))),
      sqsMessage('m-3', s3Notification(s3Record({ key: 'secret.bin' }))),
      sqsMessage('m-4', `{"Records": [ ${BODY_MARKER} ]`),
    );
    const run = await captureOutput(() => handler(event, lambdaContext));
    const direct = await captureOutput(() => handler(s3Notification(s3Record({ key: 'denied.txt' })), lambdaContext));

    expect(run.value).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-4' }, { itemIdentifier: 'm-2' }] });
    expect(direct.error?.message).toMatch(/AccessDenied/);
    expect(run.lines.length).toBeGreaterThanOrEqual(4);
    const written = [run.text, direct.text, direct.error?.message ?? '', everythingSent()].join('\n');
    for (const secret of Object.values(CREDENTIALS)) expect(written).not.toContain(secret);
    expect(written).not.toContain(BODY_MARKER);
    expect(s3).not.toHaveReceivedCommand(GetObjectCommand);
  });

  it('name only the policy rule that applies, and never print POLICY', async () => {
    record('logs', 'POLICY is never printed; an exempt object\'s line names only the prefix that exempts it, no other rule');
    const policy = JSON.stringify({
      exemptions: [{ bucket: POLICY_MARKERS[0] }, { bucket: 'photos-bucket', prefix: 'scratch/' }],
      overrides: [{ bucket: POLICY_MARKERS[1], prefix: POLICY_MARKERS[2], requiredKey: 'alias/finance' }],
    });
    kms.on(DescribeKeyCommand, { KeyId: 'alias/finance' }).resolves({ KeyMetadata: { KeyId: 'f', Arn: KEY_ARN.replace('1234abcd', 'fffffff1'), KeyState: 'Enabled', KeyManager: 'CUSTOMER' } });
    s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 10, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY_ARN });
    const handler = await loadHandler({ POLICY: policy });
    const run = await captureOutput(() =>
      handler(sqsEvent(sqsMessage('m-1', s3Notification(s3Record({ key: 'scratch/tmp.txt' }), s3Record({ key: 'photos/a.jpg' })))), lambdaContext),
    );
    expect(run.error).toBeUndefined();
    const exempt = run.lines.find((line) => line['key'] === 'scratch/tmp.txt');
    expect(exempt).toMatchObject({ outcome: 'skipped', reason: 'exempt', detail: 'exempt by policy (prefix "scratch/")' });
    expect(run.text).not.toContain(policy);
    for (const marker of POLICY_MARKERS) expect(run.text).not.toContain(marker);
  });

  it('a configuration error quotes POLICY no further than the place it cannot read', async () => {
    record('logs', 'a POLICY that cannot be read is quoted only around the error (Node\'s JSON error window), an unknown field by its name only');
    const marker = 'policy-marker-far-away-0b7d';
    const broken = `{"exemptions": [{"bucket": "${marker}"}], "overrides": [], "strategy": "auto", "priorVersions": "retain" oops}`;
    const error = await loadHandler({ POLICY: broken }).then(
      () => undefined,
      (thrown: unknown) => thrown as Error,
    );
    expect(error?.message).toMatch(/^Invalid configuration:\n {2}- POLICY is not valid JSON: /);
    expect(error?.message).not.toContain(marker);
    const unknown = await loadHandler({ POLICY: JSON.stringify({ exemptoins: [{ bucket: marker }] }) }).then(
      () => undefined,
      (thrown: unknown) => thrown as Error,
    );
    expect(unknown?.message).toContain('POLICY has an unknown field "exemptoins"');
    expect(unknown?.message).not.toContain(marker);
  });
});

interface ClosedCase {
  readonly name: string;
  readonly env: Record<string, string>;
  readonly message: string | RegExp;
  /** Fails at the first invocation (key resolution), not at module load. */
  readonly atFirstInvocation?: boolean;
  readonly arrange?: () => void;
}

const FAIL_CLOSED: readonly ClosedCase[] = [
  { name: 'unknown POLICY field', env: { POLICY: '{"strategy":"auto","exemptoins":[]}' }, message: 'POLICY has an unknown field "exemptoins" (allowed: strategy, priorVersions, bucketKey, acceptDsseKms, exemptions, overrides, audit)' },
  { name: 'malformed POLICY', env: { POLICY: '{"strategy": "auto",' }, message: /POLICY is not valid JSON/ },
  { name: 'POLICY that is not an object', env: { POLICY: '["auto"]' }, message: 'POLICY must be a JSON object' },
  { name: 'unknown POLICY value', env: { POLICY: '{"strategy":"sometimes"}' }, message: 'POLICY.strategy must be one of "auto", "update", "copy"' },
  { name: 'missing findings topic', env: { FINDINGS_TOPIC_ARN: '' }, message: 'FINDINGS_TOPIC_ARN is not set: give the SNS topic ARN that receives alerts and findings' },
  { name: 'findings topic that is not a topic ARN', env: { FINDINGS_TOPIC_ARN: 'encryption-findings' }, message: 'FINDINGS_TOPIC_ARN "encryption-findings" is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)' },
  { name: 'missing required key', env: { REQUIRED_KMS_KEY: '' }, message: 'REQUIRED_KMS_KEY is not set' },
  { name: 'required key that is no key reference', env: { REQUIRED_KMS_KEY: 'my key' }, message: 'REQUIRED_KMS_KEY: "my key" is not a KMS key ARN, key id, alias name (alias/…) or alias ARN' },
  { name: 'AWS-managed required key', env: { REQUIRED_KMS_KEY: 'alias/aws/s3' }, message: 'REQUIRED_KMS_KEY: "alias/aws/s3" is an AWS-managed key; name a customer-managed key you control' },
  { name: 'unknown enforcement mode', env: { ENFORCEMENT_MODE: 'enforcing' }, message: 'ENFORCEMENT_MODE must be "enforce" or "report", not "enforcing"' },
  { name: 'missing region', env: { AWS_REGION: '', AWS_DEFAULT_REGION: '' }, message: 'AWS_REGION is not set' },
  {
    name: 'unknown KMS key',
    env: { REQUIRED_KMS_KEY: 'alias/does-not-exist' },
    message: 'KMS key "alias/does-not-exist" does not exist in this account and region, or this function may not describe it',
    atFirstInvocation: true,
    arrange: () => kms.on(DescribeKeyCommand).rejects(kmsError('NotFoundException')),
  },
  {
    name: 'an AWS-managed key behind a customer alias',
    env: { REQUIRED_KMS_KEY: 'alias/looks-like-mine' },
    message: /KMS key "alias\/looks-like-mine" is AWS-managed/,
    atFirstInvocation: true,
    arrange: () => kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', Arn: KEY_ARN, KeyState: 'Enabled', KeyManager: 'AWS' } }),
  },
];

describe('configuration fails closed', () => {
  it.each(FAIL_CLOSED)('$name: a clear error before any object is touched', async ({ name, env, message, atFirstInvocation, arrange }) => {
    const shown = typeof message === 'string' ? message : message.source.replace(/\\\//g, '/');
    record('configuration', `${name} → ${atFirstInvocation ? 'every invocation (SQS, direct, Batch Operations) rejects' : 'cold start throws'}: \`${shown}\`; no S3 or SNS call`);
    arrange?.();
    s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 1 });
    const loading = loadHandler(env);
    if (!atFirstInvocation) {
      await expect(loading).rejects.toThrow(message);
    } else {
      const handler = await loading;
      for (const event of [
        sqsEvent(sqsMessage('m-1', s3Notification(s3Record({ key: encodeS3Key('a b.txt') })))),
        s3Notification(s3Record({ key: 'a.txt' })),
        { invocationSchemaVersion: '2.0', invocationId: 'i', job: { id: 'j' }, tasks: [{ taskId: 't', s3Key: 'a.txt', s3Bucket: 'photos-bucket' }] },
      ]) {
        const run = await captureOutput(() => handler(event, lambdaContext));
        // Rejecting the whole invocation: not one record is acknowledged under a key nobody meant.
        expect(run.error?.message).toMatch(message);
      }
    }
    expect(s3.calls()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });
});

/** Bare package names the function code imports at run time (type-only imports excluded). */
const runtimeImports = (roots: readonly string[]): Set<string> => {
  const found = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.ts')) {
        const source = readFileSync(path, 'utf8');
        const specifiers = [
          ...[...source.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'";]*?from\s+['"]([^'"]+)['"]/gm)].map((match) => match[1]),
          ...[...source.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)].map((match) => match[1]),
          ...[...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((match) => match[1]),
        ];
        for (const specifier of specifiers) {
          if (!specifier || specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
          const parts = specifier.split('/');
          found.add(specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? specifier));
        }
      }
    }
  };
  for (const root of roots) walk(root);
  return found;
};

describe('what the functions ship', () => {
  const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

  it('runtime dependencies are exactly what the function code imports', () => {
    const imported = runtimeImports(['functions', 'shared']);
    record('dependencies', `runtime dependencies (${Object.keys(manifest.dependencies).sort().join(', ')}) = the packages functions/ and shared/ import at run time (${[...imported].sort().join(', ')})`);
    expect([...imported].sort()).toEqual(Object.keys(manifest.dependencies).sort());
  });

  it('every dependency is pinned to one exact version, and that version is the one installed', () => {
    record('dependencies', `all ${Object.keys(manifest.dependencies).length} dependencies and ${Object.keys(manifest.devDependencies).length} devDependencies pinned exactly (no ^, ~, ranges or tags); the installed runtime versions match`);
    const exact = /^\d+\.\d+\.\d+$/;
    for (const [name, version] of Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })) {
      expect(version, `${name} must be pinned exactly`).toMatch(exact);
    }
    for (const [name, version] of Object.entries(manifest.dependencies)) {
      const installed = JSON.parse(readFileSync(join('node_modules', name, 'package.json'), 'utf8')) as { version: string };
      expect(installed.version, `${name} installed`).toBe(version);
    }
  });
});

afterAll(() => {
  if (testsRun < 3 + FAIL_CLOSED.length + 2) return; // a filtered run: keep the last full list
  const failing = checks.filter((check) => check.result !== 'pass').length;
  publishReliabilitySection(
    'security',
    [
      `**${checks.length} checks, ${failing} failing.**`,
      '',
      'Checked through the real handler with aws-sdk-client-mock (distinctive credential values in the environment, a distinctive',
      'marker as the body any GetObject would return); the integration tier repeats the log checks on moto with the built bundle.',
      '',
      markdownTable(['area', 'check', 'result'], checks.map((check) => [check.area, check.check, check.result])),
    ].join('\n'),
  );
});
