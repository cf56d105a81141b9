import {
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetBucketOwnershipControlsCommand,
  GetObjectAclCommand,
  HeadObjectCommand,
  S3Client,
  UpdateObjectEncryptionCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { enforceObject, type ObjectEnforcement } from '../../../functions/enforce-object-encryption/enforce-object.js';
import { UpdateCapability } from '../../../functions/enforce-object-encryption/update-capability.js';
import { S3ObjectStore } from '../../../shared/adapters/s3-object-store.js';
import type { ObjectReference } from '../../../shared/core/object-reference.js';
import { s3Error } from '../../fixtures/aws-errors.js';

const REQUIRED = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const OTHER = 'arn:aws:kms:us-east-1:123456789012:key/9999abcd-12ab-34cd-56ef-1234567890ab';
const BUCKET = 'photos-bucket';
const GIB = 1024 ** 3;
const s3 = mockClient(S3Client);

const ref = (key: string, versionId?: string): ObjectReference => ({ bucket: BUCKET, key, eventName: 'ObjectCreated:Put', ...(versionId ? { versionId } : {}) });
const refusals: string[] = [];

const deps = (overrides: Partial<ObjectEnforcement> = {}): ObjectEnforcement => ({
  store: new S3ObjectStore(new S3Client({ region: 'us-east-1' }), () => new Date('2026-11-22T00:00:00Z')),
  requirementOf: () => ({ kind: 'required', keyArn: REQUIRED, bucketKey: true, acceptDsseKms: true }),
  mode: 'enforce',
  copyLimitBytes: 5 * GIB,
  strategy: 'auto',
  priorVersions: 'retain',
  update: new UpdateCapability(true),
  multipart: { partBytes: 64 * 1024 ** 2, concurrency: 4 },
  remainingTimeMs: () => 890_000,
  clock: () => new Date('2026-11-22T00:00:00Z'),
  onUpdateRefused: (r, code, wide) => refusals.push(`${r.key}:${code}:${wide}`),
  ...overrides,
});

const copied = { VersionId: 'v-new', ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: REQUIRED, BucketKeyEnabled: true };

beforeEach(() => {
  s3.reset();
  refusals.length = 0;
  s3.on(GetBucketOwnershipControlsCommand).resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } });
});

