import { Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import { CopyObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ReportStore, StoredReport } from '../ports/report-store.js';
import { errorCode, httpStatusOf, toAwsCallError } from './aws-error.js';

const copySource = (bucket: string, key: string): string => `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;

export class S3ReportStore implements ReportStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    /** The account id: S3 refuses reads and writes if someone else owns the bucket. */
    private readonly expectedOwner?: string | undefined,
    /** Attempts per upload, and the first pause between them (doubling, with jitter). */
    private readonly uploadAttempts = 4,
    private readonly retryBaseMs = 250,
    private readonly pause: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  private get owner(): { ExpectedBucketOwner?: string } {
    return this.expectedOwner ? { ExpectedBucketOwner: this.expectedOwner } : {};
  }

  async readLines(key: string): Promise<AsyncIterable<string> | undefined> {
    let body: unknown;
    try {
      body = (await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, ...this.owner }))).Body;
    } catch (error) {
      if (errorCode(error) === 'NoSuchKey' || httpStatusOf(error) === 404) return undefined;
      throw toAwsCallError('GetObject', error);
    }
    // In Node.js the SDK hands the body over as a stream; anything else cannot be read a line at a time.
    if (!(body instanceof Readable)) throw toAwsCallError('GetObject', new Error('the object body is not a Node.js stream'));
    body.setEncoding('utf8');
    const lines = createInterface({ input: body, crlfDelay: Infinity });
    return (async function* () {
      try {
        for await (const line of lines) yield line;
      } catch (error) {
        throw toAwsCallError('GetObject', error);
      } finally {
        lines.close();
        body.destroy();
      }
    })();
  }

  /**
   * SSE-KMS under the required key, with a bucket key: the report lists weaknesses worth protecting.
   * The SDK does not retry a request whose body is a stream, so a transient failure (throttling, a
   * 5xx, a dropped connection) is retried here, with the body read again from its start.
   */
  async write({ key, body, contentLength, contentType, kmsKeyArn }: StoredReport): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.s3.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: key,
            Body: Readable.from(body(), { objectMode: false }),
            ContentLength: contentLength,
            ContentType: contentType,
            ServerSideEncryption: 'aws:kms',
            SSEKMSKeyId: kmsKeyArn,
            BucketKeyEnabled: true,
            ...this.owner,
          }),
        );
        return;
      } catch (error) {
        const failure = toAwsCallError('PutObject', error);
        if (!failure.transient || attempt >= this.uploadAttempts) throw failure;
        await this.pause(this.retryBaseMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
      }
    }
  }

  async copy(fromKey: string, toKey: string, kmsKeyArn: string): Promise<void> {
    try {
      await this.s3.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: toKey,
          CopySource: copySource(this.bucket, fromKey),
          MetadataDirective: 'COPY',
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: kmsKeyArn,
          BucketKeyEnabled: true,
          ...this.owner,
          ...(this.expectedOwner ? { ExpectedSourceBucketOwner: this.expectedOwner } : {}),
        }),
      );
    } catch (error) {
      throw toAwsCallError('CopyObject', error);
    }
  }
}
