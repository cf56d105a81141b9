import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import type { FailedImport, FindingsImporter } from '../ports/findings-importer.js';
import { ASFF_LIMITS } from './asff-finding.js';

/** `{"Findings":[]}`: what a request's body holds besides the findings and the commas between them. */
export const BATCH_ENVELOPE_BYTES = Buffer.byteLength('{"Findings":[]}');

export const DEFAULT_IMPORT_OPTIONS = Object.freeze({
  batchSize: ASFF_LIMITS.findingsPerBatch,
  /** Room under the request limit for headers and any difference in how the SDK writes the JSON. */
  maxBatchBytes: ASFF_LIMITS.batchBytes - 256 * 1024,
  /** Batches in flight at once; the importer paces them under Security Hub's rate. */
  concurrency: 4,
});

/** Failures kept for the report: enough to show what went wrong, bounded however many failed. */
export const KEPT_FAILURES = 20;

export const FINDING_TOO_LARGE = 'FindingTooLarge';

export interface ImportInBatchesOptions {
  /** At most 100, Security Hub's limit. */
  readonly batchSize?: number;
  readonly maxBatchBytes?: number;
  readonly concurrency?: number;
}

export type RegionImportOutcome =
  | { readonly kind: 'imported'; readonly region: string; readonly imported: number; readonly failed: number; readonly failures: readonly FailedImport[] }
  | { readonly kind: 'not-enabled'; readonly region: string; readonly message: string }
  | {
      readonly kind: 'interrupted';
      readonly region: string;
      readonly imported: number;
      readonly failed: number;
      readonly failures: readonly FailedImport[];
      readonly error: string;
    };

const settingsOf = (options: ImportInBatchesOptions): Required<ImportInBatchesOptions> => {
  const settings = { ...DEFAULT_IMPORT_OPTIONS, ...options };
  const { batchSize, maxBatchBytes, concurrency } = settings;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > ASFF_LIMITS.findingsPerBatch) {
    throw new RangeError(`batch size ${batchSize} must be a whole number from 1 to ${ASFF_LIMITS.findingsPerBatch}`);
  }
  if (!Number.isInteger(maxBatchBytes) || maxBatchBytes <= BATCH_ENVELOPE_BYTES || maxBatchBytes > ASFF_LIMITS.batchBytes) {
    throw new RangeError(`batch byte limit ${maxBatchBytes} must be a whole number above ${BATCH_ENVELOPE_BYTES} and at most ${ASFF_LIMITS.batchBytes}`);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency ${concurrency} must be a whole number of at least 1`);
  return settings;
};

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Streams one region's findings into Security Hub: batches of at most `batchSize` findings and
 * `maxBatchBytes` of JSON, at most `concurrency` of them in flight, and the source read no further
 * ahead than the batch being filled, so memory stays flat however many findings there are. A finding
 * too large for Security Hub (240 KB) or for a batch is a failure, never sent. The first
 * `not-enabled` stops the region; an error thrown by the importer or the source interrupts it.
 * Either way, batches already in flight are waited for before the outcome is given.
 */
export const importInBatches = async (
  importer: FindingsImporter,
  region: string,
  findings: AsyncIterable<AwsSecurityFinding> | Iterable<AwsSecurityFinding>,
  options: ImportInBatchesOptions = {},
): Promise<RegionImportOutcome> => {
  const { batchSize, maxBatchBytes, concurrency } = settingsOf(options);
  const findingLimit = Math.min(ASFF_LIMITS.findingBytes, maxBatchBytes - BATCH_ENVELOPE_BYTES);
  let imported = 0;
  let failed = 0;
  const failures: FailedImport[] = [];
  const fail = (failure: FailedImport): void => {
    failed += 1;
    if (failures.length < KEPT_FAILURES) failures.push(failure);
  };
  let stop: { readonly kind: 'not-enabled'; readonly message: string } | { readonly kind: 'interrupted'; readonly error: string } | undefined;

  const inFlight = new Set<Promise<void>>();
  const send = (batch: readonly AwsSecurityFinding[]): void => {
    const sending: Promise<void> = importer
      .importBatch(region, batch)
      .then(
        (answer) => {
          if (answer.kind === 'not-enabled') {
            stop ??= answer;
            return;
          }
          imported += answer.imported;
          answer.failed.forEach(fail);
        },
        (error: unknown) => {
          stop ??= { kind: 'interrupted', error: messageOf(error) };
        },
      )
      .finally(() => inFlight.delete(sending));
    inFlight.add(sending);
  };

  let batch: AwsSecurityFinding[] = [];
  let batchBytes = BATCH_ENVELOPE_BYTES;
  const flush = async (): Promise<void> => {
    send(batch);
    batch = [];
    batchBytes = BATCH_ENVELOPE_BYTES;
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
  };

  try {
    for await (const finding of findings) {
      if (stop) break;
      const bytes = Buffer.byteLength(JSON.stringify(finding));
      if (bytes > findingLimit) {
        fail({
          id: finding.Id ?? '(no id)',
          code: FINDING_TOO_LARGE,
          message:
            findingLimit === ASFF_LIMITS.findingBytes
              ? `the finding is ${bytes} bytes of JSON; Security Hub takes at most ${ASFF_LIMITS.findingBytes} per finding`
              : `the finding is ${bytes} bytes of JSON; a batch of at most ${maxBatchBytes} bytes has room for ${findingLimit}`,
        });
        continue;
      }
      const comma = batch.length === 0 ? 0 : 1;
      if (batch.length === batchSize || batchBytes + comma + bytes > maxBatchBytes) {
        await flush();
        if (stop) break;
      }
      batchBytes += (batch.length === 0 ? 0 : 1) + bytes;
      batch.push(finding);
    }
    if (!stop && batch.length > 0) await flush();
  } catch (error) {
    stop ??= { kind: 'interrupted', error: messageOf(error) };
  }
  await Promise.all(inFlight);

  if (stop?.kind === 'not-enabled') return { kind: 'not-enabled', region, message: stop.message };
  if (stop?.kind === 'interrupted') return { kind: 'interrupted', region, imported, failed, failures, error: stop.error };
  return { kind: 'imported', region, imported, failed, failures };
};