describe('strategy auto', () => {
  it('updates SSE-S3 objects in place: no data moves, no copy, one HeadObject and one write', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 10, ServerSideEncryption: 'AES256', VersionId: 'v1' });
    s3.on(UpdateObjectEncryptionCommand).resolves({});
    await expect(enforceObject(ref('a.txt', 'v1'), deps())).resolves.toEqual({
      kind: 'remediated',
      strategy: 'update-in-place',
      before: { kind: 'sse-s3' },
      after: { kind: 'sse-kms', keyArn: REQUIRED, bucketKeyEnabled: true },
      target: { algorithm: 'aws:kms', keyArn: REQUIRED, bucketKeyEnabled: true },
    });
    expect(s3.commandCalls(UpdateObjectEncryptionCommand)[0]?.args[0].input).toEqual({
      Bucket: BUCKET,
      Key: 'a.txt',
      VersionId: 'v1',
      ObjectEncryption: { SSEKMS: { KMSKeyArn: REQUIRED, BucketKeyEnabled: true } },
    });
    expect(s3.calls().map((call) => call.args[0].constructor.name)).toEqual(['HeadObjectCommand', 'UpdateObjectEncryptionCommand']);
  });

  it('updates archived objects in place without a restore', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 10, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: OTHER, StorageClass: 'DEEP_ARCHIVE' });
    s3.on(UpdateObjectEncryptionCommand).resolves({});
    await expect(enforceObject(ref('cold.bin'), deps())).resolves.toMatchObject({ kind: 'remediated', strategy: 'update-in-place' });
    expect(s3).not.toHaveReceivedCommand(CopyObjectCommand);
  });

  it('copies when the endpoint does not implement the operation, and stops trying it for the cold start', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 10, ServerSideEncryption: 'AES256' });
    s3.on(UpdateObjectEncryptionCommand).rejects(s3Error('NotImplemented', 501));
    s3.on(CopyObjectCommand).resolves(copied);
    const shared = deps();
    await expect(enforceObject(ref('first.txt'), shared)).resolves.toMatchObject({ kind: 'remediated', strategy: 'copy-in-place', fellBackFrom: 'NotImplemented' });
    await expect(enforceObject(ref('second.txt'), shared)).resolves.toMatchObject({ kind: 'remediated', strategy: 'copy-in-place' });
    expect(s3).toHaveReceivedCommandTimes(UpdateObjectEncryptionCommand, 1);
    expect(s3).toHaveReceivedCommandTimes(CopyObjectCommand, 2);
    expect(shared.update.available).toBe(false);
    expect(refusals).toEqual(['first.txt:NotImplemented:true']);
  });

  it('copies one object the operation cannot take, and keeps using it for others', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 10, ServerSideEncryption: 'AES256' });
    s3.on(UpdateObjectEncryptionCommand).rejects(s3Error('InvalidRequest', 400));
    s3.on(CopyObjectCommand).resolves(copied);
    const shared = deps();
    await expect(enforceObject(ref('cross-account-key.txt'), shared)).resolves.toMatchObject({ strategy: 'copy-in-place', fellBackFrom: 'InvalidRequest' });
    expect(shared.update.available).toBe(true);
  });

  it.each([
    ['AccessDenied', s3Error('AccessDenied', 403)],
    ['a disabled KMS key', s3Error('KMS.DisabledException', 400)],
  ])('never falls back on %s: that is a failure to report', async (_name, error) => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 10, ServerSideEncryption: 'AES256' });
    s3.on(UpdateObjectEncryptionCommand).rejects(error);
    await expect(enforceObject(ref('a.txt'), deps())).resolves.toMatchObject({
      kind: 'failed',
      before: { kind: 'sse-s3' },
      error: { code: error.name, transient: false },
    });
    expect(s3).not.toHaveReceivedCommand(CopyObjectCommand);
  });

  it('an archived object the operation refuses, and a copy cannot reach without a restore, is reported, never counted compliant', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 10, ServerSideEncryption: 'AES256', StorageClass: 'GLACIER' });
    s3.on(UpdateObjectEncryptionCommand).rejects(s3Error('InvalidRequest', 400));
    await expect(enforceObject(ref('cold.txt'), deps())).resolves.toEqual({
      kind: 'skipped',
      reason: 'archived',
      detail: 'stored in GLACIER; it cannot be copied without a restore',
      alert: true,
      before: { kind: 'sse-s3' },
    });
    expect(s3.calls().map((call) => call.args[0].constructor.name)).toEqual(['HeadObjectCommand', 'UpdateObjectEncryptionCommand']);
    expect(refusals).toEqual(['cold.txt:InvalidRequest:false']);
  });

  it('a big object the operation refuses falls back to a multipart copy, which waits for an invocation with the time', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 20 * GIB, ServerSideEncryption: 'AES256' });
    s3.on(UpdateObjectEncryptionCommand).rejects(s3Error('InvalidRequest', 400));
    await expect(enforceObject(ref('big.bin'), deps({ remainingTimeMs: () => 60_000 }))).resolves.toEqual({
      kind: 'failed',
      before: { kind: 'sse-s3' },
      error: { code: 'InsufficientTime', message: `copying ${20 * GIB} bytes needs about 235 s and 60 s are left; not started`, transient: true },
    });
    expect(s3.calls().map((call) => call.args[0].constructor.name)).toEqual(['HeadObjectCommand', 'UpdateObjectEncryptionCommand']);
  });

  it('copies unencrypted objects, which the operation cannot take, without trying it', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 10 });
    s3.on(CopyObjectCommand).resolves(copied);
    await expect(enforceObject(ref('plain.txt'), deps())).resolves.toMatchObject({ strategy: 'copy-in-place' });
    expect(s3).not.toHaveReceivedCommand(UpdateObjectEncryptionCommand);
  });
});

describe('strategy update', () => {
  it('reports objects the operation cannot take, and writes nothing', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 10 });
    await expect(enforceObject(ref('plain.txt'), deps({ strategy: 'update' }))).resolves.toMatchObject({ kind: 'skipped', reason: 'update-not-applicable', alert: true });
    expect(s3.calls()).toHaveLength(1);
  });

  it('reports, rather than copies, when the endpoint refuses', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 10, ServerSideEncryption: 'AES256' });
    s3.on(UpdateObjectEncryptionCommand).rejects(s3Error('NotImplemented', 501));
    await expect(enforceObject(ref('a.txt'), deps({ strategy: 'update' }))).resolves.toEqual({
      kind: 'skipped',
      reason: 'update-not-applicable',
      detail: 'UpdateObjectEncryption answered NotImplemented, and POLICY.strategy is "update"',
      alert: true,
      before: { kind: 'sse-s3' },
    });
    expect(s3).not.toHaveReceivedCommand(CopyObjectCommand);
  });
});

describe('copies keep what CopyObject would drop', () => {
  it('writes the ACL with the copy in a bucket with ACLs enabled', async () => {
    s3.on(GetBucketOwnershipControlsCommand).resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: 'ObjectWriter' }] } });
    s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 10, VersionId: 'v1' });
    s3.on(GetObjectAclCommand).resolves({ Grants: [{ Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AllUsers' }, Permission: 'READ' }] });
    s3.on(CopyObjectCommand).resolves(copied);
    await expect(enforceObject(ref('public.html', 'v1'), deps())).resolves.toMatchObject({ kind: 'remediated', aclCarried: true });
    expect(s3).toHaveReceivedCommandWith(GetObjectAclCommand, { Bucket: BUCKET, Key: 'public.html', VersionId: 'v1' });
    expect(s3).toHaveReceivedCommandWith(CopyObjectCommand, { GrantRead: 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' });
  });

  it('reads no ACL where ACLs are disabled', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 10 });
    s3.on(CopyObjectCommand).resolves(copied);
    await expect(enforceObject(ref('a.txt'), deps())).resolves.toMatchObject({ aclCarried: false });
    expect(s3).not.toHaveReceivedCommand(GetObjectAclCommand);
  });
});

