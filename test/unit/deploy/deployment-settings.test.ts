import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// infra/deployment-settings.cjs, called as osls calls it: with a resolveVariable that answers
// `param:<name>, null` from the stage parameters (numbers from serverless.yml, strings from --param).
type Resolver = (context: { resolveVariable: (variable: string) => Promise<unknown> }) => Promise<unknown>;
const settings = createRequire(import.meta.url)('../../../infra/deployment-settings.cjs') as Record<string, Resolver>;

const DEFAULTS: Record<string, unknown> = {
  watchedBuckets: 'data-bucket,logs-bucket',
  keyAdministratorArns: 'arn:aws:iam::111122223333:role/KeyAdministrator',
  overrideKmsKeyArns: '',
  enforceTimeout: 300,
  enforceMemorySize: 512,
  batchSize: 10,
  maximumBatchingWindow: 5,
  maximumConcurrency: 10,
  maxReceiveCount: 5,
  auditTimeout: 900,
  auditMemorySize: 1024,
  logRetentionInDays: 30,
};

const resolve = (name: string, params: Record<string, unknown> = {}): Promise<unknown> => {
  const values = { ...DEFAULTS, ...params };
  const setting = settings[name];
  if (!setting) throw new Error(`deployment-settings.cjs exports no ${name}`);
  return setting({
    resolveVariable: async (variable) => {
      const match = /^param:(\w+), null$/.exec(variable);
      if (!match?.[1]) throw new Error(`unexpected variable ${variable}`);
      return values[match[1]] ?? null;
    },
  });
};

const sub = (text: string) => ({ 'Fn::Sub': text });

describe('watched buckets', () => {
  it('turns a list into an EventBridge pattern on those names, and one ARN per bucket and per bucket\'s objects', async () => {
    const params = { watchedBuckets: ' data-bucket , logs-bucket,data-bucket ' };
    expect(await resolve('objectCreatedPattern', params)).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: ['data-bucket', 'logs-bucket'] } },
    });
    expect(await resolve('watchedBucketArns', params)).toEqual([sub('arn:${AWS::Partition}:s3:::data-bucket'), sub('arn:${AWS::Partition}:s3:::logs-bucket')]);
    expect(await resolve('watchedObjectArns', params)).toEqual([sub('arn:${AWS::Partition}:s3:::data-bucket/*'), sub('arn:${AWS::Partition}:s3:::logs-bucket/*')]);
  });

  it('turns "*" into every bucket: no bucket filter, and ARNs that still name S3 objects only', async () => {
    expect(await resolve('objectCreatedPattern', { watchedBuckets: '*' })).toEqual({ source: ['aws.s3'], 'detail-type': ['Object Created'] });
    expect(await resolve('watchedBucketArns', { watchedBuckets: '*' })).toEqual([sub('arn:${AWS::Partition}:s3:::*')]);
    expect(await resolve('watchedObjectArns', { watchedBuckets: '*' })).toEqual([sub('arn:${AWS::Partition}:s3:::*/*')]);
  });

  it.each([
    [{ watchedBuckets: undefined }, 'the stage parameter "watchedBuckets" is required'],
    [{ watchedBuckets: '  ' }, 'the stage parameter "watchedBuckets" is required'],
    [{ watchedBuckets: 'Data_Bucket' }, 'watchedBuckets: "Data_Bucket" is not a bucket name (use "*" alone for every bucket)'],
    [{ watchedBuckets: 'ok-bucket,*,ab' }, 'watchedBuckets: "*", "ab" are not bucket names (use "*" alone for every bucket)'],
  ])('refuses %j', async (params, message) => {
    await expect(resolve('objectCreatedPattern', params)).rejects.toThrow(message);
  });
});

