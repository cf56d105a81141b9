import { AssumeRoleCommand, RegionDisabledException, STSClient, STSServiceException, type AssumeRoleCommandOutput } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_REFRESH_MARGIN_SECONDS, StsRoleAssumer, type StsRoleAssumerOptions } from '../../../shared/adapters/sts-role-assumer.js';
import { createKmsClient, createRegionalKmsClients, createRegionalS3Clients, createRegionalSsmClients, createS3Client, createSsmClient, createStsClient } from '../../../shared/aws/aws-clients.js';
import { AwsCallError, ConfigurationError } from '../../../shared/errors.js';
import type { MemberAccess } from '../../../shared/ports/role-assumer.js';
import { networkError } from '../../fixtures/aws-errors.js';

const sts = mockClient(STSClient);

beforeEach(() => sts.reset());

const MEMBER = '222233334444';
const ROLE_ARN = `arn:aws:iam::${MEMBER}:role/encryption-audit-reader`;
const SESSION = 'encryption-audit';
const HOUR = 3_600_000;
const MINUTE = 60_000;
const START = Date.parse('2026-05-01T00:00:00Z');
const MARGIN_MS = DEFAULT_REFRESH_MARGIN_SECONDS * 1000;

const stsError = (name: string, httpStatusCode = 400, message = name): STSServiceException =>
  new STSServiceException({ name, message, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode } });

/** A mocked clock, and an STS that issues numbered sets valid for `validMs` from the clock's time. */
const issuingSts = (validMs = HOUR) => {
  const clock = { now: START };
  let issued = 0;
  sts.on(AssumeRoleCommand).callsFake(async (): Promise<Partial<AssumeRoleCommandOutput>> => {
    issued += 1;
    return {
      Credentials: {
        AccessKeyId: `ASIAISSUED${String(issued).padStart(10, '0')}`,
        SecretAccessKey: `secret-${issued}`,
        SessionToken: `token-${issued}`,
        Expiration: new Date(clock.now + validMs),
      },
      AssumedRoleUser: { Arn: `arn:aws:sts::${MEMBER}:assumed-role/encryption-audit-reader/${SESSION}`, AssumedRoleId: 'AROAEXAMPLE:encryption-audit' },
    };
  });
  return clock;
};

const assumer = (options: Partial<StsRoleAssumerOptions> = {}, now?: () => number) =>
  new StsRoleAssumer(new STSClient({ region: 'eu-west-1' }), {
    roleName: 'encryption-audit-reader',
    partition: 'aws',
    sessionName: SESSION,
    ...(now ? { now } : {}),
    ...options,
  });

const assumed = (access: MemberAccess): AwsCredentialIdentityProvider => {
  if (access.kind !== 'assumed') throw new Error(`expected the role to be assumed, got ${JSON.stringify(access)}`);
  return access.credentials;
};

/** Every AssumeRole input, whole and in order. */
const inputs = () => sts.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input);

const deferred = () => {
  let release = (): void => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { gate, release };
};

