import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ReportStore, StoredReport } from '../ports/report-store.js';
import { errorCode, httpStatusOf, toAwsCallError } from './aws-error.js';

export class S3ReportStore implements ReportStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    /** The account id: S3 refuses reads and writes if someone else owns the bucket. */
    private readonly expectedOwner?: string | undefined,
  ) {}

  async read(key: string): Promise<string | undefined> {
    try {
      const answer = await this.s3.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(this.expectedOwner ? { ExpectedBucketOwner: this.expectedOwner } : {}) }),
      );
      return (await answer.Body?.transformToString('utf-8')) ?? '';
    } catch (error) {
      if (errorCode(error) === 'NoSuchKey' || httpStatusOf(error) === 404) return undefined;
      throw toAwsCallError('GetObject', error);
    }
  }

  /** SSE-KMS under the required key, with a bucket key: the report lists weaknesses worth protecting. */
  async write({ key, body, contentType, kmsKeyArn }: StoredReport): Promise<void> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: kmsKeyArn,
          BucketKeyEnabled: true,
          ...(this.expectedOwner ? { ExpectedBucketOwner: this.expectedOwner } : {}),
        }),
      );
    } catch (error) {
      throw toAwsCallError('PutObject', error);
    }
  }
}
