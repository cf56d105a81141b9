import { PublishCommand, type MessageAttributeValue, type SNSClient } from '@aws-sdk/client-sns';
import type { Notification, NotificationPublisher } from '../ports/notification-publisher.js';
import { toAwsCallError } from './aws-error.js';

export const SNS_SUBJECT_LIMIT = 100;
/** SNS's limit is 256 KiB for the whole message; this leaves room for attributes and envelope. */
export const SNS_MESSAGE_BUDGET_BYTES = 240 * 1024;

/** SNS subjects: ASCII printable, no line breaks, at most 100 characters. */
export const snsSubject = (subject: string): string => {
  const clean = subject.replace(/[^\x20-\x7E]/g, '?').trim();
  return clean.length <= SNS_SUBJECT_LIMIT ? clean : `${clean.slice(0, SNS_SUBJECT_LIMIT - 1)}…`.replace('…', '.');
};

/** The message body as SNS's MessageStructure=json expects it: text for people, JSON for machines. */
export const snsMessageBody = (notification: Notification): string => {
  const machine = JSON.stringify(notification.document);
  return JSON.stringify({
    default: notification.text,
    email: notification.text,
    'email-json': machine,
    sqs: machine,
    lambda: machine,
    http: machine,
    https: machine,
    firehose: machine,
  });
};

/** The size of the message SNS would be sent for this notification, to split before publishing. */
export const snsMessageBytes = (notification: Notification): number => Buffer.byteLength(snsMessageBody(notification));

const messageAttribute = (value: string | readonly string[]): MessageAttributeValue =>
  typeof value === 'string' ? { DataType: 'String', StringValue: value } : { DataType: 'String.Array', StringValue: JSON.stringify(value) };

export class SnsNotificationPublisher implements NotificationPublisher {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(notification: Notification): Promise<void> {
    const message = snsMessageBody(notification);
    if (Buffer.byteLength(message) > SNS_MESSAGE_BUDGET_BYTES) {
      throw new Error(`notification of ${Buffer.byteLength(message)} bytes is over the SNS budget; split it first`);
    }
    try {
      await this.sns.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: snsSubject(notification.subject),
          MessageStructure: 'json',
          Message: message,
          MessageAttributes: Object.fromEntries(
            Object.entries(notification.attributes).map(([name, value]) => [name, messageAttribute(value)]),
          ),
        }),
      );
    } catch (error) {
      throw toAwsCallError('Publish', error);
    }
  }
}
