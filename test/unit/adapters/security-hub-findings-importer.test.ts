import { BatchImportFindingsCommand, SecurityHubClient, SecurityHubServiceException, type AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SecurityHubFindingsImporter, type SecurityHubFindingsImporterOptions } from '../../../shared/adapters/security-hub-findings-importer.js';
import { CHECKS } from '../../../shared/audit/checks-catalogue.js';
import { makeFinding } from '../../../shared/audit/checks/make-finding.js';
import { AwsCallError, ConfigurationError } from '../../../shared/errors.js';
import { toAsffFinding } from '../../../shared/findings-export/asff-finding.js';
import { networkError } from '../../fixtures/aws-errors.js';

const securityHub = mockClient(SecurityHubClient);

beforeEach(() => securityHub.reset());

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const START = Date.parse('2026-05-02T03:00:00Z');
const CONTEXT = { accountId: ACCOUNT, partition: 'aws', homeRegion: 'us-east-1', updatedAt: '2026-05-02T03:00:00.000Z' };

const asff = (bucket: string): AwsSecurityFinding =>
  toAsffFinding(
    makeFinding(CHECKS['s3-default-encryption-kms'], { resource: `arn:aws:s3:::${bucket}`, region: REGION, status: 'failed', observed: 'SSE-S3', expected: 'SSE-KMS' }),
    '2026-04-01T00:00:00.000Z',
    CONTEXT,
  );

const FINDINGS = [asff('alpha'), asff('bravo'), asff('charlie')];
const ids = FINDINGS.map((finding) => finding.Id as string);

const hubError = (name: string, httpStatusCode = 400, message = name): SecurityHubServiceException =>
  new SecurityHubServiceException({ name, message, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode } });

/** A clock that moves only when the importer sleeps, and the sleeps it was asked for. */
const virtualTime = () => {
  const clock = { now: START, sleeps: [] as number[] };
  const sleep = async (ms: number): Promise<void> => {
    clock.sleeps.push(ms);
    clock.now += ms;
  };
  return { clock, sleep, now: () => clock.now };
};

const importer = (options: SecurityHubFindingsImporterOptions = {}, regions: string[] = []) => {
  const time = virtualTime();
  return {
    clock: time.clock,
    importer: new SecurityHubFindingsImporter(
      (region) => {
        regions.push(region);
        return new SecurityHubClient({ region });
      },
      { sleep: time.sleep, now: time.now, random: () => 0.5, ...options },
    ),
  };
};

const inputs = () => securityHub.commandCalls(BatchImportFindingsCommand).map((call) => call.args[0].input);

