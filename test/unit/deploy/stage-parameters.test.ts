import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  grantsOfRole,
  packageFailure,
  packageService,
  resource,
  statementsOf,
  type PackageFailure,
  type PackageOptions,
  type PackagedService,
  type Template,
} from './support/packaged-template.js';

// The package-time stage parameters (infra/deployment-settings.cjs), with values the "test" stage
// does not use: every bucket with EventBridge notifications on, a policy override key, other sizes.
const OVERRIDE_KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
let packaged: PackagedService;
let template: Template;
beforeAll(() => {
  packaged = packageService({
    params: { watchedBuckets: '*', overrideKmsKeyArns: OVERRIDE_KEY, enforceTimeout: '60', maximumBatchingWindow: '20', batchSize: '50', maximumConcurrency: '4', maxReceiveCount: '3' },
  });
  template = packaged.template;
}, 120_000);
afterAll(() => packaged?.dispose());

const sub = (text: string) => ({ 'Fn::Sub': text });
const statement = (sid: string) => {
  const found = grantsOfRole(template, 'EnforceObjectEncryptionRole')
    .flatMap((grant) => grant.statements)
    .find((candidate) => candidate.Sid === sid);
  if (!found) throw new Error(`the enforce role has no statement ${sid}`);
  return found;
};

describe('watchedBuckets "*": every bucket with EventBridge notifications on', () => {
  it('matches Object Created events of any bucket', () => {
    expect(resource(template, 'ObjectCreatedRule').Properties['EventPattern']).toEqual({ source: ['aws.s3'], 'detail-type': ['Object Created'] });
  });

  it('scopes the enforce role to every bucket of the partition, still by ARN, never Resource "*"', () => {
    expect(statement('ReencryptObjectsInWatchedBuckets').Resource).toEqual([sub('arn:${AWS::Partition}:s3:::*/*')]);
    expect(statement('ReadWatchedBuckets').Resource).toEqual([sub('arn:${AWS::Partition}:s3:::*')]);
  });

  it('lets S3 notifications (when allowed) come from any bucket of this account', () => {
    const fromS3 = statementsOf(resource(template, 'EnforcerQueuePolicy'))[1] as unknown as { 'Fn::If': [string, { Condition: unknown }, unknown] };
    expect(fromS3['Fn::If'][1].Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLike: { 'aws:SourceArn': [sub('arn:${AWS::Partition}:s3:::*')] },
    });
  });
});

describe('sizes and keys from stage parameters', () => {
  it('adds the keys POLICY overrides name to the keys the enforce role may use', () => {
    expect(statement('UseTheRequiredKey').Resource).toEqual([
      { 'Fn::If': ['CreateEnforcementKey', { 'Fn::GetAtt': ['EnforcementKey', 'Arn'] }, { Ref: 'ExistingKmsKeyArn' }] },
      OVERRIDE_KEY,
    ]);
  });

  it('derives the visibility timeout from the function timeout and the batching window', () => {
    expect(resource(template, 'EnforceDashobjectDashencryptionLambdaFunction').Properties['Timeout']).toBe(60);
    expect(resource(template, 'EnforcerQueue').Properties['VisibilityTimeout']).toBe(6 * 60 + 20);
    expect(resource(template, 'EnforcerQueue').Properties['RedrivePolicy']).toMatchObject({ maxReceiveCount: 3 });
  });

  it('passes the batching settings, given as strings on the command line, to the event source mapping as numbers', () => {
    expect(resource(template, 'EnforceDashobjectDashencryptionEventSourceMappingSQSEnforcerQueue').Properties).toMatchObject({
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 20,
      ScalingConfig: { MaximumConcurrency: 4 },
    });
  });
});

describe('settings that packaging refuses, saying what to fix', () => {
  // Each case is a whole osls run; the validation itself is covered in deployment-settings.test.ts.
  const REFUSED: [PackageOptions, string[]][] = [
    [{ params: { watchedBuckets: 'Not_A_Bucket,ok-bucket' } }, ['watchedBuckets: "Not_A_Bucket" is not a bucket name']],
    [{ stage: 'unconfigured' }, ['the stage parameter "watchedBuckets" is required', 'the stage parameter "keyAdministratorArns" is required']],
  ];
  const failures = new Map<string, PackageFailure>();
  beforeAll(async () => {
    const results = await Promise.all(REFUSED.map(async ([options]) => [JSON.stringify(options), await packageFailure(options)] as const));
    for (const [key, failure] of results) failures.set(key, failure);
  }, 120_000);

  it.each(REFUSED)('%j', (options, messages) => {
    const failure = failures.get(JSON.stringify(options));
    expect(failure?.status).not.toBe(0);
    for (const message of messages) expect(failure?.output).toContain(message);
    // An expected refusal, not a crash: the message, without a stack trace.
    expect(failure?.output).not.toMatch(/at (async )?\w+ \(.*deployment-settings\.cjs/);
  });
});
