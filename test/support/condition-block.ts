/** One condition as the property generators write it: operator, condition key, value(s). */
export type ConditionEntry = readonly [operator: string, key: string, value: unknown];

/**
 * Entries into a Condition block: a later entry with the same operator and key (in any letter case) replaces an
 * earlier one. A block never holds one key twice in two letter cases, which IAM refuses.
 */
export const conditionOf = (entries: readonly ConditionEntry[]): Record<string, Record<string, unknown>> | undefined => {
  if (entries.length === 0) return undefined;
  const block: Record<string, Record<string, unknown>> = {};
  for (const [operator, key, value] of entries) {
    const kept = Object.entries(block[operator] ?? {}).filter(([existing]) => existing.toLowerCase() !== key.toLowerCase());
    block[operator] = { ...Object.fromEntries(kept), [key]: value };
  }
  return block;
};
