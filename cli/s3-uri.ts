import { UsageError } from './cli-errors.js';

export interface S3Location {
  readonly bucket: string;
  /** A key prefix (scan, remediate) or an object key (explain); empty for the whole bucket. */
  readonly path: string;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * `s3://bucket`, `s3://bucket/prefix` or `s3://bucket/key`. The key is taken literally, as the
 * shell gave it: spaces, `+` and non-ASCII characters are part of it, and nothing is URL-decoded.
 */
export const parseS3Uri = (text: string, command: string): S3Location => {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/s.exec(text);
  if (!match) throw new UsageError(`"${text}" is not an S3 URI: write s3://BUCKET or s3://BUCKET/PREFIX`, command);
  const bucket = match[1] as string;
  if (!BUCKET_NAME.test(bucket)) throw new UsageError(`"${bucket}" is not a bucket name`, command);
  return { bucket, path: match[2] ?? '' };
};

export const s3UriOf = (bucket: string, path: string): string => `s3://${bucket}/${path}`;
