import { CreateBucketCommand, ListBucketsCommand, type S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, RegionDisabledException, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { StsRoleAssumer } from '../../shared/adapters/sts-role-assumer.js';
import { CLIENT_SETTINGS, createS3Client, createStsClient, tuneClient } from '../../shared/aws/aws-clients.js';
import type { MemberAccess } from '../../shared/ports/role-assumer.js';
import { startMotoServer, TEST_REGION, type MotoServer } from './support/moto-server.js';
import { AUDIT_CALLER_ARN, startStsFaultProxy, type StsFaultProxy } from './support/sts-fault-proxy.js';

/**
 * The member-account credentials of the organization audit, made by the enforcer's own client
 * factories, against moto: moto gives the keys of an AssumeRole the account of the role, so a
 * bucket made with one member's credentials is that member's alone. moto never refuses a role and
 * never issues a session shorter than an hour; the STS fault proxy in front of it does both.
 */
const MEMBER_A = '111111111111';
const MEMBER_B = '222222222222';
const LOCKED_OUT = '333333333333';
const ROLE_NAME = 'audit/encryption-audit-reader';
const SESSION = 'encryption-audit';
const aws = { region: TEST_REGION, forcePathStyle: true };

const assumed = (access: MemberAccess): AwsCredentialIdentityProvider => {
  if (access.kind !== 'assumed') throw new Error(`expected the role to be assumed, got ${JSON.stringify(access)}`);
  return access.credentials;
};

const bucketNames = async (s3: S3Client): Promise<string[]> => ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((bucket) => bucket.Name ?? '');

const sleepUntil = async (time: number): Promise<void> => {
  while (Date.now() < time) await new Promise((resolve) => setTimeout(resolve, Math.max(10, time - Date.now())));
};

describe('member-account credentials from StsRoleAssumer, on moto', () => {
  let moto: MotoServer;
  let proxy: StsFaultProxy;
  let sts: STSClient;
  let own: S3Client;
  const made: Array<{ destroy(): void }> = [];

  /** An S3 client as the audit makes one for a member, kept to be destroyed after the file. */
  const s3With = (credentials?: AwsCredentialIdentityProvider): S3Client => {
    const client = createS3Client(aws, credentials);
    made.push(client);
    return client;
  };

  beforeAll(async () => {
    moto = await startMotoServer();
    proxy = await startStsFaultProxy(moto.endpoint);
    // The factories read endpoints and the caller's own credentials as they would in Lambda.
    vi.stubEnv('AWS_ENDPOINT_URL_S3', moto.endpoint);
    vi.stubEnv('AWS_ENDPOINT_URL_STS', proxy.endpoint);
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'testing');
    vi.stubEnv('AWS_SESSION_TOKEN', 'testing');
    sts = createStsClient(aws);
    own = s3With();
  });

  afterAll(async () => {
    for (const client of made) client.destroy();
    sts?.destroy();
    vi.unstubAllEnvs();
    await proxy?.stop();
    await moto?.stop();
  });

  beforeEach(async () => {
    await moto.reset();
    proxy.clear();
  });

  it("acts in the member's account: a bucket made with A's credentials is listed with A's, not with B's nor the caller's own", async () => {
    const assumer = new StsRoleAssumer(sts, { roleName: ROLE_NAME, partition: 'aws', sessionName: SESSION });
    const credentialsOfA = assumed(await assumer.assume(MEMBER_A));
    const credentialsOfB = assumed(await assumer.assume(MEMBER_B));
    const inA = s3With(credentialsOfA);
    const inB = s3With(credentialsOfB);

    await inA.send(new CreateBucketCommand({ Bucket: 'member-a-records' }));
    await inB.send(new CreateBucketCommand({ Bucket: 'member-b-records' }));

    expect(await bucketNames(inA)).toEqual(['member-a-records']);
    expect(await bucketNames(inB)).toEqual(['member-b-records']);
    expect(await bucketNames(own)).toEqual([]);
    await expect(credentialsOfA()).resolves.toMatchObject({ accountId: MEMBER_A, expiration: expect.any(Date) });
    expect((await credentialsOfA()).accessKeyId).not.toBe((await credentialsOfB()).accessKeyId);

    const sent = proxy.assumeRoleRequests().map((request) => Object.fromEntries(request.params));
    expect(sent).toEqual([
      { Action: 'AssumeRole', Version: '2011-06-15', RoleArn: `arn:aws:iam::${MEMBER_A}:role/${ROLE_NAME}`, RoleSessionName: SESSION, DurationSeconds: '3600' },
      { Action: 'AssumeRole', Version: '2011-06-15', RoleArn: `arn:aws:iam::${MEMBER_B}:role/${ROLE_NAME}`, RoleSessionName: SESSION, DurationSeconds: '3600' },
    ]);
    // The role was assumed once for each, then the S3 calls reused the sets.
    expect(proxy.requests.map((request) => request.status)).toEqual([200, 200]);
  });

  it('a member whose role refuses the audit is refused with a reason, from STS’s own error answer, and the others are not affected', async () => {
    proxy.refuseAssumeRole(LOCKED_OUT);
    const assumer = new StsRoleAssumer(sts, { roleName: ROLE_NAME, partition: 'aws', sessionName: SESSION });
    const roleArn = `arn:aws:iam::${LOCKED_OUT}:role/${ROLE_NAME}`;

    const lockedOut = await assumer.assume(LOCKED_OUT);
    const member = await assumer.assume(MEMBER_A);

    expect(lockedOut).toEqual({
      kind: 'refused',
      reason: {
        code: 'role-not-assumable',
        detail:
          `${roleArn} could not be assumed (AccessDenied): the role does not exist in account ${LOCKED_OUT}, or its trust policy does not allow ` +
          `the audit's role to assume it; AWS answers both the same way. AWS said: User: ${AUDIT_CALLER_ARN} is not authorized to perform: ` +
          `sts:AssumeRole on resource: ${roleArn}`,
      },
    });
    expect(member.kind).toBe('assumed');
    // AccessDenied is not retried by the SDK: one request, answered 403.
    expect(proxy.assumeRoleRequests(LOCKED_OUT).map((request) => request.status)).toEqual([403]);
  });

  it('RegionDisabledException and throttling, as STS sends them, become their reasons; throttling only after the SDK’s retries', async () => {
    proxy.refuseAssumeRole(MEMBER_A, () => ({ status: 403, type: 'Sender', code: 'RegionDisabledException', message: `STS is not activated in this region for account:${MEMBER_A}.` }));
    proxy.refuseAssumeRole(MEMBER_B, () => ({ status: 400, type: 'Sender', code: 'Throttling', message: 'Rate exceeded' }));
    // The factory's client backs off for seconds between its five attempts; two show the same.
    const impatient = tuneClient(new STSClient({ region: aws.region, ...CLIENT_SETTINGS, maxAttempts: 2 }));
    made.push(impatient);
    const options = { roleName: ROLE_NAME, partition: 'aws', sessionName: SESSION };

    await expect(new StsRoleAssumer(sts, options).assume(MEMBER_A)).resolves.toMatchObject({ kind: 'refused', reason: { code: 'region-disabled' } });
    await expect(new StsRoleAssumer(impatient, options).assume(MEMBER_B)).resolves.toMatchObject({ kind: 'refused', reason: { code: 'throttled' } });

    expect(proxy.assumeRoleRequests(MEMBER_A)).toHaveLength(1);
    expect(proxy.assumeRoleRequests(MEMBER_B).map((request) => request.status)).toEqual([400, 400]);
    // The SDK parses the Query error into its modelled exception: the proxy's answer is STS's shape.
    await expect(sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${MEMBER_A}:role/x`, RoleSessionName: SESSION }))).rejects.toBeInstanceOf(RegionDisabledException);
  });

  it('when the session expires, the next call assumes the role again and S3 calls in the member keep working', async () => {
    proxy.expireSessionsAfter(1);
    const assumer = new StsRoleAssumer(sts, { roleName: ROLE_NAME, partition: 'aws', sessionName: SESSION, refreshMarginSeconds: 0 });
    const credentials = assumed(await assumer.assume(MEMBER_A));
    const inA = s3With(credentials);
    await inA.send(new CreateBucketCommand({ Bucket: 'member-a-records' }));
    const first = await credentials();
    expect(proxy.assumeRoleRequests(MEMBER_A)).toHaveLength(1);
    expect((first.expiration as Date).getTime() - Date.now()).toBeLessThanOrEqual(1000);

    for (let round = 2; round <= 3; round += 1) {
      const held = await credentials();
      await sleepUntil((held.expiration as Date).getTime() + 20);

      expect(await bucketNames(inA)).toEqual(['member-a-records']);

      expect(proxy.assumeRoleRequests(MEMBER_A)).toHaveLength(round);
      const renewed = await credentials();
      expect(renewed.accessKeyId).not.toBe(held.accessKeyId);
      expect(renewed.accountId).toBe(MEMBER_A);
      expect((renewed.expiration as Date).getTime()).toBeGreaterThan((held.expiration as Date).getTime());
    }
    expect(proxy.assumeRoleRequests().every((request) => request.status === 200)).toBe(true);
  });
});