describe('SecurityHubFindingsImporter', () => {
  it('imports a batch with one BatchImportFindings call, in the client of the region asked', async () => {
    securityHub.on(BatchImportFindingsCommand).resolves({ SuccessCount: 3, FailedCount: 0, FailedFindings: [] });
    const regions: string[] = [];

    const outcome = await importer({}, regions).importer.importBatch(REGION, FINDINGS);

    expect(outcome).toEqual({ kind: 'imported', imported: 3, failed: [] });
    expect(securityHub).toHaveReceivedCommandExactlyOnceWith(BatchImportFindingsCommand, { Findings: FINDINGS });
    expect(inputs()).toEqual([{ Findings: FINDINGS }]);
    expect(regions).toEqual([REGION]);
  });

  it('returns the findings Security Hub refused, each with its code and message', async () => {
    securityHub.on(BatchImportFindingsCommand).resolves({
      SuccessCount: 2,
      FailedCount: 1,
      FailedFindings: [{ Id: ids[1], ErrorCode: 'InvalidInput', ErrorMessage: 'Finding does not adhere to Amazon Security Finding Format. data.Title should NOT be longer than 256 characters.' }],
    });

    await expect(importer().importer.importBatch(REGION, FINDINGS)).resolves.toEqual({
      kind: 'imported',
      imported: 2,
      failed: [{ id: ids[1], code: 'InvalidInput', message: 'Finding does not adhere to Amazon Security Finding Format. data.Title should NOT be longer than 256 characters.' }],
    });
    expect(inputs()).toEqual([{ Findings: FINDINGS }]);
  });

  it('every finding refused with InvalidAccess: Security Hub is not enabled there, a value saying how to enable it', async () => {
    securityHub.on(BatchImportFindingsCommand).resolves({
      SuccessCount: 0,
      FailedCount: 3,
      FailedFindings: ids.map((id) => ({ Id: id, ErrorCode: 'InvalidAccess', ErrorMessage: `Account ${ACCOUNT} is not subscribed to AWS Security Hub` })),
    });

    await expect(importer().importer.importBatch(REGION, FINDINGS)).resolves.toEqual({
      kind: 'not-enabled',
      message:
        `Security Hub is not enabled in account ${ACCOUNT} region ${REGION}, so its findings were not imported there: enable it ` +
        `(the Security Hub console, or aws securityhub enable-security-hub --region ${REGION} in that account) and the next run imports them. ` +
        `AWS said: Account ${ACCOUNT} is not subscribed to AWS Security Hub`,
    });
    expect(securityHub).toHaveReceivedCommandTimes(BatchImportFindingsCommand, 1);
  });

  it('an InvalidAccessException thrown for the call is the same value, and is not retried', async () => {
    securityHub.on(BatchImportFindingsCommand).rejects(hubError('InvalidAccessException', 401, `Account ${ACCOUNT} is not subscribed to AWS Security Hub`));

    const outcome = await importer().importer.importBatch(REGION, FINDINGS);

    expect(outcome).toEqual({
      kind: 'not-enabled',
      message: expect.stringMatching(new RegExp(`^Security Hub is not enabled in account ${ACCOUNT} region ${REGION}, .* AWS said: Account ${ACCOUNT} is not subscribed to AWS Security Hub$`)),
    });
    expect(securityHub).toHaveReceivedCommandTimes(BatchImportFindingsCommand, 1);
  });

  it('InvalidAccess for some findings only, beside imported ones, is a per-finding failure', async () => {
    securityHub.on(BatchImportFindingsCommand).resolves({
      SuccessCount: 2,
      FailedCount: 1,
      FailedFindings: [{ Id: ids[0], ErrorCode: 'InvalidAccess', ErrorMessage: 'AwsAccountId does not match the caller' }],
    });

    await expect(importer().importer.importBatch(REGION, FINDINGS)).resolves.toEqual({
      kind: 'imported',
      imported: 2,
      failed: [{ id: ids[0], code: 'InvalidAccess', message: 'AwsAccountId does not match the caller' }],
    });
  });

  it('throttling is retried with full-jitter exponential backoff, then the batch goes in', async () => {
    securityHub
      .on(BatchImportFindingsCommand)
      .rejectsOnce(hubError('ThrottlingException', 400, 'Rate exceeded'))
      .rejectsOnce(hubError('LimitExceededException', 429, 'Rate exceeded'))
      .rejectsOnce(hubError('TooManyRequestsException', 400, 'Too many requests'))
      .rejectsOnce(hubError('SomethingNew', 429, 'slow down'))
      .resolves({ SuccessCount: 3, FailedCount: 0, FailedFindings: [] });
    const { importer: subject, clock } = importer();

    await expect(subject.importBatch(REGION, FINDINGS)).resolves.toEqual({ kind: 'imported', imported: 3, failed: [] });

    // random() = 0.5 of 200, 400, 800, 1600 ms.
    expect(clock.sleeps).toEqual([100, 200, 400, 800]);
    expect(inputs()).toEqual(Array.from({ length: 5 }, () => ({ Findings: FINDINGS })));
  });

  it('the backoff is random up to a bound that doubles, capped at 10 s', async () => {
    securityHub.on(BatchImportFindingsCommand).rejects(hubError('ThrottlingException'));
    const { importer: subject, clock } = importer({ random: () => 0.999, maxAttempts: 9 });

    await expect(subject.importBatch(REGION, FINDINGS)).rejects.toThrow(AwsCallError);

    expect(clock.sleeps.map(Math.round)).toEqual([200, 400, 799, 1598, 3197, 6394, 9990, 9990]);
  });

  it('a server fault or a dropped connection is retried too: importing again is an upsert', async () => {
    securityHub
      .on(BatchImportFindingsCommand)
      .rejectsOnce(hubError('InternalException', 500, 'Internal service error'))
      .rejectsOnce(networkError('ECONNRESET'))
      .resolves({ SuccessCount: 3, FailedCount: 0 });

    await expect(importer().importer.importBatch(REGION, FINDINGS)).resolves.toEqual({ kind: 'imported', imported: 3, failed: [] });
    expect(securityHub).toHaveReceivedCommandTimes(BatchImportFindingsCommand, 3);
  });

  it('throttled at every attempt: thrown once the attempts are spent, naming the operation, region, code and attempts', async () => {
    const throttled = hubError('ThrottlingException', 400, 'Rate exceeded');
    securityHub.on(BatchImportFindingsCommand).rejects(throttled);

    const failure = await importer({ maxAttempts: 3 })
      .importer.importBatch(REGION, FINDINGS)
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(AwsCallError);
    expect(failure).toMatchObject({
      operation: 'BatchImportFindings',
      code: 'ThrottlingException',
      httpStatus: 400,
      transient: true,
      cause: throttled,
      message: `BatchImportFindings failed: ThrottlingException (HTTP 400): in ${REGION}, after 3 attempts: Rate exceeded`,
    });
    expect(securityHub).toHaveReceivedCommandTimes(BatchImportFindingsCommand, 3);
  });

  it.each([
    ['InvalidInputException', 400, 'Invalid parameter: Findings'],
    ['AccessDeniedException', 403, 'User is not authorized to perform: securityhub:BatchImportFindings'],
  ])('an unexpected %s is thrown at once, naming the region', async (code, status, message) => {
    const error = hubError(code, status, message);
    securityHub.on(BatchImportFindingsCommand).rejects(error);

    const failure = await importer()
      .importer.importBatch(REGION, FINDINGS)
      .catch((thrown: unknown) => thrown);

    expect(failure).toBeInstanceOf(AwsCallError);
    expect(failure).toMatchObject({
      operation: 'BatchImportFindings',
      code,
      transient: false,
      cause: error,
      message: `BatchImportFindings failed: ${code} (HTTP ${status}): in ${REGION}: ${message}`,
    });
    expect(securityHub).toHaveReceivedCommandTimes(BatchImportFindingsCommand, 1);
  });

  it('an empty batch makes no call; more than 100 findings are refused before any call', async () => {
    const { importer: subject } = importer();

    await expect(subject.importBatch(REGION, [])).resolves.toEqual({ kind: 'imported', imported: 0, failed: [] });
    await expect(subject.importBatch(REGION, Array.from({ length: 101 }, () => FINDINGS[0] as AwsSecurityFinding))).rejects.toThrow(
      new RangeError('101 findings in one BatchImportFindings call; Security Hub takes at most 100'),
    );
    expect(securityHub).toHaveReceivedCommandTimes(BatchImportFindingsCommand, 0);
  });
});

