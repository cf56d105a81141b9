import { describe, expect, it } from 'vitest';
import { createKmsClient, createRegionalS3Clients, createS3Client, createSnsClient } from '../../../shared/aws/aws-clients.js';

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
