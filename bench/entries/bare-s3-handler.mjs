// The baseline for bundle size and load time: the smallest Lambda handler that has an S3 client,
// built with the functions' esbuild options in the same run.
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';

const s3 = new S3Client({});

/** @param {{ bucket: string, key: string }} event */
export const handler = async (event) => s3.send(new HeadObjectCommand({ Bucket: event.bucket, Key: event.key }));
