import { describe, expect, it } from 'vitest';
import { checkKeyRoleSeparation } from '../../../shared/audit/checks/key-role-separation.js';
import { checkKeyRotation } from '../../../shared/audit/checks/key-rotation.js';
import { checkKeyState, checkMissingKey, checkRequiredKeyInBucketRegion, keyLookupError } from '../../../shared/audit/checks/key-state.js';
import { findingId } from '../../../shared/audit/finding.js';
import { ACCOUNT, MRK, MRK_EU, OTHER, REQUIRED, bucket, key } from './fixtures.js';

const NAMED_BY = ['REQUIRED_KMS_KEY', 'bucket data-bucket default encryption'];

describe('kms-key-state', () => {
  it('an enabled key passes, with the names that use it', () => {
    expect(checkKeyState(key(REQUIRED), NAMED_BY)).toEqual({
      id: findingId('kms-key-state', REQUIRED),
      check: 'kms-key-state',
      severity: 'high',
      status: 'passed',
      resource: REQUIRED,
      resourceType: 'AwsKmsKey',
      region: 'us-east-1',
      title: 'KMS key exists, is enabled and is usable in the bucket region',
      observed: 'Enabled',
      expected: 'KeyState Enabled',
      remediation: expect.any(String),
      controls: ['Security Hub KMS.3', 'AWS Config kms-cmk-not-scheduled-for-deletion'],
      related: NAMED_BY,
    });
  });

  it.each([
    ['PendingDeletion', '2026-03-08', 'critical', 'PendingDeletion (deletion on 2026-03-08)'],
    ['PendingReplicaDeletion', undefined, 'critical', 'PendingReplicaDeletion'],
    ['Disabled', undefined, 'high', 'Disabled'],
    ['Unavailable', undefined, 'high', 'Unavailable'],
    ['PendingImport', undefined, 'high', 'PendingImport'],
  ])('%s fails as %s', (state, deletionDate, severity, observed) => {
    expect(checkKeyState(key(OTHER, { state, deletionDate }), NAMED_BY)).toMatchObject({ status: 'failed', severity, observed });
  });

  it('a key that does not exist is critical', () => {
    const arn = `arn:aws:kms:us-east-1:${ACCOUNT}:alias/gone`;
    expect(checkMissingKey(arn, 'us-east-1', ['bucket b default encryption'])).toMatchObject({
      id: findingId('kms-key-state', arn),
      status: 'failed',
      severity: 'critical',
      observed: 'no such key (deleted, or never created in this region)',
    });
  });

  it('a bucket outside the required key region gets its own finding, with its own id', () => {
    const eu = bucket('eu-bucket', { region: 'eu-west-1' });
    const finding = checkRequiredKeyInBucketRegion(eu, {
      kind: 'unusable',
      reference: REQUIRED,
      homeArn: REQUIRED,
      reason: `the required key ${REQUIRED} is a single-Region key in us-east-1; S3 needs a key in eu-west-1`,
    });
    expect(finding).toMatchObject({
      id: findingId('kms-key-state', 'arn:aws:s3:::eu-bucket', 'required-key-region'),
      resource: 'arn:aws:s3:::eu-bucket',
      resourceType: 'AwsS3Bucket',
      region: 'eu-west-1',
      status: 'failed',
      severity: 'high',
    });
    expect(finding.id).not.toBe(findingId('kms-key-state', 'arn:aws:s3:::eu-bucket'));
  });
});

