#!/usr/bin/env node
// Uploads a release's function zips (dist/artifacts/, written by `npm run package`) to the
// artifacts bucket of each region, <prefix>-<region>, under s3-encryption-enforcer/<version>/:
// where the organization templates' functions read their code (docs/ORGANIZATION.md).
//
//   node scripts/upload-artifacts.mjs --bucket-prefix my-artifacts --regions eu-west-1,us-east-1 [--dry-run]
//
// Uses the caller's AWS credentials (the SDK's standard chain: environment, AWS_PROFILE, SSO, ...).
// The buckets must exist; the version is package.json's. Refuses an incomplete release.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ORGANIZATION_FUNCTIONS, artifactKey, projectVersion } from '../infra/organization/release.mjs';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const BUCKET_PREFIX = /^[a-z0-9][a-z0-9-]{1,45}[a-z0-9]$/;

/** @param {string} message */
const usage = (message) => {
  console.error(`${message}\nusage: node scripts/upload-artifacts.mjs --bucket-prefix PREFIX --regions REGION[,REGION...] [--dry-run]`);
  process.exit(2);
};

const main = async () => {
  const { values } = parseArgs({ options: { 'bucket-prefix': { type: 'string' }, regions: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } } });
  const prefix = values['bucket-prefix'] ?? usage('--bucket-prefix is required');
  if (!BUCKET_PREFIX.test(prefix)) usage(`--bucket-prefix "${prefix}": lowercase letters, digits and hyphens, 3 to 47 characters`);
  const regions = [...new Set((values.regions ?? usage('--regions is required')).split(',').map((region) => region.trim()).filter(Boolean))];
  const invalid = regions.filter((region) => !REGION.test(region));
  if (regions.length === 0 || invalid.length > 0) usage(`--regions: ${invalid.length > 0 ? `"${invalid.join('", "')}" not a region name` : 'none given'}`);

  const version = projectVersion();
  const zips = ORGANIZATION_FUNCTIONS.map((name) => ({ key: artifactKey(version, name), file: join(PROJECT_ROOT, 'dist', 'artifacts', artifactKey(version, name)) }));
  const missing = zips.filter(({ file }) => !existsSync(file));
  if (missing.length > 0) {
    console.error(`release ${version} is incomplete, missing:\n  ${missing.map(({ file }) => file).join('\n  ')}\nrun \`npm run build && npm run package\` first`);
    process.exit(1);
  }

  for (const region of regions) {
    const bucket = `${prefix}-${region}`;
    const s3 = new S3Client({ region });
    try {
      for (const { key, file } of zips) {
        if (values['dry-run']) {
          console.log(`would upload ${file} to s3://${bucket}/${key}`);
          continue;
        }
        await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(file), ContentType: 'application/zip' }));
        console.log(`uploaded s3://${bucket}/${key}`);
      }
    } catch (error) {
      const { name, message } = /** @type {Error} */ (error);
      console.error(`upload to s3://${bucket} (${region}) failed: ${name}: ${message}`);
      process.exit(3);
    } finally {
      s3.destroy();
    }
  }
};

await main();
