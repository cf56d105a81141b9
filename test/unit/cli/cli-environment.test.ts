import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../cli/cli-errors.js';
import {
  commandEnvironment,
  connectionOverrides,
  exportSdkOverrides,
  withOverrides,
} from '../../../cli/cli-environment.js';
import { parseS3Uri } from '../../../cli/s3-uri.js';

describe('flags override the functions’ variables', () => {
  it('each flag names one variable', () => {
    expect(
      connectionOverrides(
        { region: 'eu-west-1', profile: 'audit', 'endpoint-url': 'http://127.0.0.1:5000', 'force-path-style': true, 'required-key': 'alias/k', policy: '{}', mode: 'report' },
        'scan',
        '/',
      ),
    ).toEqual({
      AWS_REGION: 'eu-west-1',
      AWS_PROFILE: 'audit',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
      AWS_ENDPOINT_URL_S3: undefined,
      AWS_ENDPOINT_URL_KMS: undefined,
      AWS_ENDPOINT_URL_SNS: undefined,
      S3_FORCE_PATH_STYLE: 'true',
      REQUIRED_KMS_KEY: 'alias/k',
      POLICY: '{}',
      ENFORCEMENT_MODE: 'report',
    });
    expect(connectionOverrides({}, 'scan', '/')).toEqual({});
  });

  it('--policy @FILE reads the policy from a file relative to the working directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'enforcer-policy-'));
    try {
      writeFileSync(join(dir, 'policy.json'), '{"strategy":"copy"}');
      expect(connectionOverrides({ policy: '@policy.json' }, 'scan', dir)).toEqual({ POLICY: '{"strategy":"copy"}' });
      expect(() => connectionOverrides({ policy: '@missing.json' }, 'scan', dir)).toThrow(UsageError);
      expect(() => connectionOverrides({ policy: '@missing.json' }, 'scan', dir)).toThrow(`--policy @missing.json: cannot read ${join(dir, 'missing.json')} (ENOENT)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--endpoint-url replaces service-specific endpoints, which the SDK would otherwise prefer', () => {
    const processEnv: Record<string, string | undefined> = { AWS_ENDPOINT_URL_S3: 'http://old:1', AWS_PROFILE: 'default', HOME: '/root' };
    const env = commandEnvironment(processEnv, connectionOverrides({ 'endpoint-url': 'http://new:2', profile: 'ops', 'required-key': 'alias/k' }, 'scan', '/'));
    expect(processEnv).toEqual({ AWS_ENDPOINT_URL: 'http://new:2', AWS_PROFILE: 'ops', HOME: '/root' });
    expect(env).toEqual({ AWS_ENDPOINT_URL: 'http://new:2', AWS_PROFILE: 'ops', HOME: '/root', REQUIRED_KMS_KEY: 'alias/k' });
  });

  it('only the SDK’s own variables are exported to the process; configuration stays in the command', () => {
    const processEnv: Record<string, string | undefined> = {};
    exportSdkOverrides(processEnv, { REQUIRED_KMS_KEY: 'alias/k', POLICY: '{}', AWS_REGION: 'eu-west-1' });
    expect(processEnv).toEqual({ AWS_REGION: 'eu-west-1' });
    expect(withOverrides({ A: '1', B: '2' }, { B: undefined, C: '3' })).toEqual({ A: '1', C: '3' });
  });

});

describe('S3 URIs', () => {
  it.each([
    ['s3://data-bucket', { bucket: 'data-bucket', path: '' }],
    ['s3://data-bucket/', { bucket: 'data-bucket', path: '' }],
    ['s3://data-bucket/logs/2026/', { bucket: 'data-bucket', path: 'logs/2026/' }],
    ['s3://data-bucket/Q3 résumé + notes.txt', { bucket: 'data-bucket', path: 'Q3 résumé + notes.txt' }],
    ['s3://data-bucket/a%20b', { bucket: 'data-bucket', path: 'a%20b' }],
  ])('%s: keys are taken literally, never URL-decoded', (text, location) => {
    expect(parseS3Uri(text, 'scan')).toEqual(location);
  });

  it.each(['data-bucket', 'https://data-bucket.s3.amazonaws.com/k', 's3://', 's3://UPPER/k', 's3://ab'])('%s is a usage error', (text) => {
    expect(() => parseS3Uri(text, 'scan')).toThrow(UsageError);
  });
});
