import { SSE_ALGORITHM } from '../core/encryption-state.js';
import { appliesToAction, appliesToEveryObjectOf, appliesToEveryone, holdsForEveryRequest, parsePolicyDocument, type ConditionEntry, type PolicyStatement } from './iam-policy.js';
import { conditionsMatch, type Match, type RequestShape } from './request-match.js';
import type { PolicyEvaluation } from './tls-only-policy.js';

const ENCRYPTION = 's3:x-amz-server-side-encryption';
const KEY_ID = 's3:x-amz-server-side-encryption-aws-kms-key-id';
const CUSTOMER_ALGORITHM = 's3:x-amz-server-side-encryption-customer-algorithm';
/** The headers an upload asks for its encryption with: conditions on them decide which uploads a Deny refuses. */
const ENCRYPTION_HEADERS = new Set([ENCRYPTION, KEY_ID, CUSTOMER_ALGORITHM]);
const PRINCIPAL_IS_AWS_SERVICE = 'aws:principalisawsservice';

/**
 * `BoolIfExists aws:PrincipalIsAWSService false`: the Deny spares AWS service principals only (the
 * guardrails do, so services delivering logs under their own key are not cut off). Every person,
 * role and anonymous caller is still denied: a request without the key matches `…IfExists`.
 */
const sparesOnlyAwsServices = (entry: ConditionEntry): boolean =>
  entry.key === PRINCIPAL_IS_AWS_SERVICE && entry.operator === 'BoolIfExists' && entry.values.length > 0 && entry.values.every((value) => value.toLowerCase() === 'false');

/** An upload over either transport, from anyone, asking for exactly these headers (absent: not sent). */
interface Upload {
  readonly label: string;
  readonly encryption?: string;
  readonly keyId?: string;
}

const shapeOf = (upload: Upload, objectArn: string): RequestShape => ({
  action: 's3:PutObject',
  resource: objectArn,
  context: {
    [ENCRYPTION]: upload.encryption === undefined ? null : [upload.encryption],
    [KEY_ID]: upload.keyId === undefined ? null : [upload.keyId],
    [CUSTOMER_ALGORITHM]: null,
  },
});

const label = (statement: PolicyStatement, index: number): string => (statement.sid ? `statement "${statement.sid}"` : `statement ${index + 1}`);

/** A key ARN in the required key's account and region that no policy names: "any other key". */
const anotherKeyArn = (requiredKeyArn: string, named: ReadonlySet<string>): string => {
  const base = requiredKeyArn.slice(0, requiredKeyArn.lastIndexOf('/') + 1) || 'arn:aws:kms:us-east-1:000000000000:key/';
  for (let n = 0; ; n += 1) {
    const candidate = `${base}${String(n).padStart(8, '0')}-0000-4000-8000-000000000000`;
    if (candidate !== requiredKeyArn && !named.has(candidate)) return candidate;
  }
};

/**
 * The uploads that name an encryption other than SSE-KMS under the required key, which the policy
 * must refuse: AES256; SSE-KMS or DSSE-KMS without a key id (the AWS-managed aws/s3 key); and SSE-KMS
 * or DSSE-KMS naming any other key id, including the required key's own bare id (the header is
 * compared as sent). "Any other key" is decided exactly: every value a condition on the key id
 * names is tried literally (a pattern matches its own text, so a wildcard that lets other keys
 * through is caught), and so is a key ARN no condition names.
 */
const wrongUploads = (requiredKeyArn: string, named: ReadonlySet<string>): Upload[] => {
  const keyIds = [anotherKeyArn(requiredKeyArn, named), requiredKeyArn.slice(requiredKeyArn.lastIndexOf('/') + 1), ...named].filter(
    (value, index, all) => value !== requiredKeyArn && value !== '' && all.indexOf(value) === index,
  );
  return [
    { label: 'AES256', encryption: SSE_ALGORITHM.s3 },
    { label: 'aws:kms without a key id', encryption: SSE_ALGORITHM.kms },
    { label: 'aws:kms:dsse without a key id', encryption: SSE_ALGORITHM.dsseKms },
    ...[SSE_ALGORITHM.kms, SSE_ALGORITHM.dsseKms].flatMap((encryption) => keyIds.map((keyId) => ({ label: `${encryption} with key id ${keyId}`, encryption, keyId }))),
  ];
};

type Reading = { readonly credited: true; readonly denies: (upload: Upload) => boolean } | { readonly credited: false; readonly why: string };

/**
 * Whether a Deny statement counts towards the requirement, and which uploads it refuses. It counts
 * when it applies to every principal, to s3:PutObject on every object, whatever else the request
 * carries (every condition is on an encryption header, or holds for every request), decides every
 * upload (no operator the audit does not evaluate), and lets an upload naming the required key ARN
 * under aws:kms through.
 */
