import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { KmsKeyDirectory } from '../../../shared/adapters/kms-key-directory.js';
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

describe('KmsKeyDirectory', () => {
  it('resolves an alias to its key ARN with DescribeKey', async () => {
    kms.on(DescribeKeyCommand, { KeyId: 'alias/enforcer' }).resolves({ KeyMetadata: { KeyId: 'k', Arn: KEY, KeyState: 'Enabled', KeyManager: 'CUSTOMER' } });
    await expect(new KmsKeyDirectory(new KMSClient({})).describe('alias/enforcer')).resolves.toEqual({ arn: KEY, state: 'Enabled', manager: 'CUSTOMER' });
    expect(kms).toHaveReceivedCommandWith(DescribeKeyCommand, { KeyId: 'alias/enforcer' });
  });

  it('an unknown key is NotFoundException, not transient', async () => {
    kms.on(DescribeKeyCommand).rejects(kmsError('NotFoundException'));
    await expect(new KmsKeyDirectory(new KMSClient({})).describe('alias/missing')).rejects.toMatchObject({ operation: 'DescribeKey', code: 'NotFoundException', transient: false });
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