describe('the version a copy leaves behind', () => {
  const versioned = () => s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 10, VersionId: 'v1' });

  it('retain (default): kept, and named in the outcome', async () => {
    versioned();
    s3.on(CopyObjectCommand).resolves(copied);
    await expect(enforceObject(ref('a.txt', 'v1'), deps())).resolves.toMatchObject({ priorVersion: { versionId: 'v1', disposition: 'retained' } });
    expect(s3).not.toHaveReceivedCommand(DeleteObjectCommand);
  });

  it('delete: exactly the version copied from, after the new one is verified', async () => {
    versioned();
    s3.on(CopyObjectCommand).resolves(copied);
    s3.on(DeleteObjectCommand).resolves({});
    await expect(enforceObject(ref('a.txt', 'v1'), deps({ priorVersions: 'delete' }))).resolves.toMatchObject({
      newVersionId: 'v-new',
      priorVersion: { versionId: 'v1', disposition: 'deleted' },
    });
    expect(s3.commandCalls(DeleteObjectCommand).map((call) => call.args[0].input)).toEqual([{ Bucket: BUCKET, Key: 'a.txt', VersionId: 'v1' }]);
  });

  it('delete: never when the copy did not verify', async () => {
    versioned();
    s3.on(CopyObjectCommand).resolves({ VersionId: 'v-new', ServerSideEncryption: 'AES256' });
    await expect(enforceObject(ref('a.txt', 'v1'), deps({ priorVersions: 'delete' }))).resolves.toMatchObject({ kind: 'failed', error: { code: 'RemediationNotVerified' } });
    expect(s3).not.toHaveReceivedCommand(DeleteObjectCommand);
  });

  it('delete: never under Object Lock', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 10, VersionId: 'v1', ObjectLockLegalHoldStatus: 'ON' });
    s3.on(CopyObjectCommand).resolves(copied);
    await expect(enforceObject(ref('a.txt', 'v1'), deps({ priorVersions: 'delete' }))).resolves.toMatchObject({
      priorVersion: { versionId: 'v1', disposition: 'retained-locked' },
    });
    expect(s3).not.toHaveReceivedCommand(DeleteObjectCommand);
  });

  it('delete: a failed delete leaves the remediation done and says so', async () => {
    versioned();
    s3.on(CopyObjectCommand).resolves(copied);
    s3.on(DeleteObjectCommand).rejects(s3Error('AccessDenied', 403, 'Access Denied'));
    await expect(enforceObject(ref('a.txt', 'v1'), deps({ priorVersions: 'delete' }))).resolves.toMatchObject({
      kind: 'remediated',
      priorVersion: { versionId: 'v1', disposition: 'delete-failed', detail: 'DeleteObject failed: AccessDenied (HTTP 403): Access Denied' },
    });
  });

  it('unversioned buckets have no prior version', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 10 });
    s3.on(CopyObjectCommand).resolves({ ...copied, VersionId: undefined });
    const outcome = await enforceObject(ref('a.txt'), deps({ priorVersions: 'delete' }));
    expect(outcome).not.toHaveProperty('priorVersion');
  });
});

describe('an event for a version that is no longer current', () => {
  it('is superseded: one HeadObject, no write, and nothing said of the current version', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 10, VersionId: 'v2' });
    const outcome = await enforceObject(ref('a.txt', 'v1'), deps());
    expect(outcome).toStrictEqual({ kind: 'skipped', reason: 'superseded', detail: 'version v1 is no longer current (current: v2)', alert: false, before: undefined });
    expect(s3.calls()).toHaveLength(1);
  });
});

describe('multipart copies and the time left', () => {
  const big = () => s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 20 * GIB });

  it('a copy that cannot finish in the time left is not started, and is retried', async () => {
    big();
    await expect(enforceObject(ref('big.bin'), deps({ strategy: 'copy', remainingTimeMs: () => 60_000 }))).resolves.toMatchObject({
      kind: 'failed',
      error: { code: 'InsufficientTime', transient: true },
    });
    expect(s3).not.toHaveReceivedCommand(CreateMultipartUploadCommand);
  });

  it('a copy no invocation could finish is reported, not retried', async () => {
    s3.on(HeadObjectCommand).resolves({ ETag: '"e"', ContentLength: 900 * GIB });
    await expect(enforceObject(ref('huge.bin'), deps({ strategy: 'copy' }))).resolves.toMatchObject({
      kind: 'skipped',
      reason: 'exceeds-copy-limit',
      alert: true,
    });
    expect(s3.calls()).toHaveLength(1);
  });
});