describe('SecurityHubFindingsImporter: pacing', () => {
  it('takes a burst of 30 calls at once, then holds 10 a second; a quiet spell refills the burst, never beyond 30', async () => {
    const { importer: subject, clock } = importer();
    const sentAt: number[] = [];
    securityHub.on(BatchImportFindingsCommand).callsFake(async () => {
      sentAt.push(clock.now - START);
      return { SuccessCount: 1, FailedCount: 0 };
    });

    for (let call = 0; call < 40; call += 1) await subject.importBatch(REGION, [FINDINGS[0] as AwsSecurityFinding]);

    expect(sentAt).toEqual([...Array.from({ length: 30 }, () => 0), 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);

    // A minute of quiet: 30 tokens again, not 600.
    clock.now += 60_000;
    sentAt.length = 0;
    for (let call = 0; call < 32; call += 1) await subject.importBatch(REGION, [FINDINGS[0] as AwsSecurityFinding]);
    expect(sentAt).toEqual([...Array.from({ length: 30 }, () => 61_000), 61_100, 61_200]);
  });

  it('callers arriving together wait in turn: the 31st to the 50th wait 100 ms to 2 s', async () => {
    // All 50 reserve at one instant: the clock stands still while they wait.
    const sleeps: number[] = [];
    const subject = new SecurityHubFindingsImporter(() => new SecurityHubClient({}), {
      now: () => START,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    securityHub.on(BatchImportFindingsCommand).resolves({ SuccessCount: 1, FailedCount: 0 });

    await Promise.all(Array.from({ length: 50 }, () => subject.importBatch(REGION, [FINDINGS[0] as AwsSecurityFinding])));

    expect(sleeps).toEqual(Array.from({ length: 20 }, (_, index) => (index + 1) * 100));
    expect(securityHub).toHaveReceivedCommandTimes(BatchImportFindingsCommand, 50);
  });

  it('each region has its own bucket: one region’s spent burst does not slow another', async () => {
    const { importer: subject, clock } = importer();
    securityHub.on(BatchImportFindingsCommand).resolves({ SuccessCount: 1, FailedCount: 0 });

    for (let call = 0; call < 30; call += 1) await subject.importBatch(REGION, [FINDINGS[0] as AwsSecurityFinding]);
    await subject.importBatch('us-east-1', [FINDINGS[0] as AwsSecurityFinding]);
    expect(clock.sleeps).toEqual([]);
    await subject.importBatch(REGION, [FINDINGS[0] as AwsSecurityFinding]);
    expect(clock.sleeps).toEqual([100]);
  });

  it('retries are paced too: each attempt takes a token', async () => {
    securityHub
      .on(BatchImportFindingsCommand)
      .rejectsOnce(hubError('ThrottlingException'))
      .resolves({ SuccessCount: 1, FailedCount: 0 });
    const { importer: subject, clock } = importer({ burst: 1, ratePerSecond: 1 });

    await subject.importBatch(REGION, [FINDINGS[0] as AwsSecurityFinding]);

    // 100 ms of backoff, then 900 ms more until the next token.
    expect(clock.sleeps.map(Math.round)).toEqual([100, 900]);
  });

  it.each([
    ['a rate of 0', { ratePerSecond: 0 }, /Security Hub import rate 0 per second must be above 0/],
    ['a burst of 0', { burst: 0 }, /Security Hub import burst 0 must be a whole number of at least 1/],
    ['half an attempt', { maxAttempts: 1.5 }, /Security Hub import attempts 1.5 must be a whole number of at least 1/],
  ])('refuses %s', (_case, options, message) => {
    expect(() => new SecurityHubFindingsImporter(() => new SecurityHubClient({}), options)).toThrow(ConfigurationError);
    expect(() => new SecurityHubFindingsImporter(() => new SecurityHubClient({}), options)).toThrow(message);
  });
});
