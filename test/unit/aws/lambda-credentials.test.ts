import { build, type BuildOptions } from 'esbuild';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cliEsbuildOptions, esbuildOptions, functionNames } from '../../../infra/build.mjs';
import { CREDENTIALS_MISSING, defaultProvider } from '../../../shared/aws/lambda-credentials.js';

const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_PROFILE',
];

/** A container credentials endpoint on a loopback port, answering as Lambda's and ECS's do. */
const startContainerEndpoint = async (): Promise<{ server: Server; url: string; requests: IncomingHttpHeaders[] }> => {
  const requests: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    requests.push(request.headers);
    response.setHeader('content-type', 'application/json');
    response.end(
      JSON.stringify({
        AccessKeyId: 'ASIACONTAINER',
        SecretAccessKey: 'container-secret',
        Token: 'container-token',
        Expiration: new Date(Date.now() + 3_600_000).toISOString(),
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/credentials`, requests };
};

describe('credentials as Lambda supplies them', () => {
  beforeEach(() => {
    for (const name of CREDENTIAL_VARIABLES) vi.stubEnv(name, undefined);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("reads the execution role's temporary credentials from the environment", async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAEXECUTIONROLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'role-secret');
    vi.stubEnv('AWS_SESSION_TOKEN', 'role-token');

    await expect(defaultProvider()()).resolves.toMatchObject({
      accessKeyId: 'ASIAEXECUTIONROLE',
      secretAccessKey: 'role-secret',
      sessionToken: 'role-token',
    });
  });

  it('reads the environment again at each resolution, so a refreshed set is used', async () => {
    const provider = defaultProvider();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAFIRST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'first-secret');
    await expect(provider()).resolves.toMatchObject({ accessKeyId: 'ASIAFIRST' });
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIASECOND');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'second-secret');
    await expect(provider()).resolves.toMatchObject({ accessKeyId: 'ASIASECOND', secretAccessKey: 'second-secret' });
  });

  it('asks the container endpoint, with its authorization token, when the environment holds no keys', async () => {
    const endpoint = await startContainerEndpoint();
    try {
      vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', endpoint.url);
      vi.stubEnv('AWS_CONTAINER_AUTHORIZATION_TOKEN', 'endpoint-token');

      const credentials = await defaultProvider()();

      expect(credentials).toMatchObject({ accessKeyId: 'ASIACONTAINER', secretAccessKey: 'container-secret', sessionToken: 'container-token' });
      expect(credentials.expiration).toBeInstanceOf(Date);
      expect(endpoint.requests).toHaveLength(1);
      expect(endpoint.requests[0]?.authorization).toBe('endpoint-token');
    } finally {
      endpoint.server.close();
    }
  });

  it('prefers the environment to the container endpoint', async () => {
    const endpoint = await startContainerEndpoint();
    try {
      vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', endpoint.url);
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAEXECUTIONROLE');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'role-secret');

      await expect(defaultProvider()()).resolves.toMatchObject({ accessKeyId: 'ASIAEXECUTIONROLE' });
      expect(endpoint.requests).toHaveLength(0);
    } finally {
      endpoint.server.close();
    }
  });

  it('fails naming the variables it reads when there are none, even with a profile set', async () => {
    vi.stubEnv('AWS_PROFILE', 'operator');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAHALF');

    await expect(defaultProvider()()).rejects.toThrow(CREDENTIALS_MISSING);
    expect(CREDENTIALS_MISSING).toContain('AWS_ACCESS_KEY_ID');
    expect(CREDENTIALS_MISSING).toContain('AWS_SECRET_ACCESS_KEY');
    expect(CREDENTIALS_MISSING).toContain('AWS_CONTAINER_CREDENTIALS_FULL_URI');
  });
});

describe('which credential chain each bundle carries', () => {
  /** The sources in any file of the bundle: a function's entry and every chunk, or the CLI's one file. */
  const bundledInputs = async (options: BuildOptions): Promise<string[]> => {
    const result = await build({ ...options, write: false, logLevel: 'error' });
    return [...new Set(Object.values(result.metafile?.outputs ?? {}).flatMap((output) => Object.keys(output.inputs)))];
  };
  const fromPackage = (inputs: string[], name: string) => inputs.filter((input) => input.includes(`node_modules/${name}/`));

  it.each(functionNames())('%s takes credentials as Lambda supplies them, without the SDK default chain', async (name: string) => {
    const inputs = await bundledInputs(esbuildOptions(name));

    expect(inputs).toContain('shared/aws/lambda-credentials.ts');
    expect(fromPackage(inputs, '@aws-sdk/credential-provider-node')).toEqual([]);
    expect(fromPackage(inputs, '@aws-sdk/credential-provider-ini')).toEqual([]);
    expect(fromPackage(inputs, '@aws-sdk/nested-clients')).toEqual([]);
  });

  it('the enforcer CLI keeps the whole chain: profiles, SSO and web identity', async () => {
    const inputs = await bundledInputs(cliEsbuildOptions());

    expect(inputs).not.toContain('shared/aws/lambda-credentials.ts');
    expect(fromPackage(inputs, '@aws-sdk/credential-provider-node').length).toBeGreaterThan(0);
    expect(fromPackage(inputs, '@aws-sdk/credential-provider-sso').length).toBeGreaterThan(0);
    expect(fromPackage(inputs, '@aws-sdk/credential-provider-web-identity').length).toBeGreaterThan(0);
  });
});
