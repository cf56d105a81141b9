import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { describe, expect, it } from 'vitest';
import { ASFF_LIMITS } from '../../../shared/findings-export/asff-finding.js';
import { BATCH_ENVELOPE_BYTES, DEFAULT_IMPORT_OPTIONS, importInBatches } from '../../../shared/findings-export/security-hub-export.js';
import type { BatchImport, FindingsImporter } from '../../../shared/ports/findings-importer.js';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';

const finding = (index: number, description = 'Observed: SSE-S3; expected: SSE-KMS'): AwsSecurityFinding => ({
  SchemaVersion: '2018-10-08',
  Id: `s3-default-encryption-kms/${String(index).padStart(20, '0')}`,
  ProductArn: `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`,
  GeneratorId: 's3-default-encryption-kms',
  AwsAccountId: ACCOUNT,
  CreatedAt: '2026-05-02T03:00:00.000Z',
  UpdatedAt: '2026-05-02T03:00:00.000Z',
  Title: 'Bucket default encryption is SSE-KMS with the required key',
  Description: description,
  Resources: [{ Type: 'AwsS3Bucket', Id: `arn:aws:s3:::bucket-${index}` }],
});

const findings = (count: number, from = 0): AwsSecurityFinding[] => Array.from({ length: count }, (_, index) => finding(from + index));

const bytesOf = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

/** An importer that records each batch's ids and answers with `answer` (everything imported by default). */
const recordingImporter = (answer: (batch: readonly AwsSecurityFinding[], call: number) => Promise<BatchImport> | BatchImport = (batch) => ({ kind: 'imported', imported: batch.length, failed: [] })) => {
  const batches: string[][] = [];
  const bodies: number[] = [];
  const importer: FindingsImporter = {
    importBatch: async (region, batch) => {
      expect(region).toBe(REGION);
      batches.push(batch.map((item) => item.Id as string));
      bodies.push(bytesOf({ Findings: batch }));
      return answer(batch, batches.length);
    },
  };
  return { importer, batches, bodies };
};

/** An async source that counts what was read from it and whether it was closed. */
const source = (items: readonly AwsSecurityFinding[]) => {
  const state = { pulled: 0, closed: false };
  const iterable = (async function* () {
    try {
      for (const item of items) {
        state.pulled += 1;
        yield item;
      }
    } finally {
      state.closed = true;
    }
  })();
  return { state, iterable };
};

const idsOf = (items: readonly AwsSecurityFinding[]): string[] => items.map((item) => item.Id as string);

