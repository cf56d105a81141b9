import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esbuildOptions, functionNames } from '../../../infra/build.mjs';
import { UsageError } from '../../../cli/cli-errors.js';
import { errorCode } from '../../../shared/adapters/aws-error.js';
import { AwsCallError, ConfigurationError } from '../../../shared/errors.js';

// Lambda logs a cold-start failure under the error's `name`; in a minified bundle a name read from
// the constructor is a two-letter identifier. Built here with the project's options, so the test
// never reads a stale dist/.

interface ThrownAtImport {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly stack?: string;
}

/** Each function's bundle with a configuration it must refuse, and the settings the refusal names. */
const BAD_CONFIGURATION: Record<string, { env: Record<string, string>; names: string[] }> = {
  'enforce-object-encryption': {
    env: { REQUIRED_KMS_KEY: '', ENFORCEMENT_MODE: 'sometimes', FINDINGS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:findings', AWS_REGION: 'eu-west-1' },
    names: ['REQUIRED_KMS_KEY', 'ENFORCEMENT_MODE'],
  },
  'audit-encryption': {
    env: { REQUIRED_KMS_KEY: '', AUDIT_CONCURRENCY: 'lots', FINDINGS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:findings', AWS_REGION: 'eu-west-1' },
    names: ['REQUIRED_KMS_KEY', 'AUDIT_CONCURRENCY'],
  },
  'list-organization-accounts': {
    env: { REQUIRED_KMS_KEY: 'alias/data', AWS_REGION: 'eu-west-1', REPORTS_BUCKET: 'org-reports', REPORTS_KMS_KEY_ARN: 'alias/reports', ORGANIZATION_OUS: 'ou-nope' },
    names: ['REPORTS_KMS_KEY_ARN', 'ORGANIZATION_OUS'],
  },
  'audit-member-account': {
    env: { REQUIRED_KMS_KEY: 'alias/data', AWS_REGION: 'eu-west-1', REPORTS_KMS_KEY_ARN: 'arn:aws:kms:eu-west-1:123456789012:key/1', AUDIT_REGIONS: 'eu-west-1,mars' },
    names: ['REPORTS_BUCKET', 'AUDIT_REGIONS'],
  },
  'merge-organization-audit': {
    env: { REQUIRED_KMS_KEY: 'alias/data', AWS_REGION: 'eu-west-1', FINDINGS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:findings', REPORTS_BUCKET: 'org-reports', REPORTS_KMS_KEY_ARN: 'arn:aws:kms:eu-west-1:123456789012:key/1', MEMBER_ROLE_NAME: 'no spaces allowed', AUDIT_CONCURRENCY: '0' },
    names: ['MEMBER_ROLE_NAME', 'AUDIT_CONCURRENCY'],
  },
};

const RUNNER = `
import { writeFileSync } from 'node:fs';
const [bundle, outFile] = process.argv.slice(2);
try {
  await import(bundle);
  writeFileSync(outFile, JSON.stringify({ loaded: true }));
} catch (error) {
  writeFileSync(outFile, JSON.stringify({ thrown: { name: error?.name, message: error?.message, code: error?.code, stack: error?.stack } }));
}
`;

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'enforcer-bundle-errors-'));
  writeFileSync(join(dir, 'runner.mjs'), RUNNER);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Imports a bundle from its file in a fresh Node process, as Lambda does at cold start. */
const importBundle = async (bundle: string, env: Record<string, string>): Promise<{ loaded?: boolean; thrown?: ThrownAtImport }> => {
  const outFile = join(dir, `outcome-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  const child = spawn(process.execPath, [join(dir, 'runner.mjs'), bundle, outFile], {
    env: { PATH: process.env['PATH'] ?? '', POWERTOOLS_METRICS_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.once('close', done));
  try {
    return JSON.parse(readFileSync(outFile, 'utf8')) as { loaded?: boolean; thrown?: ThrownAtImport };
  } catch {
    throw new Error(`importing ${bundle} ended with code ${code} and no outcome:\n${stderr}`);
  }
};

describe('error names in the minified function bundles', () => {
  it.each(functionNames())('%s refuses a bad configuration at cold start with a ConfigurationError, by that name', async (name: string) => {
    const bad = BAD_CONFIGURATION[name];
    if (!bad) throw new Error(`no bad configuration for ${name}: add one to BAD_CONFIGURATION`);
    // Written as the build writes it: the entry, index.mjs, with its chunks beside it.
    const outdir = join(dir, name);
    await build({ ...esbuildOptions(name), outdir, logLevel: 'error' });

    const { thrown } = await importBundle(join(outdir, 'index.mjs'), bad.env);

    expect(thrown?.name).toBe('ConfigurationError');
    expect(thrown?.code).toBe('InvalidConfiguration');
    expect(thrown?.stack?.startsWith('ConfigurationError: Invalid configuration')).toBe(true);
    for (const setting of bad.names) expect(thrown?.message).toContain(setting);
    expect(thrown?.message).not.toContain('FINDINGS_TOPIC_ARN');
  }, 30_000);
});

describe('error classes', () => {
  it('each carries its class name as a literal and forwards its cause', () => {
    const cause = new Error('socket hang up');
    const errors = [new ConfigurationError(['REQUIRED_KMS_KEY is not set']), new AwsCallError('HeadObject', 'InternalError', 500, true, 'try again', { cause }), new UsageError('unknown flag --x', 'scan')];

    expect(errors.map((error) => error.name)).toEqual([ConfigurationError.name, AwsCallError.name, UsageError.name]);
    expect(errors[1]?.cause).toBe(cause);
  });

  it('an AWS error already wrapped is still known by its AWS code, not by the class name', () => {
    expect(errorCode(new AwsCallError('AbortMultipartUpload', 'NoSuchUpload', 404, false, 'gone'))).toBe('NoSuchUpload');
  });
});
