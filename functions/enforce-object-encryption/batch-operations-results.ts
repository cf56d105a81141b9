import { describeEncryption } from '../../shared/core/encryption-state.js';
import type { Delivery } from '../../shared/core/normalise-event.js';
import type { ObjectOutcome } from '../../shared/core/object-outcome.js';

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

export const batchOperationsResponse = (
  job: { invocationSchemaVersion: string; invocationId: string },
  deliveries: readonly Delivery[],
  outcomes: ReadonlyMap<string, ObjectOutcome>,
): BatchOperationsResponse => ({
  invocationSchemaVersion: job.invocationSchemaVersion,
  treatMissingKeysAs: 'PermanentFailure',
  invocationId: job.invocationId,
  results: deliveries.map((delivery) => {
    const rejection = delivery.rejections[0];
    if (rejection) return { taskId: delivery.id, resultCode: 'PermanentFailure', resultString: clip(`rejected: ${rejection.reason}`) };
    const outcome = outcomes.get(delivery.id);
    if (!outcome) return { taskId: delivery.id, resultCode: 'PermanentFailure', resultString: 'no object in this task' };
    return { taskId: delivery.id, ...batchResultOf(outcome) };
  }),
});