describe('importInBatches', () => {
  it('250 findings go in three batches of 100, 100 and 50, in order', async () => {
    const all = findings(250);
    const { importer, batches } = recordingImporter();

    const outcome = await importInBatches(importer, REGION, all);

    expect(batches).toEqual([idsOf(all.slice(0, 100)), idsOf(all.slice(100, 200)), idsOf(all.slice(200))]);
    expect(outcome).toEqual({ kind: 'imported', region: REGION, imported: 250, failed: 0, failures: [] });
  });

  it('reads an async source as well, and nothing at all is a region with nothing imported', async () => {
    const { importer, batches } = recordingImporter();

    await expect(importInBatches(importer, REGION, source(findings(3)).iterable, { batchSize: 2 })).resolves.toEqual({
      kind: 'imported',
      region: REGION,
      imported: 3,
      failed: 0,
      failures: [],
    });
    expect(batches).toHaveLength(2);
    await expect(importInBatches(importer, REGION, [])).resolves.toEqual({ kind: 'imported', region: REGION, imported: 0, failed: 0, failures: [] });
    expect(batches).toHaveLength(2);
  });

  it('a batch ends where the next finding would take the request body over the byte limit, to the byte', async () => {
    const all = findings(7);
    const three = bytesOf({ Findings: all.slice(0, 3) });

    const exact = recordingImporter();
    await importInBatches(exact.importer, REGION, all, { maxBatchBytes: three });
    const under = recordingImporter();
    await importInBatches(under.importer, REGION, all, { maxBatchBytes: three - 1 });

    expect(exact.batches.map((batch) => batch.length)).toEqual([3, 3, 1]);
    expect(exact.bodies[0]).toBe(three);
    expect(under.batches.map((batch) => batch.length)).toEqual([2, 2, 2, 1]);
    expect(Math.max(...under.bodies)).toBeLessThanOrEqual(three - 1);
  });

  it('large findings fill batches by bytes long before 100: every request stays under the default limit', async () => {
    // About 200 KB each: 28 of them fit under 6 MB less the margin.
    const big = Array.from({ length: 60 }, (_, index) => finding(index, 'd'.repeat(200_000)));
    const { importer, batches, bodies } = recordingImporter();

    const outcome = await importInBatches(importer, REGION, big);

    expect(batches.map((batch) => batch.length)).toEqual([28, 28, 4]);
    expect(Math.max(...bodies)).toBeLessThanOrEqual(DEFAULT_IMPORT_OPTIONS.maxBatchBytes);
    expect(DEFAULT_IMPORT_OPTIONS.maxBatchBytes).toBeLessThan(ASFF_LIMITS.batchBytes);
    expect(outcome).toMatchObject({ kind: 'imported', imported: 60, failed: 0 });
  });

  it('a finding over 240 KB is a failure of its own, never sent; the others go in', async () => {
    const huge = finding(1, 'd'.repeat(ASFF_LIMITS.findingBytes));
    const { importer, batches } = recordingImporter();

    const outcome = await importInBatches(importer, REGION, [finding(0), huge, finding(2)]);

    expect(batches).toEqual([[finding(0).Id, finding(2).Id]]);
    expect(outcome).toEqual({
      kind: 'imported',
      region: REGION,
      imported: 2,
      failed: 1,
      failures: [
        {
          id: huge.Id,
          code: 'FindingTooLarge',
          message: `the finding is ${bytesOf(huge)} bytes of JSON; Security Hub takes at most 240000 per finding`,
        },
      ],
    });
  });

  it('a finding that fits Security Hub but not a batch of the byte limit given is a failure too', async () => {
    const { importer, batches } = recordingImporter();
    const small = finding(0);
    const limit = BATCH_ENVELOPE_BYTES + bytesOf(small);

    const outcome = await importInBatches(importer, REGION, [small, finding(1, 'Observed: SSE-S3, longer than the first; expected: SSE-KMS')], { maxBatchBytes: limit });

    expect(batches).toEqual([[small.Id]]);
    const larger = bytesOf(finding(1, 'Observed: SSE-S3, longer than the first; expected: SSE-KMS'));
    expect(outcome).toEqual({
      kind: 'imported',
      region: REGION,
      imported: 1,
      failed: 1,
      failures: [{ id: finding(1).Id, code: 'FindingTooLarge', message: `the finding is ${larger} bytes of JSON; a batch of at most ${limit} bytes has room for ${bytesOf(small)}` }],
    });
  });

  it('holds at most `concurrency` batches in flight, and reads the source no further ahead than one batch more', async () => {
    const concurrency = 3;
    const batchSize = 5;
    let inFlight = 0;
    let mostInFlight = 0;
    let answered = 0;
    let mostAhead = 0;
    const input = source(findings(200));
    const importer: FindingsImporter = {
      importBatch: async (_region, batch) => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        mostAhead = Math.max(mostAhead, input.state.pulled - answered);
        await new Promise((resolve) => setTimeout(resolve, 1));
        inFlight -= 1;
        answered += batch.length;
        return { kind: 'imported', imported: batch.length, failed: [] };
      },
    };

    const outcome = await importInBatches(importer, REGION, input.iterable, { batchSize, concurrency });

    expect(outcome).toMatchObject({ kind: 'imported', imported: 200, failed: 0 });
    expect(mostInFlight).toBe(concurrency);
    expect(mostAhead).toBeLessThanOrEqual(concurrency * batchSize + 1);
  });

  it('stops at the first not-enabled: no more batches, the source closed, in-flight batches waited for', async () => {
    const input = source(findings(1000));
    const message = `Security Hub is not enabled in account ${ACCOUNT} region ${REGION}`;
    let settled = 0;
    const { importer, batches } = recordingImporter(async (batch, call) => {
      await new Promise((resolve) => setTimeout(resolve, call === 1 ? 5 : 1));
      settled += 1;
      return call === 2 ? { kind: 'not-enabled', message } : { kind: 'imported', imported: batch.length, failed: [] };
    });

    const outcome = await importInBatches(importer, REGION, input.iterable, { batchSize: 10, concurrency: 2 });

    expect(outcome).toEqual({ kind: 'not-enabled', region: REGION, message });
    expect(batches).toHaveLength(2);
    expect(settled).toBe(2);
    expect(input.state.closed).toBe(true);
    expect(input.state.pulled).toBeLessThanOrEqual(31);
  });

  it('counts every refused finding and keeps the first 20', async () => {
    const all = findings(50);
    const { importer } = recordingImporter((batch) => ({
      kind: 'imported',
      imported: 0,
      failed: batch.map((item) => ({ id: item.Id as string, code: 'InvalidInput', message: 'bad' })),
    }));

    const outcome = await importInBatches(importer, REGION, all, { batchSize: 7, concurrency: 1 });

    expect(outcome).toEqual({
      kind: 'imported',
      region: REGION,
      imported: 0,
      failed: 50,
      failures: all.slice(0, 20).map((item) => ({ id: item.Id, code: 'InvalidInput', message: 'bad' })),
    });
  });

  it('an importer that throws interrupts the region, with what was imported until then', async () => {
    const input = source(findings(500));
    const { importer, batches } = recordingImporter((batch, call) => {
      if (call === 3) throw new Error(`BatchImportFindings failed: ThrottlingException (HTTP 400): in ${REGION}, after 6 attempts: Rate exceeded`);
      return { kind: 'imported', imported: batch.length - 1, failed: [{ id: batch[0]?.Id as string, code: 'InvalidInput', message: 'bad' }] };
    });

    const outcome = await importInBatches(importer, REGION, input.iterable, { concurrency: 1 });

    expect(outcome).toEqual({
      kind: 'interrupted',
      region: REGION,
      imported: 198,
      failed: 2,
      failures: [
        { id: finding(0).Id, code: 'InvalidInput', message: 'bad' },
        { id: finding(100).Id, code: 'InvalidInput', message: 'bad' },
      ],
      error: `BatchImportFindings failed: ThrottlingException (HTTP 400): in ${REGION}, after 6 attempts: Rate exceeded`,
    });
    expect(batches).toHaveLength(3);
    expect(input.state.closed).toBe(true);
  });

  it('a source that fails interrupts the region after the batches already sent have settled', async () => {
    const broken = async function* () {
      yield* findings(150);
      throw new Error('the spool could not be read: EIO');
    };
    const { importer, batches } = recordingImporter();

    const outcome = await importInBatches(importer, REGION, broken());

    expect(outcome).toEqual({ kind: 'interrupted', region: REGION, imported: 100, failed: 0, failures: [], error: 'the spool could not be read: EIO' });
    expect(batches).toHaveLength(1);
  });

  it.each([
    [{ batchSize: 101 }, 'batch size 101 must be a whole number from 1 to 100'],
    [{ batchSize: 0 }, 'batch size 0 must be a whole number from 1 to 100'],
    [{ maxBatchBytes: BATCH_ENVELOPE_BYTES }, `batch byte limit ${BATCH_ENVELOPE_BYTES} must be a whole number above ${BATCH_ENVELOPE_BYTES} and at most 6000000`],
    [{ maxBatchBytes: 7_000_000 }, `batch byte limit 7000000 must be a whole number above ${BATCH_ENVELOPE_BYTES} and at most 6000000`],
    [{ concurrency: 0 }, 'concurrency 0 must be a whole number of at least 1'],
  ])('refuses %j', async (options, message) => {
    await expect(importInBatches(recordingImporter().importer, REGION, findings(1), options)).rejects.toThrow(new RangeError(message));
  });
});
