import { globMatches, globMatchesEveryExtension, globMatchesSomeExtension } from './glob.js';

/**
 * IAM policy documents (bucket and key policies) read the way IAM reads them: Statement as one
 * object or a list; Action/NotAction, Resource/NotResource and principal values as a string or a
 * list; Principal "*" or {"AWS": "*"}; condition values as strings, booleans, numbers or lists.
 */
export interface PatternSet {
  /** NotAction / NotResource: the statement applies to everything the patterns do not match. */
  readonly negated: boolean;
  readonly patterns: readonly string[];
}

export interface PrincipalSet {
  /** NotPrincipal: everyone except the listed principals. */
  readonly negated: boolean;
  /** `*` or {"AWS": "*"}: every principal. */
  readonly anyone: boolean;
  /** `AWS:arn:aws:iam::…`, `Service:s3.amazonaws.com`, … */
  readonly ids: readonly string[];
}

export interface ConditionEntry {
  readonly operator: string;
  /** Condition keys are case-insensitive: kept lower-case. */
  readonly key: string;
  readonly values: readonly string[];
}

export interface PolicyStatement {
  readonly sid?: string | undefined;
  readonly effect: string;
  readonly principal: PrincipalSet | undefined;
  readonly actions: PatternSet | undefined;
  readonly resources: PatternSet | undefined;
  readonly conditions: readonly ConditionEntry[];
}

export type ParsedPolicy = { readonly ok: true; readonly statements: readonly PolicyStatement[] } | { readonly ok: false; readonly reason: string };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

/** How IAM compares a condition value: as its string form. */
const conditionValue = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'boolean' || typeof value === 'number' ? String(value) : JSON.stringify(value);

const strings = (value: unknown): string[] => asList(value).filter((item): item is string => typeof item === 'string');

const patternSet = (statement: Json, positive: string, negative: string): PatternSet | undefined => {
  if (statement[positive] !== undefined) return { negated: false, patterns: strings(statement[positive]) };
  if (statement[negative] !== undefined) return { negated: true, patterns: strings(statement[negative]) };
  return undefined;
};

const principalSet = (value: unknown, negated: boolean): PrincipalSet => {
  if (value === '*') return { negated, anyone: true, ids: ['*'] };
  if (!isObject(value)) return { negated, anyone: false, ids: [] };
  const ids = Object.entries(value).flatMap(([type, names]) => strings(names).map((name) => `${type}:${name}`));
  return { negated, anyone: strings(value['AWS']).includes('*'), ids };
};

const conditions = (value: unknown): ConditionEntry[] => {
  if (!isObject(value)) return [];
  return Object.entries(value).flatMap(([operator, block]) =>
    isObject(block)
      ? Object.entries(block).map(([key, values]) => ({ operator, key: key.toLowerCase(), values: asList(values).map(conditionValue) }))
      : [{ operator, key: '', values: [] }],
  );
};

export const parsePolicyDocument = (document: string | unknown): ParsedPolicy => {
  let raw: unknown = document;
  if (typeof document === 'string') {
    try {
      raw = JSON.parse(document);
    } catch {
      return { ok: false, reason: 'the policy is not valid JSON' };
    }
  }
  if (!isObject(raw)) return { ok: false, reason: 'the policy is not a JSON object' };
  const statements = asList(raw['Statement']);
  if (statements.length === 0) return { ok: false, reason: 'the policy has no Statement' };
  return {
    ok: true,
    statements: statements.filter(isObject).map((statement) => ({
      sid: typeof statement['Sid'] === 'string' ? statement['Sid'] : undefined,
      effect: typeof statement['Effect'] === 'string' ? statement['Effect'] : '',
      principal:
        statement['Principal'] !== undefined
          ? principalSet(statement['Principal'], false)
          : statement['NotPrincipal'] !== undefined
            ? principalSet(statement['NotPrincipal'], true)
            : undefined,
      actions: patternSet(statement, 'Action', 'NotAction'),
      resources: patternSet(statement, 'Resource', 'NotResource'),
      conditions: conditions(statement['Condition']),
    })),
  };
};

const ACTION = { caseInsensitive: true } as const;

/** The statement names this action (IAM action names are case-insensitive). */
export const appliesToAction = (actions: PatternSet | undefined, action: string): boolean => {
  if (!actions) return false;
  const named = actions.patterns.some((pattern) => globMatches(pattern, action, ACTION));
  return actions.negated ? !named : named;
};

/** The statement names every action of a service (`s3:` for s3:*). */
export const appliesToEveryActionOf = (actions: PatternSet | undefined, servicePrefix: string): boolean => {
  if (!actions) return false;
  return actions.negated
    ? !actions.patterns.some((pattern) => globMatchesSomeExtension(pattern, servicePrefix, ACTION))
    : actions.patterns.some((pattern) => globMatchesEveryExtension(pattern, servicePrefix, ACTION));
};

/** The statement names this resource ARN. */
export const appliesToResource = (resources: PatternSet | undefined, arn: string): boolean => {
  if (!resources) return false;
  const named = resources.patterns.some((pattern) => globMatches(pattern, arn));
  return resources.negated ? !named : named;
};

/** The statement names every resource whose ARN starts with the prefix (`arn:aws:s3:::bucket/` for every object). */
export const appliesToEveryResourceUnder = (resources: PatternSet | undefined, prefix: string): boolean => {
  if (!resources) return false;
  return resources.negated
    ? !resources.patterns.some((pattern) => globMatchesSomeExtension(pattern, prefix))
    : resources.patterns.some((pattern) => globMatchesEveryExtension(pattern, prefix));
};

/** A character the pattern does not contain: reading it, the pattern can only step over `?` and `*`. */
const characterNotIn = (pattern: string): string => {
  let code = 0;
  while (pattern.includes(String.fromCharCode(code))) code += 1;
  return String.fromCharCode(code);
};

/**
 * The statement names every object of the bucket. An object key is never empty, so `bucket/?*` names every
 * object as `bucket/*` does: a pattern that matches every extension of `bucket/` followed by a character it does
 * not contain matches every extension of `bucket/` followed by any character.
 */
export const appliesToEveryObjectOf = (resources: PatternSet | undefined, bucketArn: string): boolean => {
  const prefix = `${bucketArn}/`;
  if (appliesToEveryResourceUnder(resources, prefix)) return true;
  if (!resources || resources.negated) return false;
  return resources.patterns.some((pattern) => globMatchesEveryExtension(pattern, `${prefix}${characterNotIn(pattern)}`));
};

/** Keys AWS includes in every request context ("This key is always included in the request context"). */
const ALWAYS_PRESENT_KEYS = new Set(['aws:securetransport']);

/**
 * The condition holds for every request, whatever it carries: Null "false" on a key that is always present, or
 * a Bool test of such a key that accepts both true and false. It narrows nothing.
 */
export const holdsForEveryRequest = (entry: ConditionEntry): boolean => {
  if (!ALWAYS_PRESENT_KEYS.has(entry.key)) return false;
  const values = new Set(entry.values.map((value) => value.toLowerCase()));
  if (entry.operator === 'Null') return values.has('false');
  if (entry.operator === 'Bool' || entry.operator === 'BoolIfExists') return values.has('false') && values.has('true');
  return false;
};

/** The statement applies to every principal: Principal "*" or {"AWS": "*"} (never NotPrincipal). */
export const appliesToEveryone = (principal: PrincipalSet | undefined): boolean =>
  principal !== undefined && !principal.negated && principal.anyone;
