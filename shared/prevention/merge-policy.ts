import { appliesToEveryone, parsePolicyDocument, type PolicyStatement, type PrincipalSet } from '../audit/iam-policy.js';
import { bucketArn, CONDITION_KEY, type BucketTarget, type GuardrailStatement, type Sid } from './guardrail-statements.js';
import { statementMatches, type RequestShape } from '../audit/request-match.js';

/**
 * Adds guardrail statements to a bucket policy without touching anyone else's:
 * - every existing statement is kept exactly as it was (the same JSON value, in the same place),
 *   and so is everything else at the top level of the document;
 * - a guardrail is appended unless a statement with its Sid exists: the same statement (as IAM reads
 *   it) means there is nothing to do; a different one is someone's statement, never rewritten, and
 *   the merge is refused;
 * - so a second run changes nothing;
 * - the result must be a policy S3 accepts (at most 20 KB) that locks no administrator out.
 *
 * A lockout is a Deny that an administrator cannot get past, over HTTPS, without encryption headers,
 * when managing the bucket's policy or encryption. Precisely: a Deny statement that
 * - applies to every principal (Principal "*" or {"AWS": "*"}) or to a whole account (its root ARN
 *   or account id: that is every administrator of the account), never through NotPrincipal, whose
 *   listed principals it spares;
 * - names one of MANAGEMENT_ACTIONS, directly or through a wildcard (`s3:*`, `*`, `s3:Put*`, …) or
 *   by leaving it out of a NotAction;
 * - names the bucket ARN (a Resource of `arn:…:s3:::BUCKET/*` only names objects);
 * - and whose every condition holds for an administrator's request: HTTPS (aws:SecureTransport
 *   true), not from an AWS service (aws:PrincipalIsAWSService false), no encryption headers. An
 *   unconditional Deny is one. A condition on any other key (aws:PrincipalArn, aws:SourceIp, …) is
 *   the owner's own exception, which may spare the administrator: such a statement is not judged.
 *
 * The TLS-only guardrail denies s3:* including s3:PutBucketPolicy, but only over HTTP: not a lockout.
 * A `StringNotEqualsIfExists` on an encryption header over s3:* is one (IfExists makes the absent
 * header match), which is the classic way to lock a bucket.
 */
export type MergeOutcome =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'changed'; readonly policy: string; readonly added: readonly Sid[] }
  | { readonly kind: 'refused'; readonly reason: string };

/** S3 refuses bucket policies over 20 KB. */
export const BUCKET_POLICY_MAX_BYTES = 20 * 1024;

/** What an administrator must always be able to do to a bucket over HTTPS. */
export const MANAGEMENT_ACTIONS = [
  's3:PutBucketPolicy',
  's3:DeleteBucketPolicy',
  's3:GetBucketPolicy',
  's3:PutEncryptionConfiguration',
  's3:GetEncryptionConfiguration',
] as const;

const POLICY_VERSION = '2012-10-17';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

const label = (statement: { readonly Sid?: unknown; readonly sid?: string | undefined }, index: number): string => {
  const sid = statement.sid ?? statement.Sid;
  return typeof sid === 'string' && sid !== '' ? `statement "${sid}"` : `statement ${index + 1}`;
};

type ParsedDocument = { readonly ok: true; readonly document: Json | undefined; readonly statements: readonly Json[] } | { readonly ok: false; readonly reason: string };

/** What makes a JSON value a bucket policy: a Statement list of statements with the elements S3 requires. */
const statementProblem = (statement: unknown, index: number): string | undefined => {
  if (!isObject(statement)) return `statement ${index + 1} is not a JSON object`;
  const name = label(statement, index);
  if (statement['Sid'] !== undefined && typeof statement['Sid'] !== 'string') return `${name} has a Sid that is not a string`;
  if (statement['Effect'] !== 'Allow' && statement['Effect'] !== 'Deny') return `${name} has no Effect "Allow" or "Deny"`;
  if (statement['Action'] === undefined && statement['NotAction'] === undefined) return `${name} has no Action or NotAction`;
  if (statement['Resource'] === undefined && statement['NotResource'] === undefined) return `${name} has no Resource or NotResource`;
  if (statement['Principal'] === undefined && statement['NotPrincipal'] === undefined) return `${name} has no Principal or NotPrincipal`;
  return undefined;
};

const parseExisting = (text: string | undefined): ParsedDocument => {
  if (text === undefined || text.trim() === '') return { ok: true, document: undefined, statements: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'the bucket policy is not valid JSON' };
  }
  if (!isObject(raw)) return { ok: false, reason: 'the bucket policy is not an IAM policy document (not a JSON object)' };
  if (raw['Version'] !== undefined && typeof raw['Version'] !== 'string') return { ok: false, reason: 'the bucket policy is not an IAM policy document (its Version is not a string)' };
  const statement = raw['Statement'];
  if (!isObject(statement) && !Array.isArray(statement)) return { ok: false, reason: 'the bucket policy is not an IAM policy document (no Statement list)' };
  const statements = asList(statement);
  if (statements.length === 0) return { ok: false, reason: 'the bucket policy is not an IAM policy document (its Statement list is empty)' };
  for (const [index, entry] of statements.entries()) {
    const problem = statementProblem(entry, index);
    if (problem) return { ok: false, reason: `the bucket policy is not an IAM policy document: ${problem}` };
  }
  return { ok: true, document: raw, statements: statements as Json[] };
};

/**
 * A statement as IAM reads it, so equal statements compare equal however they are written: object
 * keys in any order, one value or a list of one, lists in any order, action names and condition
 * keys in any case, condition values as strings, Principal "*" or {"AWS": "*"}.
 */
