import type { KeyFacts } from './audit-facts.js';

/**
 * What KMS allows a key, as far as automatic rotation goes: facts about the key, read before any
 * check runs (the rotation status is only asked of keys that can rotate) and by the rotation check.
 */

/**
 * Automatic rotation exists for customer-managed symmetric keys with KMS-made material in KMS itself:
 * not asymmetric or HMAC keys, not imported material, not custom key stores.
 */
export const whyCannotRotate = (key: KeyFacts): string | undefined => {
  if (key.keySpec !== 'SYMMETRIC_DEFAULT') return `${key.keySpec} keys (asymmetric or HMAC) cannot rotate automatically`;
  if (key.origin === 'EXTERNAL') return 'keys with imported key material cannot rotate automatically';
  if (key.customKeyStoreId !== undefined || key.origin === 'AWS_CLOUDHSM' || key.origin === 'EXTERNAL_KEY_STORE') {
    return `keys in a custom key store (${key.origin}) cannot rotate automatically`;
  }
  return undefined;
};

/** Whether this key is judged at all: AWS rotates AWS-managed keys itself; a key being deleted has no future to rotate. */
export const rotationApplies = (key: KeyFacts): boolean =>
  key.manager !== 'AWS' && key.state !== 'PendingDeletion' && key.state !== 'PendingReplicaDeletion';
