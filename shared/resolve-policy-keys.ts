import { keyReferencesOf, type EnforcementPolicy } from './core/object-requirement.js';
import { ConfigurationError } from './errors.js';
import type { KeyDescriber, KeyDescriptionFacts } from './ports/key-inspector.js';

export interface ResolvedKeys {
  /** The key ARN for a reference the policy names. */
  readonly arnOf: (reference: string) => string;
  readonly descriptions: ReadonlyMap<string, KeyDescriptionFacts>;
}

/**
 * Resolves every key reference the policy names (ARN, key id, alias, alias ARN) to its key ARN with
 * DescribeKey, once per cold start. Unknown or AWS-managed keys are configuration errors: fail closed.
 */
export const resolvePolicyKeys = async (policy: EnforcementPolicy, keys: KeyDescriber, region: string): Promise<ResolvedKeys> => {
  const references = keyReferencesOf(policy);
  const problems: string[] = [];
  const descriptions = new Map<string, KeyDescriptionFacts>();
  await Promise.all(
    references.map(async (reference) => {
      const description = await keys.describe(reference, region);
      if (!description) {
        problems.push(`KMS key "${reference}" does not exist in this account and region, or this function may not describe it`);
        return;
      }
      if (description.manager === 'AWS') {
        problems.push(`KMS key "${reference}" is AWS-managed (${description.arn}); name a customer-managed key`);
      }
      descriptions.set(reference, description);
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