const readStatement = (statement: PolicyStatement, bucketArn: string, required: Upload, probes: readonly Upload[]): Reading => {
  if (!appliesToEveryone(statement.principal)) return { credited: false, why: 'its principal is not "*"' };
  if (!appliesToAction(statement.actions, 's3:PutObject')) return { credited: false, why: 'it does not cover s3:PutObject' };
  if (!appliesToEveryObjectOf(statement.resources, bucketArn)) return { credited: false, why: `it does not cover every object (${bucketArn}/*)` };
  const others = statement.conditions.filter((entry) => !ENCRYPTION_HEADERS.has(entry.key) && !holdsForEveryRequest(entry) && !sparesOnlyAwsServices(entry));
  if (others.length > 0) return { credited: false, why: `it has other conditions (${others.map((entry) => `${entry.operator} ${entry.key}`).join(', ')}) that narrow it` };
  const encryptionConditions: readonly ConditionEntry[] = statement.conditions.filter((entry) => ENCRYPTION_HEADERS.has(entry.key));
  const objectArn = `${bucketArn}/any-object`;
  const match = (upload: Upload): Match => conditionsMatch(encryptionConditions, shapeOf(upload, objectArn));
  const undecided = encryptionConditions.filter((entry) => [required, ...probes].some((upload) => conditionsMatch([entry], shapeOf(upload, objectArn)) === 'unknown'));
  if (undecided.length > 0) {
    return { credited: false, why: `it tests the encryption headers with ${[...new Set(undecided.map((entry) => entry.operator))].join(', ')}, which the audit does not evaluate` };
  }
  if (match(required) === 'yes') return { credited: false, why: `it also denies uploads that name the required key (${required.label})` };
  return { credited: true, denies: (upload) => match(upload) === 'yes' };
};

/** At most this many refused-upload examples in a reason: the report bounds observed values anyway. */
const EXAMPLES = 4;

/**
 * The bucket policy refuses every s3:PutObject that asks for an encryption other than SSE-KMS under
 * the required key: AES256, aws:kms (or aws:kms:dsse) without a key id or with any key id but the
 * required key ARN, from every principal over either transport. The Deny statements that do it may
 * be several (the enforcer's guardrails are three); each must apply to everyone (AWS service
 * principals may be spared), every object and every request whatever else it carries, and none may
 * refuse an upload naming the required key ARN.
 *
 * Uploads that send no encryption headers are not judged: the bucket default (its own check) decides
 * their encryption. The evidence says whether the policy lets them through, as the enforcer's
 * guardrails do, or refuses them too (a bare StringNotEquals or a …IfExists operator on the key id:
 * an absent header matches them).
 */
export const evaluateKeyRequirementPolicy = (policy: string | undefined, bucketArn: string, requiredKeyArn: string): PolicyEvaluation => {
  if (policy === undefined) return { compliant: false, reason: 'the bucket has no bucket policy' };
  const parsed = parsePolicyDocument(policy);
  if (!parsed.ok) return { compliant: false, reason: parsed.reason };
  const candidates = parsed.statements
    .map((statement, index) => ({ statement, index }))
    .filter(({ statement }) => statement.effect === 'Deny' && statement.conditions.some((entry) => entry.key === ENCRYPTION || entry.key === KEY_ID));
  if (candidates.length === 0) return { compliant: false, reason: `no Deny statement is conditioned on ${ENCRYPTION} or ${KEY_ID}` };

  const named = new Set(candidates.flatMap(({ statement }) => statement.conditions.filter((entry) => entry.key === KEY_ID && entry.operator !== 'Null').flatMap((entry) => entry.values)));
  const required: Upload = { label: `aws:kms with ${requiredKeyArn}`, encryption: SSE_ALGORITHM.kms, keyId: requiredKeyArn };
  const headerless: Upload = { label: 'no encryption headers' };
  const wrong = wrongUploads(requiredKeyArn, named);

  const problems: string[] = [];
  const credited: { readonly name: string; readonly denies: (upload: Upload) => boolean }[] = [];
  for (const { statement, index } of candidates) {
    const reading = readStatement(statement, bucketArn, required, [...wrong, headerless]);
    if (reading.credited) credited.push({ name: label(statement, index), denies: reading.denies });
    else problems.push(`${label(statement, index)}: ${reading.why}`);
  }
  const refusing = (upload: Upload) => credited.filter((statement) => statement.denies(upload));
  const letThrough = wrong.filter((upload) => refusing(upload).length === 0);
  if (letThrough.length > 0) {
    const examples = letThrough.slice(0, EXAMPLES).map((upload) => upload.label);
    const more = letThrough.length > EXAMPLES ? ` and ${letThrough.length - EXAMPLES} more` : '';
    return { compliant: false, reason: [...problems, `uploads asking for ${examples.join('; ')}${more} are not denied`].join('; ') };
  }
  const names = [...new Set(wrong.flatMap((upload) => refusing(upload).map((statement) => statement.name)))];
  const headerlessNote = refusing(headerless).length > 0
    ? 'uploads without encryption headers are refused too'
    : 'uploads without encryption headers pass and get the bucket default';
  return {
    compliant: true,
    evidence: `${names.join(' and ')} ${names.length === 1 ? 'denies' : 'deny'} s3:PutObject naming any encryption but aws:kms with ${requiredKeyArn}; ${headerlessNote}`,
  };
};
