import { appliesToAction, appliesToEveryObjectOf, appliesToEveryone, holdsForEveryRequest, parsePolicyDocument, type PolicyStatement } from './iam-policy.js';
import type { PolicyEvaluation } from './tls-only-policy.js';

const KEY_ID_CONDITION = 's3:x-amz-server-side-encryption-aws-kms-key-id';
/** Negated string and ARN operators: the deny applies when the key sent is not the one listed. */
const NEGATED_OPERATORS = new Set([
  'StringNotEquals',
  'StringNotEqualsIfExists',
  'StringNotLike',
  'StringNotLikeIfExists',
  'ArnNotEquals',
  'ArnNotEqualsIfExists',
  'ArnNotLike',
  'ArnNotLikeIfExists',
]);

const label = (statement: PolicyStatement, index: number): string => (statement.sid ? `statement "${statement.sid}"` : `statement ${index + 1}`);

const conditionProblem = (statement: PolicyStatement, requiredKeyArn: string): string | undefined => {
  // A condition that holds for every request (Null false on aws:SecureTransport, say) narrows nothing.
  const others = statement.conditions.filter((entry) => entry.key !== KEY_ID_CONDITION && !holdsForEveryRequest(entry));
  if (others.length > 0) return `it has other conditions (${others.map((entry) => `${entry.operator} ${entry.key}`).join(', ')}) that narrow it`;
  const keyConditions = statement.conditions.filter((entry) => entry.key === KEY_ID_CONDITION);
  const wrongOperator = keyConditions.find((entry) => !NEGATED_OPERATORS.has(entry.operator));
  if (wrongOperator) return `it tests the key with ${wrongOperator.operator}, which does not deny other keys`;
  // A listed value is a key the deny lets through: anything but the required ARN is a hole.
  const allowed = [...new Set(keyConditions.flatMap((entry) => entry.values))];
  const letThrough = allowed.filter((value) => value !== requiredKeyArn);
  if (letThrough.length > 0) return `it also lets through ${letThrough.join(', ')}`;
  if (!allowed.includes(requiredKeyArn)) return 'it lists no key';
  return undefined;
};

/**
 * The bucket policy denies s3:PutObject on every object unless the request names the required key
 * ARN in x-amz-server-side-encryption-aws-kms-key-id.
 */
export const evaluateKeyRequirementPolicy = (policy: string | undefined, bucketArn: string, requiredKeyArn: string): PolicyEvaluation => {
  if (policy === undefined) return { compliant: false, reason: 'the bucket has no bucket policy' };
  const parsed = parsePolicyDocument(policy);
  if (!parsed.ok) return { compliant: false, reason: parsed.reason };
  const candidates = parsed.statements
    .map((statement, index) => ({ statement, index }))
    .filter(({ statement }) => statement.effect === 'Deny' && statement.conditions.some((entry) => entry.key === KEY_ID_CONDITION));
  if (candidates.length === 0) return { compliant: false, reason: `no Deny statement is conditioned on ${KEY_ID_CONDITION}` };

  const problems: string[] = [];
  for (const { statement, index } of candidates) {
    const why = !appliesToEveryone(statement.principal)
      ? 'its principal is not "*"'
      : !appliesToAction(statement.actions, 's3:PutObject')
        ? 'it does not cover s3:PutObject'
        : !appliesToEveryObjectOf(statement.resources, bucketArn)
          ? `it does not cover every object (${bucketArn}/*)`
          : conditionProblem(statement, requiredKeyArn);
    if (!why) return { compliant: true, evidence: `${label(statement, index)} denies s3:PutObject unless the key is ${requiredKeyArn}` };
    problems.push(`${label(statement, index)}: ${why}`);
  }
  return { compliant: false, reason: problems.join('; ') };
};
