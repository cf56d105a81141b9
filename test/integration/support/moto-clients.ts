import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { motoClientConfig } from './moto-server.js';

/** The test's own view of the moto endpoint: the clients a user's tooling would use. */
export interface MotoClients {
  readonly s3: S3Client;
  readonly kms: KMSClient;
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly events: EventBridgeClient;
  destroy(): void;
}

export const motoClients = (endpoint: string): MotoClients => {
  const config = motoClientConfig(endpoint);
  const s3 = new S3Client(config);
  const kms = new KMSClient(config);
  const sns = new SNSClient(config);
  const sqs = new SQSClient(config);
  const events = new EventBridgeClient(config);
  return {
    s3,
    kms,
    sns,
    sqs,
    events,
    destroy() {
      for (const client of [s3, kms, sns, sqs, events]) client.destroy();
    },
  };
};
