import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import type { AwsSettings } from '../config/enforcer-config.js';

/**
 * Every SDK client is made here, once per cold start, and passed in. Adaptive retry backs off on
 * S3 SlowDown and KMS throttling; the SDK reads AWS_ENDPOINT_URL[_<SERVICE>] itself.
 */
const RETRY = { retryMode: 'adaptive', maxAttempts: 5 } as const;

export const createS3Client = (aws: AwsSettings): S3Client =>
  new S3Client({ region: aws.region, forcePathStyle: aws.forcePathStyle, ...RETRY });

export const createKmsClient = (aws: AwsSettings): KMSClient => new KMSClient({ region: aws.region, ...RETRY });

export const createSnsClient = (aws: AwsSettings): SNSClient => new SNSClient({ region: aws.region, ...RETRY });
