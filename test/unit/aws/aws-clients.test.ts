import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CLIENT_SETTINGS,
  createKmsClient,
  createRegionalS3Clients,
  createS3Client,
  createSnsClient,
  reuseSigners,
  withoutSdkLogging,
} from '../../../shared/aws/aws-clients.js';

const aws = { region: 'eu-west-1', forcePathStyle: true };

describe('SDK clients', () => {
  it.each([
    ['S3', () => createS3Client(aws)],
    ['KMS', () => createKmsClient(aws)],
    ['SNS', () => createSnsClient(aws)],
  ])('%s: adaptive retry with 5 attempts, and the middleware stack resolved once per command', async (_name, create) => {
    const client = create();
    expect(client.config.cacheMiddleware).toBe(true);
    expect(await client.config.maxAttempts()).toBe(5);
    expect(await client.config.region()).toBe('eu-west-1');
    const strategy = await client.config.retryStrategy();
    expect((strategy as { mode?: string }).mode).toBe('adaptive');
  });

  it.each([
    ['S3', () => createS3Client(aws)],
    ['KMS', () => createKmsClient(aws)],
    ['SNS', () => createSnsClient(aws)],
  ])('%s: the SDK logger middleware is left out, and nothing else', (_name, create) => {
    const stackNames = (client: { middlewareStack: { identify(): string[] } }) => client.middlewareStack.identify().map((entry) => entry.split(' ')[0]);
    const names = stackNames(create());
    expect(names).not.toContain('loggerMiddleware');
    expect(names).toContain('httpSigningMiddleware');
    expect(names).toContain('retryMiddleware');
  });

  it('SNS publishes in the topic’s own region: a member in another region sends to the central topic', async () => {
    expect(await createSnsClient(aws, 'arn:aws:sns:us-east-1:111122223333:findings').config.region()).toBe('us-east-1');
    expect(await createSnsClient(aws, undefined).config.region()).toBe('eu-west-1');
  });

  it('S3 keeps path-style addressing when configured', () => {
    expect(createS3Client(aws).config.forcePathStyle).toBe(true);
  });

  it('regional clients are made once per region and reused', async () => {
    const s3In = createRegionalS3Clients(aws);
    expect(s3In('us-east-1')).toBe(s3In('us-east-1'));
    expect(s3In('us-east-1')).not.toBe(s3In('eu-central-1'));
    expect(await s3In('eu-central-1').config.region()).toBe('eu-central-1');
  });
});

