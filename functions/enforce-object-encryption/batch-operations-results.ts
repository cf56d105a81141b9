import { describeEncryption } from '../../shared/core/encryption-state.js';
import type { Delivery } from '../../shared/core/normalise-event.js';
import type { ObjectOutcome } from '../../shared/core/object-outcome.js';
import type { HandledObject } from './object-alerts.js';

export type BatchResultCode = 'Succeeded' | 'TemporaryFailure' | 'PermanentFailure';

export interface BatchOperationsResponse {
  readonly invocationSchemaVersion: string;
  readonly treatMissingKeysAs: BatchResultCode;
  readonly invocationId: string;
  readonly results: readonly { taskId: string; resultCode: BatchResultCode; resultString: string }[];
}

const clip = (text: string): string => (text.length <= 500 ? text : `${text.slice(0, 497)}...`);

/** What Batch Operations records for one task: final outcomes succeed, failures say whether to retry. */
export const batchResultOf = (outcome: ObjectOutcome): { resultCode: BatchResultCode; resultString: string } => {
  switch (outcome.kind) {
    case 'compliant':
      return { resultCode: 'Succeeded', resultString: `compliant: ${describeEncryption(outcome.encryption)}` };
    case 'remediated':
      return {
        resultCode: 'Succeeded',
        resultString: clip(
          `remediated by ${outcome.strategy}: ${describeEncryption(outcome.before)} -> ${describeEncryption(outcome.after)}` +
            (outcome.priorVersion ? `; prior version ${outcome.priorVersion.versionId} ${outcome.priorVersion.disposition}` : ''),
        ),
      };
    case 'skipped':
      return { resultCode: outcome.alert ? 'PermanentFailure' : 'Succeeded', resultString: clip(`${outcome.reason}: ${outcome.detail}`) };
    case 'failed':
      return {
        resultCode: outcome.error.transient ? 'TemporaryFailure' : 'PermanentFailure',
        resultString: clip(`${outcome.error.code}: ${outcome.error.message}`),
      };
  }
};

/** A retry can fix a temporary failure, so it outranks a permanent one: the retry reports that again. */
const RESULT_RANK: Readonly<Record<BatchResultCode, number>> = { Succeeded: 0, PermanentFailure: 1, TemporaryFailure: 2 };

/** A task whose key may be spelled two ways can name two objects: its result covers both. */
const taskResultOf = (handled: readonly HandledObject[]): { resultCode: BatchResultCode; resultString: string } => {
  const results = handled.map(({ ref, outcome }) => ({ key: ref.key, ...batchResultOf(outcome) }));
  const [only] = results;
  if (results.length === 1 && only) return { resultCode: only.resultCode, resultString: only.resultString };
  const resultCode = results.reduce<BatchResultCode>((worst, { resultCode }) => (RESULT_RANK[resultCode] > RESULT_RANK[worst] ? resultCode : worst), 'Succeeded');
  return { resultCode, resultString: clip(results.map(({ key, resultString }) => `${JSON.stringify(key)}: ${resultString}`).join('; ')) };
};

export const batchOperationsResponse = (
  job: { invocationSchemaVersion: string; invocationId: string },
  deliveries: readonly Delivery[],
  handled: readonly (HandledObject & { readonly deliveryId: string })[],
): BatchOperationsResponse => ({
  invocationSchemaVersion: job.invocationSchemaVersion,
  treatMissingKeysAs: 'PermanentFailure',
  invocationId: job.invocationId,
  results: deliveries.map((delivery) => {
    const rejection = delivery.rejections[0];
    if (rejection) return { taskId: delivery.id, resultCode: 'PermanentFailure', resultString: clip(`rejected: ${rejection.reason}`) };
    const ofTask = handled.filter((item) => item.deliveryId === delivery.id);
    if (ofTask.length === 0) return { taskId: delivery.id, resultCode: 'PermanentFailure', resultString: 'no object in this task' };
    return { taskId: delivery.id, ...taskResultOf(ofTask) };
  }),
});