describe('StsRoleAssumer: the first AssumeRole', () => {
  it("assumes the member's role at once, for one hour, and hands back that set with its expiry and account", async () => {
    const clock = issuingSts();

    const access = await assumer({}, () => clock.now).assume(MEMBER);

    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, { RoleArn: ROLE_ARN, RoleSessionName: SESSION, DurationSeconds: 3600 });
    expect(inputs()).toEqual([{ RoleArn: ROLE_ARN, RoleSessionName: SESSION, DurationSeconds: 3600 }]);
    await expect(assumed(access)()).resolves.toEqual({
      accessKeyId: 'ASIAISSUED0000000001',
      secretAccessKey: 'secret-1',
      sessionToken: 'token-1',
      expiration: new Date(START + HOUR),
      accountId: MEMBER,
    });
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
  });

  it.each([
    ['a path in the role name', { roleName: 'audit/reader' }, `arn:aws:iam::${MEMBER}:role/audit/reader`],
    ['a path written as IAM writes it, with a leading slash', { roleName: '/org/audit/reader' }, `arn:aws:iam::${MEMBER}:role/org/audit/reader`],
    ['the China partition', { partition: 'aws-cn' }, `arn:aws-cn:iam::${MEMBER}:role/encryption-audit-reader`],
    ['GovCloud, a path and a shorter session', { partition: 'aws-us-gov', roleName: 'audit/reader', durationSeconds: 1800 }, `arn:aws-us-gov:iam::${MEMBER}:role/audit/reader`],
  ])('builds the role ARN from the partition, the account and the role name: %s', async (_case, options, roleArn) => {
    issuingSts();
    const roleAssumer = assumer(options);

    expect(roleAssumer.roleArnIn(MEMBER)).toBe(roleArn);
    await roleAssumer.assume(MEMBER);

    const durationSeconds = 'durationSeconds' in options ? options.durationSeconds : 3600;
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, { RoleArn: roleArn, RoleSessionName: SESSION, DurationSeconds: durationSeconds });
    expect(inputs()).toEqual([{ RoleArn: roleArn, RoleSessionName: SESSION, DurationSeconds: durationSeconds }]);
  });

  it.each(['12345', '2222333344445', 'abcdefghijkl', ` ${MEMBER}`, `${MEMBER}\n`, '', '2222-3333-4444'])(
    'refuses the account id %j before calling STS',
    async (accountId) => {
      issuingSts();

      await expect(assumer().assume(accountId)).rejects.toThrow(/^not an AWS account id: .* \(12 digits expected\)$/);
      await expect(assumer().assume(accountId)).rejects.toBeInstanceOf(RangeError);
      expect(sts.calls()).toHaveLength(0);
    },
  );

  it('fails on an answer without a whole set of credentials, naming what is missing', async () => {
    sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'ASIAPARTIAL000000000', SecretAccessKey: 's', SessionToken: '', Expiration: undefined as unknown as Date } });

    await expect(assumer().assume(MEMBER)).rejects.toMatchObject({
      name: 'AwsCallError',
      operation: 'AssumeRole',
      code: 'IncompleteCredentials',
      message: `AssumeRole failed: IncompleteCredentials: the answer for ${ROLE_ARN} has no SessionToken, Expiration`,
    });
  });
});

