// The SDK clients the run itself uses, all pointed at moto, in moto's one account and region.
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_REGION } from '../../tooling/lambda-environment.mjs';

export const REGION = LOCAL_REGION;
export const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** @param {string} endpoint */
export const clientsFor = (endpoint) => {
  const config = { region: REGION, endpoint, credentials: CREDENTIALS };
  return {
    s3: new S3Client({ ...config, forcePathStyle: true }),
    kms: new KMSClient(config),
    sns: new SNSClient(config),
    sqs: new SQSClient(config),
    events: new EventBridgeClient(config),
  };
};