const canonical = (written: object): string => {
  const statement = written as Json;
  const sortedList = (value: unknown, caseless = false): string[] =>
    asList(value)
      .map((item) => (typeof item === 'string' ? item : JSON.stringify(item)))
      .map((item) => (caseless ? item.toLowerCase() : item))
      .sort();
  const principal = (value: unknown): unknown => {
    if (value === '*') return { AWS: ['*'] };
    if (!isObject(value)) return value;
    return Object.fromEntries(Object.keys(value).sort().map((type) => [type, sortedList(value[type])]));
  };
  const condition = (value: unknown): unknown => {
    if (!isObject(value)) return value;
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((operator) => {
          const block = value[operator];
          if (!isObject(block)) return [operator, block];
          const keys = Object.keys(block).map((key) => [key.toLowerCase(), sortedList(asList(block[key]).map((item) => (typeof item === 'string' ? item : String(item))))] as const);
          return [operator, Object.fromEntries(keys.sort(([a], [b]) => a.localeCompare(b)))];
        }),
    );
  };
  const normalised = Object.keys(statement)
    .sort()
    .map((key) => {
      const value = statement[key];
      switch (key) {
        case 'Action':
        case 'NotAction':
          return [key, sortedList(value, true)];
        case 'Resource':
        case 'NotResource':
          return [key, sortedList(value)];
        case 'Principal':
        case 'NotPrincipal':
          return [key, principal(value)];
        case 'Condition':
          return [key, condition(value)];
        default:
          return [key, value];
      }
    });
  return JSON.stringify(normalised);
};

export const sameStatement = (a: object, b: object): boolean => canonical(a) === canonical(b);

const ACCOUNT_PRINCIPAL = /^AWS:(\d{12}|arn:[^:]+:iam::\d{12}:root)$/;

/** Every principal, or every principal of an account (and so each of its administrators). */
const coversAdministrators = (principal: PrincipalSet | undefined): boolean =>
  appliesToEveryone(principal) || (principal !== undefined && !principal.negated && principal.ids.some((id) => ACCOUNT_PRINCIPAL.test(id)));

/** An administrator managing the bucket over HTTPS, as a person or role, with no encryption headers. */
const administratorRequest = (action: string, resource: string): RequestShape => ({
  action,
  resource,
  context: {
    [CONDITION_KEY.secureTransport.toLowerCase()]: ['true'],
    [CONDITION_KEY.principalIsAwsService.toLowerCase()]: ['false'],
    [CONDITION_KEY.encryption]: null,
    [CONDITION_KEY.kmsKeyId]: null,
    [CONDITION_KEY.customerAlgorithm]: null,
  },
});

/** The management actions the statement denies to every administrator, per the rule above. */
export const lockedOutActions = (statement: PolicyStatement, bucket: string): string[] => {
  if (statement.effect !== 'Deny' || !coversAdministrators(statement.principal)) return [];
  return MANAGEMENT_ACTIONS.filter((action) => statementMatches(statement, administratorRequest(action, bucket)) === 'yes');
};

/** Why the policy would lock administrators out of the bucket, or undefined. */
export const lockoutIn = (policy: string, target: BucketTarget): string | undefined => {
  const parsed = parsePolicyDocument(policy);
  if (!parsed.ok) return parsed.reason;
  const arn = bucketArn(target);
  const problems = parsed.statements.flatMap((statement, index) => {
    const actions = lockedOutActions(statement, arn);
    return actions.length > 0 ? [`${label(statement, index)} denies ${actions.join(', ')} to every administrator, even over HTTPS without encryption headers`] : [];
  });
  return problems.length > 0 ? problems.join('; ') : undefined;
};

/**
 * Merges `statements` (the fix's guardrails) into the bucket's policy text (undefined: the bucket
 * has none). See MergeOutcome for the rules; `target` names the bucket the policy belongs to.
 */
export const mergeGuardrails = (existingPolicy: string | undefined, statements: readonly GuardrailStatement[], target: BucketTarget): MergeOutcome => {
  const existing = parseExisting(existingPolicy);
  if (!existing.ok) return { kind: 'refused', reason: existing.reason };

  const added: GuardrailStatement[] = [];
  for (const statement of statements) {
    const index = existing.statements.findIndex((candidate) => candidate['Sid'] === statement.Sid);
    const same = existing.statements[index];
    if (same === undefined) {
      if (!added.some((other) => other.Sid === statement.Sid)) added.push(statement);
      continue;
    }
    if (!sameStatement(same, statement)) {
      return {
        kind: 'refused',
        reason: `the bucket policy already has a statement "${statement.Sid}" (statement ${index + 1}) that differs from the guardrail of that name; it is left as it is: remove or rename it to let the guardrail be added`,
      };
    }
  }
  if (added.length === 0) return { kind: 'unchanged' };

  const document = existing.document ?? { Version: POLICY_VERSION };
  // Statement keeps its place among the document's keys; a single statement object becomes a list.
  const merged = { ...document, Statement: [...existing.statements, ...added] };
  const policy = JSON.stringify(merged);

  const bytes = new TextEncoder().encode(policy).length;
  if (bytes > BUCKET_POLICY_MAX_BYTES) {
    return { kind: 'refused', reason: `the bucket policy with the guardrails would be ${bytes} bytes, over S3's limit of ${BUCKET_POLICY_MAX_BYTES} bytes (20 KB)` };
  }
  const lockout = lockoutIn(policy, target);
  if (lockout) return { kind: 'refused', reason: `the bucket policy would lock administrators out: ${lockout}` };
  return { kind: 'changed', policy, added: added.map((statement) => statement.Sid) };
};
