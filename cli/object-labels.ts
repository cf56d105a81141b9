import type { ObjectAction } from '../shared/core/decide-object-action.js';
import { describeEncryption, type EncryptionState } from '../shared/core/encryption-state.js';
import type { ObjectOutcome } from '../shared/core/object-outcome.js';

/** describeEncryption, with the required key named as such so table cells stay short. */
export const encryptionLabel = (state: EncryptionState | undefined, requiredKeyArn: string): string =>
  state === undefined ? '?' : describeEncryption(state).replace(requiredKeyArn, 'required key');

export const actionLabel = (action: ObjectAction): string => {
  switch (action.kind) {
    case 'compliant':
      return 'compliant';
    case 'remediate':
      return action.method;
    case 'skip':
      return `skip (${action.reason})`;
    case 'alert':
      return `alert (${action.reason})`;
  }
};

export const outcomeLabel = (outcome: ObjectOutcome): string => {
  switch (outcome.kind) {
    case 'compliant':
      return 'compliant';
    case 'remediated':
      return `remediated (${outcome.strategy}${outcome.fellBackFrom ? `, after ${outcome.fellBackFrom}` : ''})`;
    case 'skipped':
      return `${outcome.alert ? 'not remediated' : 'skipped'} (${outcome.reason})`;
    case 'failed':
      return `failed (${outcome.error.code})`;
  }
};

/** Left non-compliant: an alert (cannot or may not be remediated) or a failure. */
export const leftNonCompliant = (outcome: ObjectOutcome): boolean => (outcome.kind === 'skipped' && outcome.alert) || outcome.kind === 'failed';

export const encryptionBefore = (outcome: ObjectOutcome): EncryptionState | undefined =>
  outcome.kind === 'compliant' ? outcome.encryption : outcome.before;

export const encryptionAfter = (outcome: ObjectOutcome): EncryptionState | undefined =>
  outcome.kind === 'compliant' ? outcome.encryption : outcome.kind === 'remediated' ? outcome.after : outcome.before;
