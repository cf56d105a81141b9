import { keyReferencesOf, type EnforcementPolicy } from './core/object-requirement.js';
import { AwsCallError, ConfigurationError } from './errors.js';
import type { KeyDescription, KeyDirectory } from './ports/key-directory.js';

export interface ResolvedKeys {
  /** The key ARN for a reference the policy names. */
  readonly arnOf: (reference: string) => string;
  readonly descriptions: ReadonlyMap<string, KeyDescription>;
}

/**
 * Resolves every key reference the policy names (ARN, key id, alias, alias ARN) to its key ARN with
 * DescribeKey, once per cold start. Unknown or AWS-managed keys are configuration errors: fail closed.
 */
export const resolvePolicyKeys = async (policy: EnforcementPolicy, keys: KeyDirectory): Promise<ResolvedKeys> => {
  const references = keyReferencesOf(policy);
  const problems: string[] = [];
  const descriptions = new Map<string, KeyDescription>();
  await Promise.all(
    references.map(async (reference) => {
      try {
        const description = await keys.describe(reference);
        if (description.manager === 'AWS') {
          problems.push(`KMS key "${reference}" is AWS-managed (${description.arn}); name a customer-managed key`);
        }
        descriptions.set(reference, description);
      } catch (error) {
        if (error instanceof AwsCallError && error.code === 'NotFoundException') {
          problems.push(`KMS key "${reference}" does not exist in this account and region, or this function may not describe it`);
          return;
        }
        throw error;
      }
    }),
  );
  if (problems.length > 0) throw new ConfigurationError(problems);
  return {
    descriptions,
    arnOf: (reference) => {
      const arn = descriptions.get(reference)?.arn;
      if (!arn) throw new Error(`key reference ${reference} was not resolved at start`);
      return arn;
    },
  };
};