describe('StsRoleAssumer: refusals are reasons', () => {
  it("AccessDenied: the role is missing or its trust policy does not name the audit's role, which AWS cannot tell apart", async () => {
    const message = `User: arn:aws:sts::111122223333:assumed-role/audit-function/fn is not authorized to perform: sts:AssumeRole on resource: ${ROLE_ARN}`;
    sts.on(AssumeRoleCommand).rejects(stsError('AccessDenied', 403, message));

    const access = await assumer().assume(MEMBER);

    expect(access).toEqual({
      kind: 'refused',
      reason: {
        code: 'role-not-assumable',
        detail:
          `${ROLE_ARN} could not be assumed (AccessDenied): the role does not exist in account ${MEMBER}, or its trust policy does not allow ` +
          `the audit's role to assume it; AWS answers both the same way. AWS said: ${message}`,
      },
    });
    expect(inputs()).toEqual([{ RoleArn: ROLE_ARN, RoleSessionName: SESSION, DurationSeconds: 3600 }]);
  });

  it('RegionDisabledException: STS is not activated in the region, for that account', async () => {
    sts.on(AssumeRoleCommand).rejects(
      new RegionDisabledException({ message: `STS is not activated in this region for account:${MEMBER}.`, $metadata: { httpStatusCode: 403 } }),
    );

    await expect(assumer().assume(MEMBER)).resolves.toEqual({
      kind: 'refused',
      reason: {
        code: 'region-disabled',
        detail: `STS is not activated in eu-west-1 for account ${MEMBER} (RegionDisabledException), so ${ROLE_ARN} could not be assumed there`,
      },
    });
  });

  it.each(['Throttling', 'ThrottlingException', 'TooManyRequestsException'])('%s, once the SDK has given up retrying: throttled', async (code) => {
    sts.on(AssumeRoleCommand).rejects(stsError(code, 400, 'Rate exceeded'));

    await expect(assumer().assume(MEMBER)).resolves.toEqual({
      kind: 'refused',
      reason: { code: 'throttled', detail: `AssumeRole of ${ROLE_ARN} was still throttled (${code}) after the SDK's retries` },
    });
  });

  it.each([
    ['TimeoutError', Object.assign(new Error('Connection timed out after 5000 ms'), { name: 'TimeoutError' })],
    ['RequestTimeout', stsError('RequestTimeout', 400)],
    ['ETIMEDOUT', networkError('ETIMEDOUT')],
    ['ECONNRESET', networkError('ECONNRESET')],
  ])('%s: timed-out', async (code, error) => {
    sts.on(AssumeRoleCommand).rejects(error);

    await expect(assumer().assume(MEMBER)).resolves.toEqual({
      kind: 'refused',
      reason: { code: 'timed-out', detail: `AssumeRole of ${ROLE_ARN} got no answer in time (${code})` },
    });
  });

  it.each([
    ['ValidationError', stsError('ValidationError', 400, 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.'), false],
    ['ExpiredTokenException', stsError('ExpiredTokenException', 400, 'The security token included in the request is expired'), false],
    ['InvalidClientTokenId', stsError('InvalidClientTokenId', 403, 'The security token included in the request is invalid.'), false],
    ['InternalFailure', stsError('InternalFailure', 500, 'We encountered an internal error.'), true],
  ])('%s is not the member’s state but a bug or bad configuration: thrown as an AwsCallError', async (code, error, transient) => {
    sts.on(AssumeRoleCommand).rejects(error);

    const failure = await assumer()
      .assume(MEMBER)
      .catch((thrown: unknown) => thrown);

    expect(failure).toBeInstanceOf(AwsCallError);
    expect(failure).toMatchObject({
      operation: 'AssumeRole',
      code,
      transient,
      cause: error,
      message: `AssumeRole failed: ${code} (HTTP ${error.$metadata.httpStatusCode}): assuming ${ROLE_ARN}: ${error.message}`,
    });
  });

  it('quotes nothing of a key id or a session token that an AWS message echoes', async () => {
    const token = `IQoJb3JpZ2luX2VjEJr//////////wEaCWV1LXdlc3QtMSJHMEUCIQD${'x'.repeat(120)}+abc/def==`;
    const echo = `Credential=ASIAQWERTYUIOPASDFGH/20260501/eu-west-1/sts/aws4_request x-amz-security-token:${token}`;
    sts
      .on(AssumeRoleCommand)
      .rejectsOnce(stsError('AccessDenied', 403, `denied; ${echo}`))
      .rejectsOnce(stsError('SignatureDoesNotMatch', 403, `The request signature we calculated does not match. ${echo}`));

    const refused = await assumer().assume(MEMBER);
    const thrown = await assumer()
      .assume(MEMBER)
      .catch((error: unknown) => error as Error);

    const texts = [JSON.stringify(refused), (thrown as Error).message];
    for (const text of texts) {
      expect(text).toContain('[redacted]');
      expect(text).not.toContain('ASIAQWERTYUIOPASDFGH');
      expect(text).not.toContain('IQoJb3JpZ2luX2VjEJr');
      expect(text).not.toContain('xxxxxxxx');
    }
  });
});

describe('StsRoleAssumer: credentials for a run of any length', () => {
  it('over a 3-hour run with hourly sessions, every call gets a set valid for at least the margin, renewed once per refresh even with 50 callers at once', async () => {
    const clock = issuingSts();
    const credentials = assumed(await assumer({}, () => clock.now).assume(MEMBER));
    const renewedAt: number[] = [];

    for (let minute = 0; minute <= 180; minute += 1) {
      clock.now = START + minute * MINUTE;
      const before = sts.commandCalls(AssumeRoleCommand).length;

      const sets = await Promise.all(Array.from({ length: 50 }, () => credentials()));

      const after = sts.commandCalls(AssumeRoleCommand).length;
      expect(after - before, `AssumeRole calls at minute ${minute}`).toBeLessThanOrEqual(1);
      if (after > before) renewedAt.push(minute);
      expect(new Set(sets.map((set) => set.accessKeyId)).size, `sets handed out at minute ${minute}`).toBe(1);
      for (const set of sets) {
        expect((set.expiration as Date).getTime() - clock.now, `validity left at minute ${minute}`).toBeGreaterThanOrEqual(MARGIN_MS);
        expect(set.accountId).toBe(MEMBER);
      }
    }

    // Each set lasts an hour and is replaced with 15 minutes left: every 45 minutes.
    expect(renewedAt).toEqual([45, 90, 135, 180]);
    expect(inputs()).toEqual(Array.from({ length: 5 }, () => ({ RoleArn: ROLE_ARN, RoleSessionName: SESSION, DurationSeconds: 3600 })));
    await expect(credentials()).resolves.toMatchObject({ accessKeyId: 'ASIAISSUED0000000005', expiration: new Date(START + 180 * MINUTE + HOUR) });
  });

  it('50 callers arriving while the renewal is in flight all wait for that one AssumeRole and get its set', async () => {
    const clock = issuingSts();
    const credentials = assumed(await assumer({}, () => clock.now).assume(MEMBER));
    const { gate, release } = deferred();
    sts.on(AssumeRoleCommand).callsFake(async () => {
      await gate;
      return { Credentials: { AccessKeyId: 'ASIARENEWED000000000', SecretAccessKey: 'renewed', SessionToken: 'renewed-token', Expiration: new Date(clock.now + HOUR) } };
    });
    clock.now = START + 50 * MINUTE;

    const waiting = Array.from({ length: 50 }, () => credentials());
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
    release();
    const sets = await Promise.all(waiting);

    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
    expect(sets.every((set) => set === sets[0])).toBe(true);
    expect(sets[0]).toEqual({
      accessKeyId: 'ASIARENEWED000000000',
      secretAccessKey: 'renewed',
      sessionToken: 'renewed-token',
      expiration: new Date(START + 50 * MINUTE + HOUR),
      accountId: MEMBER,
    });
    await expect(credentials()).resolves.toBe(sets[0]);
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });

  it('a failed renewal is thrown to every caller that waited for it, once, and the next call renews', async () => {
    const clock = issuingSts();
    const credentials = assumed(await assumer({}, () => clock.now).assume(MEMBER));
    const throttled = stsError('Throttling', 400, 'Rate exceeded');
    let renewals = 0;
    sts.on(AssumeRoleCommand).callsFake(async () => {
      renewals += 1;
      if (renewals === 1) throw throttled;
      return { Credentials: { AccessKeyId: 'ASIAAFTERFAILURE0000', SecretAccessKey: 's2', SessionToken: 't2', Expiration: new Date(clock.now + HOUR) } };
    });
    clock.now = START + 50 * MINUTE;

    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => credentials()));

    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const failure = (outcome as PromiseRejectedResult).reason as unknown;
      expect(failure).toBeInstanceOf(AwsCallError);
      expect(failure).toMatchObject({
        operation: 'AssumeRole',
        code: 'Throttling',
        httpStatus: 400,
        transient: true,
        cause: throttled,
        message: `AssumeRole failed: Throttling (HTTP 400): renewing the credentials of ${ROLE_ARN}: Rate exceeded`,
      });
    }

    await expect(credentials()).resolves.toMatchObject({ accessKeyId: 'ASIAAFTERFAILURE0000', accountId: MEMBER });
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 3);
    expect(inputs()).toEqual(Array.from({ length: 3 }, () => ({ RoleArn: ROLE_ARN, RoleSessionName: SESSION, DurationSeconds: 3600 })));
  });

  it('a role refused at renewal time (its trust policy changed mid-run) is thrown, not turned into a set or a silent skip', async () => {
    const clock = issuingSts();
    const credentials = assumed(await assumer({}, () => clock.now).assume(MEMBER));
    sts.on(AssumeRoleCommand).rejects(stsError('AccessDenied', 403, 'not authorized to perform: sts:AssumeRole'));
    clock.now = START + 46 * MINUTE;

    const failure = await credentials().catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(AwsCallError);
    expect(failure).toMatchObject({ code: 'AccessDenied', transient: false, message: expect.stringContaining(`renewing the credentials of ${ROLE_ARN}`) });
    expect((failure as Error).message).not.toContain('secret-1');
    expect((failure as Error).message).not.toContain('token-1');
  });

  it('a margin of 0 keeps a set to its last millisecond, and renews at its expiry', async () => {
    const clock = issuingSts();
    const credentials = assumed(await assumer({ refreshMarginSeconds: 0 }, () => clock.now).assume(MEMBER));

    clock.now = START + HOUR - 1;
    await expect(credentials()).resolves.toMatchObject({ accessKeyId: 'ASIAISSUED0000000001' });
    clock.now = START + HOUR;
    await expect(credentials()).resolves.toMatchObject({ accessKeyId: 'ASIAISSUED0000000002', expiration: new Date(START + 2 * HOUR) });
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });

  it('whatever the gaps between calls, never hands out a set with less than the margin left, and renews only when it must', () =>
    fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3 * HOUR }), { minLength: 1, maxLength: 30 }), async (gaps) => {
        sts.reset();
        const clock = issuingSts();
        const credentials = assumed(await assumer({}, () => clock.now).assume(MEMBER));
        let held: AwsCredentialIdentity = await credentials();
        for (const gap of gaps) {
          clock.now += gap;
          const mustRenew = (held.expiration as Date).getTime() - MARGIN_MS <= clock.now;
          const before = sts.commandCalls(AssumeRoleCommand).length;
          const set = await credentials();
          expect(sts.commandCalls(AssumeRoleCommand).length - before).toBe(mustRenew ? 1 : 0);
          expect((set.expiration as Date).getTime() - clock.now).toBeGreaterThanOrEqual(MARGIN_MS);
          held = set;
        }
      }),
      { numRuns: 50 },
    ));
});