describe('request signers are made once and reused', () => {
  const credentials = { accessKeyId: 'AKIASIGNINGTEST', secretAccessKey: 'signing-secret', sessionToken: 'signing-token' };

  /** An HTTP handler that keeps each signed request's headers and answers 200 with an empty JSON body. */
  const capturingHandler = () => {
    const captured: Array<Record<string, string>> = [];
    const requestHandler = {
      metadata: { handlerProtocol: 'http/1.1' },
      handle: async (request: { headers: Record<string, string> }) => {
        captured.push({ ...request.headers });
        return { response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Readable.from([Buffer.from('{}')]) } };
      },
      updateHttpClientConfig: () => undefined,
      httpHandlerConfigs: () => ({}),
      destroy: () => undefined,
    };
    return { captured, requestHandler };
  };

  /** Each request's invocation id is random and signed; number them instead, so two clients' signatures compare. */
  const numberInvocations = (client: S3Client | KMSClient): void => {
    let invocation = 0;
    type StackOfS3 = S3Client['middlewareStack'];
    const middleware = ((next: (args: { request: unknown }) => Promise<unknown>) => async (args: { request: unknown }) => {
      invocation += 1;
      (args.request as { headers: Record<string, string> }).headers['amz-sdk-invocation-id'] = `invocation-${invocation}`;
      return next(args);
    }) as unknown as Parameters<StackOfS3['addRelativeTo']>[0];
    // The two clients' stacks differ only in their input and output types.
    (client.middlewareStack as StackOfS3).addRelativeTo(middleware, {
      relation: 'before',
      toMiddleware: 'httpSigningMiddleware',
      name: 'numberInvocations',
    });
  };

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-04T05:06:07Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("signs exactly as the SDK's own signer does, request after request", async () => {
    const { captured: expected, requestHandler: ownHandler } = capturingHandler();
    const { captured: actual, requestHandler } = capturingHandler();
    const ownSigners = new S3Client({ region: 'eu-west-1', credentials, ...CLIENT_SETTINGS, requestHandler: ownHandler });
    const reused = reuseSigners(new S3Client({ region: 'eu-west-1', credentials, ...CLIENT_SETTINGS, requestHandler }));
    numberInvocations(ownSigners);
    numberInvocations(reused);

    for (const key of ['a.txt', 'reports/b c+d.json', 'ünïcode']) {
      await ownSigners.send(new HeadObjectCommand({ Bucket: 'audited-bucket', Key: key }));
      await reused.send(new HeadObjectCommand({ Bucket: 'audited-bucket', Key: key }));
    }
    await ownSigners.send(new PutObjectCommand({ Bucket: 'audited-bucket', Key: 'body.txt', Body: 'twelve bytes' }));
    await reused.send(new PutObjectCommand({ Bucket: 'audited-bucket', Key: 'body.txt', Body: 'twelve bytes' }));

    expect(actual).toHaveLength(4);
    expect(actual).toEqual(expected);
    expect(actual[0]?.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIASIGNINGTEST\/20260304\/eu-west-1\/s3\/aws4_request, /);
    expect(new Set(actual.map((headers) => headers.authorization)).size).toBe(4);
  });

  it('KMS too: the same signatures, from one signer', async () => {
    const { captured: expected, requestHandler: ownHandler } = capturingHandler();
    const { captured: actual, requestHandler } = capturingHandler();
    const ownSigners = new KMSClient({ region: 'eu-west-1', credentials, ...CLIENT_SETTINGS, requestHandler: ownHandler });
    const reused = new KMSClient({ region: 'eu-west-1', credentials, ...CLIENT_SETTINGS, requestHandler });
    const makeSigner = vi.fn(reused.config.signer);
    reused.config.signer = makeSigner;
    reuseSigners(reused);
    numberInvocations(ownSigners);
    numberInvocations(reused);

    for (const keyId of ['alias/one', 'alias/two']) {
      await ownSigners.send(new DescribeKeyCommand({ KeyId: keyId }));
      await reused.send(new DescribeKeyCommand({ KeyId: keyId }));
    }

    expect(actual).toEqual(expected);
    expect(actual[1]?.authorization).toContain('/eu-west-1/kms/aws4_request');
    expect(makeSigner).toHaveBeenCalledTimes(1);
  });

  it('without the SDK logger middleware, answers and errors still arrive whole', async () => {
    const requestHandler = {
      metadata: { handlerProtocol: 'http/1.1' },
      handle: async (request: { path: string }) => ({
        response: request.path.endsWith('/missing')
          ? { statusCode: 404, headers: { 'x-amz-request-id': 'REQ404' }, body: Readable.from([]) }
          : {
              statusCode: 200,
              headers: { 'x-amz-request-id': 'REQ200', 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': 'arn:aws:kms:eu-west-1:111122223333:key/k', 'content-length': '12' },
              body: Readable.from([]),
            },
      }),
      updateHttpClientConfig: () => undefined,
      httpHandlerConfigs: () => ({}),
      destroy: () => undefined,
    };
    const client = withoutSdkLogging(new S3Client({ region: 'eu-west-1', credentials, ...CLIENT_SETTINGS, maxAttempts: 1, requestHandler, forcePathStyle: true }));

    await expect(client.send(new HeadObjectCommand({ Bucket: 'audited-bucket', Key: 'present' }))).resolves.toMatchObject({
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k',
      ContentLength: 12,
      $metadata: { httpStatusCode: 200, requestId: 'REQ200' },
    });
    await expect(client.send(new HeadObjectCommand({ Bucket: 'audited-bucket', Key: 'missing' }))).rejects.toMatchObject({
      name: 'NotFound',
      $metadata: { httpStatusCode: 404, requestId: 'REQ404' },
    });
  });

  it('keeps one signer per auth scheme, and asks again after a factory fails', async () => {
    const client = new S3Client({ region: 'eu-west-1', credentials, ...CLIENT_SETTINGS });
    const makeSigner = vi.fn(client.config.signer).mockRejectedValueOnce(new Error('credentials not ready'));
    client.config.signer = makeSigner;
    reuseSigners(client);
    const sigv4 = { name: 'sigv4', signingName: 's3', signingRegion: 'eu-west-1', properties: {} };

    await expect(client.config.signer(sigv4)).rejects.toThrow('credentials not ready');
    const first = await client.config.signer(sigv4);
    expect(await client.config.signer({ ...sigv4 })).toBe(first);
    expect(await client.config.signer({ ...sigv4, signingRegion: 'us-east-1' })).not.toBe(first);
    expect(await client.config.signer(undefined)).not.toBe(first);
    expect(makeSigner).toHaveBeenCalledTimes(4);
  });
});
