import {
  appliesToEveryActionOf,
  appliesToEveryObjectOf,
  appliesToEveryone,
  appliesToResource,
  holdsForEveryRequest,
  parsePolicyDocument,
  type ConditionEntry,
  type PolicyStatement,
} from './iam-policy.js';

export type PolicyEvaluation = { readonly compliant: true; readonly evidence: string } | { readonly compliant: false; readonly reason: string };

const SECURE_TRANSPORT = 'aws:securetransport';
/** AWS documents aws:SecureTransport for Boolean operators; Null tests its presence. */
const TRANSPORT_OPERATORS = new Set(['Bool', 'BoolIfExists', 'Null']);

const label = (statement: PolicyStatement, index: number): string => (statement.sid ? `statement "${statement.sid}"` : `statement ${index + 1}`);

/** The entry holds for a request without TLS: Bool false (string, boolean or list), or Null false (the key is always present). */
const holdsWithoutTls = (entry: ConditionEntry): boolean =>
  entry.operator === 'Null' ? holdsForEveryRequest(entry) : entry.values.some((value) => value.toLowerCase() === 'false');

/** Every condition is `aws:SecureTransport` and holds when it is false: nothing else narrows the deny. */
const conditionProblem = (statement: PolicyStatement): string | undefined => {
  const transport = statement.conditions.filter((entry) => entry.key === SECURE_TRANSPORT);
  const others = statement.conditions.filter((entry) => entry.key !== SECURE_TRANSPORT);
  if (others.length > 0) return `it has other conditions (${others.map((entry) => `${entry.operator} ${entry.key}`).join(', ')}) that narrow it`;
  if (transport.some((entry) => !TRANSPORT_OPERATORS.has(entry.operator))) {
    return `it tests aws:SecureTransport with ${transport.map((entry) => entry.operator).join(', ')}, not Bool`;
  }
  if (!transport.every(holdsWithoutTls)) return 'it does not apply when aws:SecureTransport is false';
  return undefined;
};

/**
 * S3.5 / s3-bucket-ssl-requests-only, read as IAM evaluates the policy: some Deny for Principal `*`,
 * covering every S3 action, under `aws:SecureTransport` false and nothing narrower, must reach the
 * bucket ARN and every object ARN. The two resources may be covered by different statements.
 */
export const evaluateTlsOnlyPolicy = (policy: string | undefined, bucketArn: string): PolicyEvaluation => {
  if (policy === undefined) return { compliant: false, reason: 'the bucket has no bucket policy' };
  const parsed = parsePolicyDocument(policy);
  if (!parsed.ok) return { compliant: false, reason: parsed.reason };

  const candidates = parsed.statements
    .map((statement, index) => ({ statement, index }))
    .filter(({ statement }) => statement.effect === 'Deny' && statement.conditions.some((entry) => entry.key === SECURE_TRANSPORT));
  if (candidates.length === 0) return { compliant: false, reason: 'no Deny statement is conditioned on aws:SecureTransport' };

  const problems: string[] = [];
  const qualifying = candidates.filter(({ statement, index }) => {
    const why = !appliesToEveryone(statement.principal)
      ? 'its principal is not "*"'
      : !appliesToEveryActionOf(statement.actions, 's3:')
        ? `its actions (${statement.actions?.negated ? 'NotAction ' : ''}${statement.actions?.patterns.join(', ') ?? 'none'}) do not cover s3:*`
        : conditionProblem(statement);
    if (why) problems.push(`${label(statement, index)}: ${why}`);
    return why === undefined;
  });

  const coversBucket = qualifying.filter(({ statement }) => appliesToResource(statement.resources, bucketArn));
  const coversObjects = qualifying.filter(({ statement }) => appliesToEveryObjectOf(statement.resources, bucketArn));
  if (coversBucket.length > 0 && coversObjects.length > 0) {
    const names = [...new Set([...coversBucket, ...coversObjects].map(({ statement, index }) => label(statement, index)))];
    return { compliant: true, evidence: `${names.join(' and ')} deny every S3 action without TLS on ${bucketArn} and ${bucketArn}/*` };
  }
  if (qualifying.length > 0) {
    const missing = [coversBucket.length === 0 ? bucketArn : undefined, coversObjects.length === 0 ? `${bucketArn}/*` : undefined].filter(Boolean);
    problems.push(`the TLS deny does not cover ${missing.join(' or ')}`);
  }
  return { compliant: false, reason: problems.join('; ') };
};