describe('StsRoleAssumer: options', () => {
  it.each([
    ['a one-letter session name', { sessionName: 'a' }, /role session name "a" must be 2–64/],
    ['a session name with a space', { sessionName: 'encryption audit' }, /role session name "encryption audit" must be 2–64/],
    ['a 65-character session name', { sessionName: 's'.repeat(65) }, /role session name "s{65}" must be 2–64/],
    ['a role name with a space', { roleName: 'audit reader' }, /member role name "audit reader" is not an IAM role name/],
    ['an empty role name', { roleName: '' }, /member role name "" is not an IAM role name/],
    ['a role name ending in a slash', { roleName: 'audit/' }, /member role name "audit\/" is not an IAM role name/],
    ['a partition in capitals', { partition: 'AWS' }, /partition "AWS" is not an AWS partition/],
    ['a session shorter than STS allows', { durationSeconds: 899 }, /session duration 899 s must be a whole number from 900 to 43200/],
    ['a session longer than STS allows', { durationSeconds: 43_201 }, /session duration 43201 s/],
    ['a margin as long as the session', { durationSeconds: 3600, refreshMarginSeconds: 3600 }, /refresh margin 3600 s must be at least 0 and shorter than the session \(3600 s\)/],
    ['a negative margin', { refreshMarginSeconds: -1 }, /refresh margin -1 s/],
    ['the default margin on the shortest session', { durationSeconds: 900 }, /refresh margin 900 s must be .* shorter than the session \(900 s\)/],
  ])('refuses %s', (_case, options, message) => {
    expect(() => assumer(options)).toThrow(ConfigurationError);
    expect(() => assumer(options)).toThrow(message);
  });

  it('accepts every character STS allows in a session name, from 2 to 64 of them', async () => {
    issuingSts();
    for (const sessionName of ['ab', 'audit+run=1,at.org@acme_x-y', 'x'.repeat(64)]) {
      await assumer({ sessionName }).assume(MEMBER);
      expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, { RoleArn: ROLE_ARN, RoleSessionName: sessionName, DurationSeconds: 3600 });
    }
  });
});

