import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { KmsKeyDescriber } from '../../../shared/adapters/kms-key-describer.js';
import { resolvePolicyKeys } from '../../../shared/resolve-policy-keys.js';
import { snsSubject, SnsNotificationPublisher } from '../../../shared/adapters/sns-notification-publisher.js';
import { kmsError } from '../../fixtures/aws-errors.js';

const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:encryption-findings';
const kms = mockClient(KMSClient);
const sns = mockClient(SNSClient);

beforeEach(() => {
  kms.reset();
  sns.reset();
});

describe('KmsKeyDescriber', () => {
  it('resolves an alias to its key ARN and state with DescribeKey, in the region asked', async () => {
    kms.on(DescribeKeyCommand, { KeyId: 'alias/enforcer' }).resolves({ KeyMetadata: { KeyId: 'k', Arn: KEY, KeyState: 'Enabled', KeyManager: 'CUSTOMER' } });
    const regions: string[] = [];
    const describer = new KmsKeyDescriber((region) => (regions.push(region), new KMSClient({ region })));
    await expect(describer.describe('alias/enforcer', 'us-east-1')).resolves.toMatchObject({ arn: KEY, region: 'us-east-1', state: 'Enabled', manager: 'CUSTOMER' });
    expect(kms).toHaveReceivedCommandWith(DescribeKeyCommand, { KeyId: 'alias/enforcer' });
    expect(regions).toEqual(['us-east-1']);
  });

  it('an unknown key is a value, for the enforcer as for the audit; anything else is thrown', async () => {
    kms.on(DescribeKeyCommand, { KeyId: 'alias/missing' }).rejects(kmsError('NotFoundException'));
    kms.on(DescribeKeyCommand, { KeyId: 'alias/locked' }).rejects(kmsError('AccessDeniedException'));
    const describer = new KmsKeyDescriber(() => new KMSClient({}));
    await expect(describer.describe('alias/missing', 'us-east-1')).resolves.toBeUndefined();
    await expect(describer.describe('alias/locked', 'us-east-1')).rejects.toMatchObject({ operation: 'DescribeKey', code: 'AccessDeniedException', transient: false });
  });
});

describe('resolvePolicyKeys', () => {
  const policy = { requiredKey: 'alias/enforcer', strategy: 'auto', priorVersions: 'retain', bucketKey: true, acceptDsseKms: true, exemptions: [], overrides: [] } as const;

  it('fails closed, naming the key, when it does not exist or is AWS-managed', async () => {
    kms.on(DescribeKeyCommand, { KeyId: 'alias/enforcer' }).rejects(kmsError('NotFoundException'));
    kms.on(DescribeKeyCommand, { KeyId: 'alias/aws/s3' }).resolves({ KeyMetadata: { KeyId: 'a', Arn: KEY, KeyState: 'Enabled', KeyManager: 'AWS' } });
    const describer = new KmsKeyDescriber(() => new KMSClient({}));
    await expect(resolvePolicyKeys(policy, describer, 'us-east-1')).rejects.toThrow(
      'Invalid configuration:\n  - KMS key "alias/enforcer" does not exist in this account and region, or this function may not describe it',
    );
    await expect(resolvePolicyKeys({ ...policy, requiredKey: 'alias/aws/s3' }, describer, 'us-east-1')).rejects.toThrow(/"alias\/aws\/s3" is AWS-managed/);
  });
});

describe('SnsNotificationPublisher', () => {
  it('publishes text for people and JSON for machines, with filterable attributes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    await new SnsNotificationPublisher(new SNSClient({}), TOPIC).publish({
      subject: 'S3 encryption: 1 object(s) need attention in photos-bucket',
      text: 'readable',
      document: { kind: 'object-alerts', alerts: [] },
      attributes: { kind: 'object-alerts', severity: 'high' },
    });
    const machine = JSON.stringify({ kind: 'object-alerts', alerts: [] });
    expect(sns.commandCalls(PublishCommand)[0]?.args[0].input).toEqual({
      TopicArn: TOPIC,
      Subject: 'S3 encryption: 1 object(s) need attention in photos-bucket',
      MessageStructure: 'json',
      Message: JSON.stringify({ default: 'readable', email: 'readable', 'email-json': machine, sqs: machine, lambda: machine, http: machine, https: machine, firehose: machine }),
      MessageAttributes: { kind: { DataType: 'String', StringValue: 'object-alerts' }, severity: { DataType: 'String', StringValue: 'high' } },
    });
  });

  it('keeps subjects within SNS rules: 100 printable ASCII characters', () => {
    const subject = snsSubject(`Objects in bücket ${'x'.repeat(200)}\n`);
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^[\x20-\x7E]+$/);
    expect(subject.startsWith('Objects in b?cket')).toBe(true);
  });

  it('refuses a message over the SNS size budget instead of losing it silently', async () => {
    await expect(
      new SnsNotificationPublisher(new SNSClient({}), TOPIC).publish({ subject: 's', text: 'x'.repeat(300 * 1024), document: {}, attributes: {} }),
    ).rejects.toThrow(/over the SNS budget/);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });
});