describe('keys', () => {
  const REQUIRED_KEY = { 'Fn::If': ['CreateEnforcementKey', { 'Fn::GetAtt': ['EnforcementKey', 'Arn'] }, { Ref: 'ExistingKmsKeyArn' }] };

  it('lets the enforce role use the required key, then the override keys', async () => {
    expect(await resolve('requiredKeyArns')).toEqual([REQUIRED_KEY]);
    const override = 'arn:aws-cn:kms:cn-north-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab';
    expect(await resolve('requiredKeyArns', { overrideKmsKeyArns: `${override},${override}` })).toEqual([REQUIRED_KEY, override]);
  });

  it.each(['alias/finance', 'arn:aws:kms:eu-west-1:111122223333:alias/finance', '1234abcd-12ab-34cd-56ef-1234567890ab'])(
    'refuses the override key %s: IAM needs a key ARN',
    async (reference) => {
      await expect(resolve('requiredKeyArns', { overrideKmsKeyArns: reference })).rejects.toThrow(`overrideKmsKeyArns: "${reference}" is not a KMS key ARN`);
    },
  );

  it('passes the key administrators on as one comma-separated CloudFormation list', async () => {
    const sso = 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef';
    const admins = `arn:aws:iam::111122223333:role/KeyAdministrator, arn:aws-us-gov:iam::111122223333:user/ops/alice,${sso}`;
    expect(await resolve('keyAdministratorArns', { keyAdministratorArns: admins })).toBe(
      `arn:aws:iam::111122223333:role/KeyAdministrator,arn:aws-us-gov:iam::111122223333:user/ops/alice,${sso}`,
    );
  });

  it.each([
    [undefined, 'the stage parameter "keyAdministratorArns" is required'],
    ['KeyAdministrator', 'keyAdministratorArns: "KeyAdministrator" is not an IAM role or user ARN'],
    ['arn:aws:iam::111122223333:policy/Admin', 'is not an IAM role or user ARN'],
    ['arn:aws:iam::111122223333:root', 'keyAdministratorArns: "arn:aws:iam::111122223333:root" is not an IAM role or user ARN (arn:aws:iam::<account>:role/<name>; not the account root)'],
  ])('refuses key administrators %j', async (keyAdministratorArns, message) => {
    await expect(resolve('keyAdministratorArns', { keyAdministratorArns })).rejects.toThrow(message);
  });
});

describe('sizes and timings', () => {
  it('reads whole numbers from serverless.yml (numbers) and from --param (strings)', async () => {
    expect(await resolve('batchSize')).toBe(10);
    expect(await resolve('batchSize', { batchSize: ' 25 ' })).toBe(25);
    expect(await resolve('maximumConcurrency', { maximumConcurrency: '2' })).toBe(2);
  });

  it('sets the queue visibility timeout to six function timeouts plus the batching window', async () => {
    expect(await resolve('queueVisibilityTimeout')).toBe(6 * 300 + 5);
    expect(await resolve('queueVisibilityTimeout', { enforceTimeout: '900', maximumBatchingWindow: '300' })).toBe(5700);
  });

  it.each([
    ['enforceTimeout', '9', 'the stage parameter "enforceTimeout" must be a whole number from 10 to 900, not "9"'],
    ['enforceTimeout', '1.5', 'from 10 to 900, not "1.5"'],
    ['maximumConcurrency', '1', 'the stage parameter "maximumConcurrency" must be a whole number from 2 to 1000'],
    ['maxReceiveCount', 'five', 'the stage parameter "maxReceiveCount" must be a whole number from 1 to 1000, not "five"'],
    ['auditTimeout', '901', 'the stage parameter "auditTimeout" must be a whole number from 60 to 900'],
    ['logRetentionInDays', '10', 'logRetentionInDays must be one of 1, 3, 5, 7, 14, 30'],
  ])('refuses %s = %s', async (name, value, message) => {
    await expect(resolve(name, { [name]: value })).rejects.toThrow(message);
  });

  it('refuses an SQS batch over 10 without a batching window, as Lambda would', async () => {
    await expect(resolve('batchSize', { batchSize: '20', maximumBatchingWindow: '0' })).rejects.toThrow(
      'batchSize 20 is larger than 10: set maximumBatchingWindow to at least 1 second',
    );
    expect(await resolve('batchSize', { batchSize: '20', maximumBatchingWindow: '1' })).toBe(20);
  });

  it('fails with the parameter name when a setting has no value at all', async () => {
    await expect(resolve('enforceMemorySize', { enforceMemorySize: undefined })).rejects.toThrow('the stage parameter "enforceMemorySize" has no value');
  });
});
