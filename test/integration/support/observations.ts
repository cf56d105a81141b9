import { expect } from 'vitest';
import type { BundleRun } from './invoke-bundle.js';
import { decodeS3NotificationKey, s3RecordsOf, snsEnvelopeOf, type SnsEnvelope } from './lambda-events.js';
import type { ReceivedMessage, TestQueue } from './sqs-queue.js';

/** An "object created" notice S3 (moto) sent: every write to a watched bucket produces one. */
export interface ObjectCreatedNotice {
  readonly eventName: string;
  readonly bucket: string;
  readonly key: string;
  readonly message: ReceivedMessage;
}

/**
 * The notices waiting in a bucket's S3 → SQS queue. moto sends them before the write returns, so
 * after an invocation this is exactly the writes the invocation made (CopyObject → ObjectCreated:Copy).
 */
export const objectCreatedNotices = async (queue: TestQueue): Promise<ObjectCreatedNotice[]> =>
  (await queue.drain()).flatMap((message) =>
    s3RecordsOf(message.body).map((record) => ({
      eventName: record.eventName,
      bucket: record.s3.bucket.name,
      key: decodeS3NotificationKey(record.s3.object.key),
      message,
    })),
  );

export interface ObjectAlert {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly outcome: string;
  readonly reason: string;
  readonly detail: string;
  readonly encryption?: string;
  readonly severity: string;
  /** For a remediated object in a versioned bucket: the non-compliant version the copy left behind. */
  readonly residualVersionId?: string;
}

export interface Finding {
  readonly envelope: SnsEnvelope;
  readonly document: { readonly kind: string; readonly alerts: readonly ObjectAlert[] } & Record<string, unknown>;
}

/** Everything the findings topic delivered to its subscribed queue since the last read. */
export const findingsIn = async (queue: TestQueue): Promise<Finding[]> =>
  (await queue.drain()).map((message) => {
    const envelope = snsEnvelopeOf(message);
    return { envelope, document: JSON.parse(envelope.Message) as Finding['document'] };
  });

/** Every object alert the findings topic delivered since the last read, in the order they came. */
export const alertsIn = async (queue: TestQueue): Promise<ObjectAlert[]> =>
  (await findingsIn(queue)).flatMap((finding) => finding.document.alerts);

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * The whole low-severity finding a copy in a versioned bucket publishes (POLICY.priorVersions
 * "retain", or a locked version): it names the new, compliant version and the version left behind.
 */
export const residualVersionAlert = (expected: {
  readonly bucket: string;
  readonly key: string;
  /** The version the copy was made from, still there and still not compliant. */
  readonly residualVersionId: string;
  /** The version the copy made. */
  readonly newVersionId: string;
  /** How the residual version is encrypted, as the log line's `before` says it. */
  readonly encryption: string | undefined;
  /** Why it is still there, when that is not the policy (e.g. Object Lock). */
  readonly because?: RegExp;
}): ObjectAlert => ({
  bucket: expected.bucket,
  key: expected.key,
  versionId: expected.newVersionId,
  outcome: 'remediated',
  reason: 'residual-version',
  detail: expect.stringMatching(
    new RegExp(`${escapeRegExp(expected.newVersionId)}.*${escapeRegExp(expected.residualVersionId)}${expected.because ? `.*${expected.because.source}` : ''}`),
  ) as unknown as string,
  ...(expected.encryption !== undefined ? { encryption: expected.encryption } : {}),
  severity: 'low',
  residualVersionId: expected.residualVersionId,
});

/** The bundle's one structured line per handled object. */
export interface ObjectLogLine {
  readonly message: string;
  readonly level: string;
  readonly bucket: string;
  readonly key: string;
  readonly outcome: string;
  readonly before?: string;
  readonly after?: string;
  readonly reason?: string;
  readonly [field: string]: unknown;
}

export const objectLogLines = (run: BundleRun): ObjectLogLine[] =>
  run.logs.filter((line): line is ObjectLogLine => typeof line['outcome'] === 'string' && typeof line['key'] === 'string');

export const logLinesFor = (run: BundleRun, bucket: string, key: string): ObjectLogLine[] =>
  objectLogLines(run).filter((line) => line.bucket === bucket && line.key === key);

/** What the handler answered for an SQS batch: the message ids it wants retried. */
export const failedMessageIds = (run: BundleRun): string[] => {
  if (run.error !== undefined) throw new Error(`the invocation failed: ${run.error}\n${run.stderr}`);
  const result = run.result as { batchItemFailures?: { itemIdentifier: string }[] } | undefined;
  if (!result || !Array.isArray(result.batchItemFailures)) throw new Error(`not an SQS batch response: ${JSON.stringify(run.result)}`);
  return result.batchItemFailures.map((failure) => failure.itemIdentifier);
};