describe('clients that act in a member account', () => {
  const aws = { region: 'eu-west-1', forcePathStyle: true };

  it('S3, KMS and SSM clients, single and regional, use the credentials provider they are given', async () => {
    const clock = issuingSts();
    const credentials = assumed(await assumer({}, () => clock.now).assume(MEMBER));
    const clients = [
      createS3Client(aws, credentials),
      createKmsClient(aws, credentials),
      createSsmClient(aws, credentials),
      createRegionalS3Clients(aws, credentials)('us-east-1'),
      createRegionalKmsClients(aws, credentials)('us-east-1'),
      createRegionalSsmClients(aws, credentials)('ap-southeast-2'),
    ];

    for (const client of clients) {
      await expect(client.config.credentials()).resolves.toMatchObject({ accessKeyId: 'ASIAISSUED0000000001', accountId: MEMBER, expiration: new Date(START + HOUR) });
    }
    expect(await createRegionalSsmClients(aws, credentials)('ap-southeast-2').config.region()).toBe('ap-southeast-2');
  });

  it('without one, they keep the default chain, and the STS client is tuned as the others', async () => {
    const defaults = createS3Client(aws);
    expect(defaults.config.credentials).not.toBeUndefined();
    const stsClient = createStsClient(aws);
    expect(await stsClient.config.region()).toBe('eu-west-1');
    expect(await stsClient.config.maxAttempts()).toBe(5);
    expect(stsClient.middlewareStack.identify().map((entry) => entry.split(' ')[0])).not.toContain('loggerMiddleware');
    const ssm = createSsmClient(aws);
    expect(await ssm.config.maxAttempts()).toBe(5);
    expect(ssm.middlewareStack.identify().map((entry) => entry.split(' ')[0])).not.toContain('loggerMiddleware');
  });
});