describe('kms-key-rotation', () => {
  it.each([
    [{ enabled: true, periodDays: 365 }, 365, 'passed', 'automatic rotation on, every 365 days'],
    [{ enabled: true, periodDays: 90 }, 365, 'passed', 'automatic rotation on, every 90 days'],
    [{ enabled: true, periodDays: 730 }, 365, 'failed', 'automatic rotation on, every 730 days'],
    [{ enabled: true }, 365, 'passed', "automatic rotation on, period not reported (KMS's default is 365 days)"],
    [{ enabled: true }, 180, 'failed', "automatic rotation on, period not reported (KMS's default is 365 days)"],
    [{ enabled: false }, 365, 'failed', 'automatic rotation is off'],
  ])('%o with a maximum of %d days: %s', (rotation, max, status, observed) => {
    expect(checkKeyRotation(key(REQUIRED, { rotation: { ok: true, value: rotation } }), max, NAMED_BY)).toMatchObject({
      status,
      severity: 'medium',
      observed,
      expected: `automatic rotation on, every ${max} days or more often`,
    });
  });

  it.each([
    ['an asymmetric key', { keySpec: 'RSA_2048' }, 'RSA_2048 keys (asymmetric or HMAC) cannot rotate automatically'],
    ['an HMAC key', { keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' }, 'HMAC_256 keys (asymmetric or HMAC) cannot rotate automatically'],
    ['imported key material', { origin: 'EXTERNAL' }, 'keys with imported key material cannot rotate automatically'],
    ['a CloudHSM key store', { origin: 'AWS_CLOUDHSM', customKeyStoreId: 'cks-1' }, 'keys in a custom key store (AWS_CLOUDHSM) cannot rotate automatically'],
  ])('%s is informational, not a failure', (_case, overrides, observed) => {
    expect(checkKeyRotation(key(OTHER, { ...overrides, rotation: undefined }), 365, NAMED_BY)).toMatchObject({
      status: 'informational',
      severity: 'informational',
      observed,
    });
  });

  it('says nothing of AWS-managed keys or keys pending deletion', () => {
    expect(checkKeyRotation(key(OTHER, { manager: 'AWS' }), 365, NAMED_BY)).toBeUndefined();
    expect(checkKeyRotation(key(OTHER, { state: 'PendingDeletion' }), 365, NAMED_BY)).toBeUndefined();
  });

  it('points a replica at its primary, and reports a status it could not read as an error', () => {
    const replica = key(OTHER, { multiRegionType: 'REPLICA', primaryArn: REQUIRED, rotation: { ok: true, value: { enabled: false } } });
    expect(checkKeyRotation(replica, 365, NAMED_BY)).toMatchObject({
      status: 'failed',
      observed: `automatic rotation is off (a multi-Region replica: rotation is set on the primary ${REQUIRED})`,
    });
    const denied = key(OTHER, { rotation: { ok: false, error: { operation: 'GetKeyRotationStatus', code: 'AccessDeniedException', message: 'no' } } });
    expect(checkKeyRotation(denied, 365, NAMED_BY)).toMatchObject({ status: 'error', observed: 'GetKeyRotationStatus failed with AccessDeniedException' });
  });
});

describe('kms-key-role-separation', () => {
  it('passes on the default policy and fails on a principal that administers and decrypts', () => {
    expect(checkKeyRoleSeparation(key(REQUIRED), NAMED_BY)).toMatchObject({ status: 'passed', severity: 'medium' });
    const policy = JSON.stringify({
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/Ops` }, Action: ['kms:ScheduleKeyDeletion', 'kms:Decrypt'], Resource: '*' }],
    });
    expect(checkKeyRoleSeparation(key(REQUIRED, { policy: { ok: true, value: policy } }), NAMED_BY)).toMatchObject({
      status: 'failed',
      observed: `AWS:arn:aws:iam::${ACCOUNT}:role/Ops may kms:ScheduleKeyDeletion and kms:Decrypt`,
    });
  });

  it('skips AWS-managed keys and reports an unreadable policy as an error', () => {
    expect(checkKeyRoleSeparation(key(REQUIRED, { manager: 'AWS' }), NAMED_BY)).toBeUndefined();
    const denied = key(REQUIRED, { policy: { ok: false, error: { operation: 'GetKeyPolicy', code: 'AccessDeniedException', message: 'no' } } });
    expect(checkKeyRoleSeparation(denied, NAMED_BY)).toMatchObject({ status: 'error', observed: 'GetKeyPolicy failed with AccessDeniedException' });
  });
});

describe('kms-key-state remediation and the required key per bucket region', () => {
  it.each([
    ['PendingDeletion', 'CancelKeyDeletion, then EnableKey, before the deletion date: once deleted, every object under the key is unreadable.'],
    ['PendingReplicaDeletion', 'CancelKeyDeletion, then EnableKey, before the deletion date: once deleted, every object under the key is unreadable.'],
    ['Disabled', 'EnableKey: while it is disabled, uploads under it fail and objects under it cannot be read.'],
  ])('a %s key says what to do', (state, remediation) => {
    expect(checkKeyState(key(OTHER, { state }), NAMED_BY)).toMatchObject({ remediation });
  });

  it('any other state takes the check’s own remediation', async () => {
    const { CHECKS } = await import('../../../shared/audit/checks-catalogue.js');
    expect(checkKeyState(key(OTHER, { state: 'Unavailable' }), NAMED_BY).remediation).toBe(CHECKS['kms-key-state'].remediation);
  });

  it('a missing key is a complete finding naming whoever names it', () => {
    const arn = `arn:aws:kms:us-east-1:${ACCOUNT}:alias/gone`;
    expect(checkMissingKey(arn, 'us-east-1', ['REQUIRED_KMS_KEY', 'bucket b default encryption'])).toMatchObject({
      resource: arn,
      region: 'us-east-1',
      related: ['REQUIRED_KMS_KEY', 'bucket b default encryption'],
      expected: 'the key exists and is Enabled',
      remediation: 'Name an existing key: REQUIRED_KMS_KEY, bucket b default encryption name(s) this key, and uploads under it fail.',
    });
  });

  it('a key that could not be looked up is an error finding about that key', () => {
    const error = { operation: 'DescribeKey', code: 'AccessDeniedException', message: 'no' };
    expect(keyLookupError(OTHER, 'us-east-1', NAMED_BY, error)).toMatchObject({
      id: findingId('kms-key-state', OTHER),
      resource: OTHER,
      status: 'error',
      expected: 'the key exists and is Enabled',
      observed: 'DescribeKey failed with AccessDeniedException',
      related: NAMED_BY,
    });
  });

  const eu = bucket('eu-bucket', { region: 'eu-west-1' });
  const common = {
    id: findingId('kms-key-state', 'arn:aws:s3:::eu-bucket', 'required-key-region'),
    check: 'kms-key-state',
    resource: 'arn:aws:s3:::eu-bucket',
    resourceType: 'AwsS3Bucket',
    region: 'eu-west-1',
    title: 'The required key is usable in the bucket region',
    expected: `the required key (alias/data), or its multi-Region replica, Enabled in eu-west-1`,
  };

  it.each([
    ['Enabled', 'passed', 'high'],
    ['Disabled', 'failed', 'high'],
    ['PendingReplicaDeletion', 'failed', 'critical'],
  ])('a usable required key that is %s: %s', (state, status, severity) => {
    const finding = checkRequiredKeyInBucketRegion(eu, { kind: 'usable', reference: 'alias/data', arn: MRK_EU, key: key(MRK_EU, { state }) });
    expect(finding).toMatchObject({ ...common, status, severity, observed: `${MRK_EU} is ${state}`, related: [MRK_EU] });
  });

  it('an unusable required key names its home key, when it has one', () => {
    const unusable = { kind: 'unusable' as const, reference: 'alias/data', reason: 'no replica in eu-west-1' };
    expect(checkRequiredKeyInBucketRegion(eu, { ...unusable, homeArn: MRK })).toMatchObject({ ...common, status: 'failed', observed: 'no replica in eu-west-1', related: [MRK] });
    expect(checkRequiredKeyInBucketRegion(eu, unusable)).not.toHaveProperty('related');
  });

  it('a required key that could not be resolved is an error finding', () => {
    const error = { operation: 'DescribeKey', code: 'ThrottlingException', message: 'slow' };
    expect(checkRequiredKeyInBucketRegion(eu, { kind: 'unknown', reference: 'alias/data', error })).toMatchObject({
      ...common,
      title: 'KMS key exists, is enabled and is usable in the bucket region: could not be checked (slow)',
      status: 'error',
      observed: 'DescribeKey failed with ThrottlingException',
    });
  });
});

describe('kms-key rotation and role separation: the whole text', () => {
  it('a key that cannot rotate is told how to rotate by hand', () => {
    expect(checkKeyRotation(key(OTHER, { origin: 'EXTERNAL', rotation: undefined }), 365, NAMED_BY)).toMatchObject({
      expected: 'rotation by hand: a new key, and data re-encrypted under it',
      remediation: 'Rotate by hand on a schedule: create a new key, point the bucket default and REQUIRED_KMS_KEY (an alias) at it, re-encrypt.',
      related: NAMED_BY,
    });
  });

  it('says nothing when the rotation status was not read', () => {
    expect(checkKeyRotation(key(OTHER, { rotation: undefined }), 365, NAMED_BY)).toBeUndefined();
  });

  it('a replica whose primary is not known still says where rotation is set', () => {
    const replica = key(OTHER, { multiRegionType: 'REPLICA', rotation: { ok: true, value: { enabled: true, periodDays: 90 } } });
    expect(checkKeyRotation(replica, 365, NAMED_BY)).toMatchObject({
      status: 'passed',
      observed: 'automatic rotation on, every 90 days (a multi-Region replica: rotation is set on the primary)',
    });
  });

  it('role separation says what it expects, and fails on a policy it cannot read', () => {
    const expected = 'no principal is granted both key administration and kms:Decrypt (the account root grant, which delegates to IAM, is not counted)';
    expect(checkKeyRoleSeparation(key(REQUIRED), NAMED_BY)).toMatchObject({ expected, related: NAMED_BY, observed: 'administrators and users are separate principals' });
    const unreadable = checkKeyRoleSeparation(key(REQUIRED, { policy: { ok: true, value: '{not json' } }), NAMED_BY);
    expect(unreadable).toMatchObject({ status: 'failed', expected });
    expect(unreadable?.observed).toMatch(/^the key policy cannot be read: .+/);
  });

  it('role separation has nothing to judge without a policy, and lists every overlapping principal, in order', () => {
    expect(checkKeyRoleSeparation(key(REQUIRED, { policy: undefined }), NAMED_BY)).toBeUndefined();
    const policy = JSON.stringify({
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/Ops` }, Action: ['kms:PutKeyPolicy', 'kms:Decrypt'], Resource: '*' },
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/Dev` }, Action: ['kms:DisableKey', 'kms:Decrypt'], Resource: '*' },
      ],
    });
    expect(checkKeyRoleSeparation(key(REQUIRED, { policy: { ok: true, value: policy } }), NAMED_BY)?.observed).toBe(
      `AWS:arn:aws:iam::${ACCOUNT}:role/Dev may kms:DisableKey and kms:Decrypt; AWS:arn:aws:iam::${ACCOUNT}:role/Ops may kms:PutKeyPolicy and kms:Decrypt`,
    );
  });
});
