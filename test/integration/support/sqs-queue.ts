import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { drainQueue } from '../../../tooling/sqs-event-source.mjs';

/** A message as the test received it from moto's SQS: what Lambda's SQS poller would hand over. */
export interface ReceivedMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** One SQS queue on moto; everything received is deleted, so each message is seen once. */
export interface TestQueue {
  readonly url: string;
  readonly arn: string;
  send(body: string): Promise<string>;
  /** Every message in the queue now (moto delivers notifications before the request returns). */
  drain(): Promise<ReceivedMessage[]>;
}

const toReceived = (message: Message): ReceivedMessage => {
  if (!message.MessageId || !message.ReceiptHandle || message.Body === undefined) {
    throw new Error(`moto returned an incomplete SQS message: ${JSON.stringify(message)}`);
  }
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: message.Body,
    md5OfBody: message.MD5OfBody ?? '',
    attributes: { ...(message.Attributes ?? {}) },
  };
};

export const createTestQueue = async (sqs: SQSClient, name: string): Promise<TestQueue> => {
  const { QueueUrl: url } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  if (!url) throw new Error(`CreateQueue ${name} returned no URL`);
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.['QueueArn'];
  if (!arn) throw new Error(`queue ${name} has no ARN`);
  return {
    url,
    arn,
    async send(body) {
      const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
      if (!MessageId) throw new Error('SendMessage returned no MessageId');
      return MessageId;
    },
    async drain() {
      return (await drainQueue(sqs, url)).map(toReceived);
    },
  };
};
