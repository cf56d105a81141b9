import { appliesToAction, appliesToResource, type ConditionEntry, type PolicyStatement } from './iam-policy.js';
import { globMatches } from './glob.js';

/**
 * Whether a statement applies to a request of a known shape, decided the way IAM decides it, for
 * the condition keys the shape knows about. A key the shape does not know about could hold anything:
 * a condition on it answers `unknown`, never a guess. Callers decide what unknown means for them
 * (the lockout check and the RCP coverage check both read it as "this statement may spare someone").
 */
export type Match = 'yes' | 'no' | 'unknown';

/** A condition key's value in the request: present with these values, or known to be absent. */
export type KeyState = { readonly kind: 'present'; readonly values: readonly string[] } | { readonly kind: 'absent' };

export interface RequestShape {
  readonly action: string;
  readonly resource: string;
  /** Keys in lower case (IAM compares condition keys case-insensitively); null: known to be absent. */
  readonly context: Readonly<Record<string, readonly string[] | null>>;
}

interface Comparison {
  readonly negated: boolean;
  readonly test: (policyValue: string, requestValue: string) => boolean;
}

const equals = (a: string, b: string): boolean => a === b;
const equalsIgnoringCase = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
const like = (pattern: string, value: string): boolean => globMatches(pattern, value);

/** The operators these guardrails and their usual variants use; any other answers unknown. */
const COMPARISONS: Readonly<Record<string, Comparison>> = {
  StringEquals: { negated: false, test: equals },
  StringNotEquals: { negated: true, test: equals },
  StringEqualsIgnoreCase: { negated: false, test: equalsIgnoringCase },
  StringNotEqualsIgnoreCase: { negated: true, test: equalsIgnoringCase },
  StringLike: { negated: false, test: like },
  StringNotLike: { negated: true, test: like },
  // ArnEquals behaves as ArnLike: both take wildcards.
  ArnEquals: { negated: false, test: like },
  ArnLike: { negated: false, test: like },
  ArnNotEquals: { negated: true, test: like },
  ArnNotLike: { negated: true, test: like },
  Bool: { negated: false, test: equalsIgnoringCase },
};

const IF_EXISTS = 'IfExists';

const keyState = (shape: RequestShape, key: string): KeyState | undefined => {
  if (!Object.hasOwn(shape.context, key)) return undefined;
  const values = shape.context[key];
  return values === null || values === undefined ? { kind: 'absent' } : { kind: 'present', values };
};

/**
 * One condition entry. An absent key matches `Null: true`, every `…IfExists` operator and every
 * negated operator (StringNotEquals, ArnNotLike, …), and nothing else: this is why a Deny on an
 * encryption header must be paired with `Null: false` to spare requests that do not send it.
 */
export const entryMatches = (entry: ConditionEntry, shape: RequestShape): Match => {
  // ForAnyValue: / ForAllValues: compare sets; these guardrails never need them.
  if (entry.operator.includes(':')) return 'unknown';
  const state = keyState(shape, entry.key);
  if (!state) return 'unknown';
  if (entry.operator === 'Null') {
    const wanted = entry.values.map((value) => value.toLowerCase());
    if (wanted.length === 0 || !wanted.every((value) => value === 'true' || value === 'false')) return 'unknown';
    return wanted.includes(state.kind === 'absent' ? 'true' : 'false') ? 'yes' : 'no';
  }
  const ifExists = entry.operator.endsWith(IF_EXISTS);
  const comparison = COMPARISONS[ifExists ? entry.operator.slice(0, -IF_EXISTS.length) : entry.operator];
  if (!comparison) return 'unknown';
  if (state.kind === 'absent') return ifExists || comparison.negated ? 'yes' : 'no';
  const anyEqual = state.values.some((requestValue) => entry.values.some((policyValue) => comparison.test(policyValue, requestValue)));
  return anyEqual !== comparison.negated ? 'yes' : 'no';
};

/** Every entry must match (IAM ANDs them): one `no` decides; otherwise one `unknown` leaves it open. */
export const conditionsMatch = (conditions: readonly ConditionEntry[], shape: RequestShape): Match => {
  const results = conditions.map((entry) => entryMatches(entry, shape));
  if (results.includes('no')) return 'no';
  return results.includes('unknown') ? 'unknown' : 'yes';
};

/** The statement names the request's action and resource, and its conditions match (principal aside). */
export const statementMatches = (statement: PolicyStatement, shape: RequestShape): Match => {
  if (!appliesToAction(statement.actions, shape.action) || !appliesToResource(statement.resources, shape.resource)) return 'no';
  return conditionsMatch(statement.conditions, shape);
};
