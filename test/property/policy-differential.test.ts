import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateKeyRequirementPolicy } from '../../shared/audit/key-requirement-policy.js';
import { evaluateTlsOnlyPolicy } from '../../shared/audit/tls-only-policy.js';
import { TEST_SEED } from '../fixtures/test-seed.js';
import { evaluateS3Request, type S3Request } from '../support/iam-oracle.js';
import {
  bucketArnOf,
  DATA_BUCKET,
  objectArnOf,
  principalsOf,
  s3RequestOf,
  SSE,
  SSE_CUSTOMER_ALGORITHM,
  SSE_KMS_KEY_ID,
  uploadEncryptionsOf,
  type RequestParts,
  type Transport,
  type UploadEncryptionName,
} from '../support/s3-request-matrix.js';
import { conditionOf, type ConditionEntry } from '../support/condition-block.js';

/**
 * The audit's own reading of bucket policies against an IAM evaluator that is not ours, on generated
 * policies. Each function's claim, and the evaluator-side predicate that states the same claim:
 *
 * - evaluateTlsOnlyPolicy, compliant ⇔ (docs/AUDIT.md) some Deny conditioned on aws:SecureTransport applies to
 *   every non-TLS request to the bucket, and some (maybe another) to every non-TLS request to every object:
 *   every principal, every S3 action, whatever else the request carries.
 *   Evaluator: some Deny statement naming aws:SecureTransport that, its Resource widened to every resource and
 *   evaluated alone as the bucket policy, explicitly denies every HTTP request to the bucket and to objects, and
 *   whose own Resource reaches the bucket; and some such statement whose own Resource reaches every object.
 *
 * - evaluateKeyRequirementPolicy, compliant ⇔ the Deny statements that each apply to every principal (AWS service
 *   principals aside: the callers never say they are one), transport and object, and deny no s3:PutObject naming aws:kms with the required key ARN, together deny every s3:PutObject
 *   that names another encryption: AES256, aws:kms or aws:kms:dsse without a key id or with any other key id
 *   (header-less uploads are left to the bucket default and not judged; SSE-C is its own check).
 *   Evaluator: the same, each statement evaluated alone as the bucket policy: which wrong uploads it explicitly
 *   denies (from a stranger over HTTPS), whether it denies every request one dimension away from one of them, and
 *   that it does not deny the required key ARN.
 *
 * "Every request" is decided exactly without enumerating the cross product. A statement applies to a request
 * when its principal, action, resource and each condition match, and each of these reads one dimension of
 * the request: who calls, what operation with which headers, which object, which transport. So a statement
 * denies every combination if and only if it denies a base request and every request that differs from the
 * base in one dimension. The values of each dimension include every value the generator can name (key ids it
 * writes into conditions are also sent, literally) and one it never names (a stranger's account, an unsigned
 * caller, s3:AbortMultipartUpload, an object outside every prefix).
 *
 * Verdicts where the evaluator departs from AWS's documentation are corrected or set aside by name (EXCLUSIONS),
 * counted, and printed with their reasons.
 */

const BUCKET = DATA_BUCKET;
const BUCKET_ARN = bucketArnOf(BUCKET);
const OTHER_BUCKET_ARN = 'arn:aws:s3:::other-bucket';
const REQUIRED = BUCKET.requiredKey;
const WHO = principalsOf(BUCKET);
const ENCRYPTIONS = uploadEncryptionsOf(BUCKET);
const OWNER_ROOT = WHO.ownerRoot;
const GRANTEE_ROOT = WHO.granteeRoot;
const KEY_ID_LOWER = SSE_KMS_KEY_ID.toLowerCase();
const SECURE_TRANSPORT_LOWER = 'aws:securetransport';

const NUM_RUNS = 5_000;

type Json = Record<string, unknown>;

// ---------- the generator ----------

const EVERYONE = [{ Principal: '*' }, { Principal: { AWS: '*' } }, { Principal: { AWS: ['*'] } }];
const NAMED_PRINCIPALS = [
  { Principal: { AWS: BUCKET.account } },
  { Principal: { AWS: OWNER_ROOT } },
  { Principal: { AWS: [OWNER_ROOT, GRANTEE_ROOT] } },
  { Principal: { AWS: WHO.uploader } },
  { Principal: { AWS: BUCKET.granteeAccount } },
];
const NOT_PRINCIPALS = [{ NotPrincipal: { AWS: GRANTEE_ROOT } }, { NotPrincipal: { AWS: OWNER_ROOT } }, { NotPrincipal: { AWS: [WHO.uploader, OWNER_ROOT] } }];

const arbPrincipal = (denyOnly: boolean): fc.Arbitrary<Json> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...EVERYONE) },
    { weight: 3, arbitrary: fc.constantFrom(...NAMED_PRINCIPALS) },
    { weight: denyOnly ? 1 : 0, arbitrary: fc.constantFrom(...NOT_PRINCIPALS) },
  );

const ACTION_PATTERNS = [
  's3:*',
  '*',
  'S3:*',
  's3:Put*',
  's3:Get*',
  's3:List*',
  's3:Delete*',
  's3:*Object',
  's3:PutObject',
  's3:putobject',
  's3:?utObject',
  's3:GetObject',
  's3:ListBucket',
  's3:PutBucketPolicy',
] as const;
const NOT_ACTIONS = ['iam:*', 's3:GetObject', 's3:Get*', 's3:PutBucketPolicy', 's3:DeleteObject', 's3:PutObject'] as const;

const oneOrList = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | T[]> => fc.oneof(arb, fc.array(arb, { minLength: 1, maxLength: 3 }));

const arbActions = (favoured: readonly string[]): fc.Arbitrary<Json> =>
  fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...favoured).map((Action) => ({ Action })) },
    { weight: 4, arbitrary: oneOrList(fc.constantFrom(...ACTION_PATTERNS)).map((Action) => ({ Action })) },
    { weight: 1, arbitrary: oneOrList(fc.constantFrom(...NOT_ACTIONS)).map((NotAction) => ({ NotAction })) },
  );

const RESOURCE_PATTERNS = [
  BUCKET_ARN,
  `${BUCKET_ARN}/*`,
  `${BUCKET_ARN}*`,
  '*',
  'arn:aws:s3:::*',
  'arn:aws:s3:::*/*',
  'arn:aws:s3:::data-*',
  `${BUCKET_ARN}/?*`,
  `${BUCKET_ARN}/finance/*`,
  `${BUCKET_ARN}/*.csv`,
  OTHER_BUCKET_ARN,
  `${OTHER_BUCKET_ARN}/*`,
] as const;
const NOT_RESOURCES = [[OTHER_BUCKET_ARN, `${OTHER_BUCKET_ARN}/*`], `${OTHER_BUCKET_ARN}/*`, `${BUCKET_ARN}/finance/*`, BUCKET_ARN] as const;

const arbResources = (favoured: readonly (string | readonly string[])[]): fc.Arbitrary<Json> =>
  fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...favoured).map((Resource) => ({ Resource })) },
    { weight: 4, arbitrary: oneOrList(fc.constantFrom(...RESOURCE_PATTERNS)).map((Resource) => ({ Resource })) },
    { weight: 1, arbitrary: fc.constantFrom(...NOT_RESOURCES).map((NotResource) => ({ NotResource })) },
  );


const arbTransportEntry: fc.Arbitrary<ConditionEntry> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.tuple(
      fc.constantFrom('Bool', 'Bool', 'BoolIfExists'),
      fc.constantFrom('aws:SecureTransport', 'aws:SecureTransport', 'AWS:securetransport'),
      fc.constantFrom<unknown>('false', 'false', false, ['false'], [false], 'False', 'true', true, ['false', 'true']),
    ),
  },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('StringEquals', 'StringNotEquals', 'StringEqualsIfExists'), fc.constant('aws:SecureTransport'), fc.constantFrom<unknown>('false', 'true')) },
  { weight: 2, arbitrary: fc.tuple(fc.constant('Null'), fc.constant('aws:SecureTransport'), fc.constantFrom<unknown>('false', 'true', false)) },
);

/** Values an ARN operator compares: ARNs only (the key id, alias name and wildcards of every kind are for string operators). */
const KEY_ID_ARNS = [
  REQUIRED.arn,
  [REQUIRED.arn],
  BUCKET.otherKeyArn,
  [REQUIRED.arn, BUCKET.otherKeyArn],
  REQUIRED.aliasArn,
  [REQUIRED.arn, REQUIRED.aliasArn],
  'arn:aws:kms:*:*:*',
  `arn:aws:kms:${BUCKET.region}:${BUCKET.account}:key/*`,
];
const KEY_ID_VALUES = [...KEY_ID_ARNS, REQUIRED.aliasName, REQUIRED.keyId, 'arn:aws:kms:*'];
const keyIdEntry = (operators: readonly string[], values: readonly unknown[]): fc.Arbitrary<ConditionEntry> =>
  fc.tuple(
    fc.constantFrom(...operators),
    fc.constant(SSE_KMS_KEY_ID),
    fc.oneof({ weight: 3, arbitrary: fc.constant<unknown>(REQUIRED.arn) }, { weight: 2, arbitrary: fc.constantFrom<unknown>(...values) }),
  );
const arbKeyIdEntry: fc.Arbitrary<ConditionEntry> = fc.oneof(
  { weight: 4, arbitrary: keyIdEntry(['StringNotEquals', 'StringNotEquals', 'StringNotEqualsIfExists', 'StringNotLike'], KEY_ID_VALUES) },
  { weight: 2, arbitrary: keyIdEntry(['ArnNotEquals', 'ArnNotLike', 'ArnNotEqualsIfExists'], KEY_ID_ARNS) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('StringEquals', 'StringLike'), fc.constant(SSE_KMS_KEY_ID), fc.constantFrom<unknown>(...KEY_ID_VALUES)) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('Null'), fc.constant(SSE_KMS_KEY_ID), fc.constantFrom<unknown>('true', 'false')) },
);

const arbAlgorithmEntry: fc.Arbitrary<ConditionEntry> = fc.oneof(
  fc.tuple(
    fc.constantFrom('StringEquals', 'StringNotEquals', 'StringNotEqualsIfExists'),
    fc.constant(SSE),
    fc.constantFrom<unknown>('AES256', 'aws:kms', 'aws:kms:dsse', ['aws:kms', 'aws:kms:dsse']),
  ),
  fc.tuple(fc.constant('Null'), fc.constant(SSE), fc.constantFrom<unknown>('true', 'false')),
  fc.tuple(fc.constantFrom('Null'), fc.constant(SSE_CUSTOMER_ALGORITHM), fc.constant<unknown>('false')),
  fc.tuple(fc.constant('StringEquals'), fc.constant(SSE_CUSTOMER_ALGORITHM), fc.constant<unknown>('AES256')),
);

const arbPrincipalAccountEntry: fc.Arbitrary<ConditionEntry> = fc.tuple(
  fc.constantFrom('StringEquals', 'StringNotEquals'),
  fc.constant('aws:PrincipalAccount'),
  fc.constant<unknown>(BUCKET.account),
);

/** The guardrails' exception for AWS service principals, and forms of it that are not that exception. */
const arbServiceEntry: fc.Arbitrary<ConditionEntry> = fc.tuple(
  fc.constantFrom('BoolIfExists', 'BoolIfExists', 'Bool'),
  fc.constantFrom('aws:PrincipalIsAWSService', 'AWS:principalisawsservice'),
  fc.constantFrom<unknown>('false', false, ['false'], 'true'),
);

const arbAnyEntry = fc.oneof(arbTransportEntry, arbKeyIdEntry, arbAlgorithmEntry, arbPrincipalAccountEntry, arbServiceEntry);


const arbCondition = (core: fc.Arbitrary<ConditionEntry> | undefined): fc.Arbitrary<Json> =>
  fc
    .tuple(core ? core.map((entry) => [entry]) : fc.constant([]), fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(arbAnyEntry, { minLength: 1, maxLength: 2 }) }))
    .map(([first, extra]) => {
      const Condition = conditionOf([...first, ...extra]);
      return Condition ? { Condition } : {};
    });

const statementOf = (...parts: Json[]): Json => Object.assign({}, ...parts) as Json;

/** The documented TLS-only statement, in one of its equivalent forms. */
const arbDocumentedTls = fc
  .tuple(
    fc.constantFrom(...EVERYONE),
    fc.constantFrom<unknown>('s3:*', '*', 'S3:*', ['s3:GetObject', 's3:*']).map((Action) => ({ Action })),
    fc.constantFrom<unknown>([BUCKET_ARN, `${BUCKET_ARN}/*`], '*', `${BUCKET_ARN}*`, [`${BUCKET_ARN}/*`, BUCKET_ARN]).map((Resource) => ({ Resource })),
    fc.constantFrom<unknown>('false', false, ['false'], 'False'),
    fc.constantFrom('Bool', 'BoolIfExists'),
  )
  .map(([principal, action, resource, value, operator]) =>
    statementOf({ Effect: 'Deny' }, principal, action, resource, { Condition: { [operator]: { 'aws:SecureTransport': value } } }),
  );

/** Close to the documented TLS-only statement, one part at a time away from it. */
const arbTlsLike = fc.oneof(
  arbDocumentedTls,
  fc
    .tuple(arbPrincipal(true), arbActions(['s3:*']), arbResources([[BUCKET_ARN, `${BUCKET_ARN}/*`], BUCKET_ARN, `${BUCKET_ARN}/*`]), arbCondition(arbTransportEntry))
    .map((parts) => statementOf({ Effect: 'Deny' }, ...parts)),
);

/** Close to the documented required-key statement. */
const arbKeyLike = fc
  .tuple(arbPrincipal(true), arbActions(['s3:PutObject']), arbResources([`${BUCKET_ARN}/*`]), arbCondition(arbKeyIdEntry))
  .map((parts) => statementOf({ Effect: 'Deny' }, ...parts));

/** Another account's existing read grant. */
const arbGrant = fc.constantFrom(
  { Effect: 'Allow', Principal: { AWS: GRANTEE_ROOT }, Action: 's3:GetObject', Resource: `${BUCKET_ARN}/*` },
  { Effect: 'Allow', Principal: { AWS: WHO.grantee }, Action: ['s3:GetObject', 's3:ListBucket'], Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`] },
);

const arbAnything = fc.oneof(
  fc.tuple(arbPrincipal(true), arbActions(ACTION_PATTERNS), arbResources(RESOURCE_PATTERNS), arbCondition(undefined)).map((parts) => statementOf({ Effect: 'Deny' }, ...parts)),
  fc.tuple(arbPrincipal(false), arbActions(ACTION_PATTERNS), arbResources(RESOURCE_PATTERNS), arbCondition(undefined)).map((parts) => statementOf({ Effect: 'Allow' }, ...parts)),
);

const arbPolicy: fc.Arbitrary<Json> = fc
  .tuple(
    fc.array(fc.oneof({ weight: 4, arbitrary: arbTlsLike }, { weight: 4, arbitrary: arbKeyLike }, { weight: 1, arbitrary: arbGrant }, { weight: 3, arbitrary: arbAnything }), {
      minLength: 1,
      maxLength: 4,
    }),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([statements, withSids, singleAsObject]) => {
    const named = statements.map((statement, index) => (withSids ? { Sid: `S${index + 1}`, ...statement } : statement));
    return { Version: '2012-10-17', Statement: singleAsObject && named.length === 1 ? named[0] : named };
  });

// ---------- the evaluator-side predicates ----------

const without = (statement: Json, ...fields: string[]): Json => Object.fromEntries(Object.entries(statement).filter(([field]) => !fields.includes(field)));

const statementsOf = (policy: Json): Json[] => [policy['Statement']].flat() as Json[];

const conditionEntriesOf = (statement: Json): { operator: string; key: string }[] =>
  Object.entries((statement['Condition'] ?? {}) as Record<string, Json>).flatMap(([operator, block]) => Object.keys(block).map((key) => ({ operator, key: key.toLowerCase() })));

const names = (statement: Json, key: string): boolean => conditionEntriesOf(statement).some((entry) => entry.key === key);
const isDeny = (statement: Json): boolean => statement['Effect'] === 'Deny';

/**
 * Where the evaluator departs from AWS's documentation, each for a reason checked against it. Every occurrence
 * is counted and reported; every other verdict is compared as the evaluator gives it.
 */
const EXCLUSIONS = {
  'string-operator-on-secure-transport':
    'aws:SecureTransport is documented as a Boolean key ("Works with Boolean operators"); a string operator on it is undocumented. ' +
    'The evaluator compares its string form; the audit credits only Bool, BoolIfExists and Null. A Deny whose TLS test is a string ' +
    'comparison is set aside as a TLS deny on the evaluator side, as it is on ours.',
  'arn-operator-on-non-arn-key-id':
    'AWS documents ArnNotEquals/ArnNotLike as "negated matching for ARN", and a negated operator holds when the values do not match. ' +
    'The evaluator answers "no match" for the negated operators too when the request value is not an ARN (an alias name, a bare key ' +
    'id), so a Deny with ArnNotEquals on the key id looks as if it let those uploads through (the same report: act-security-labs/' +
    'iam-simulate#50; pinned in test/unit/prevention/oracle.test.ts). For such a request the statement is evaluated with those ' +
    'entries held true, which they are: their values are all ARNs, and a value that is not an ARN matches none of them.',
} as const;
type ExclusionName = keyof typeof EXCLUSIONS;

const STRING_OPERATOR_ON_TRANSPORT = (statement: Json): boolean =>
  conditionEntriesOf(statement).some((entry) => entry.key === SECURE_TRANSPORT_LOWER && !['Bool', 'BoolIfExists', 'Null'].includes(entry.operator));

const ARN_NEGATION = /^ArnNot(Equals|Like)(IfExists)?$/;

/** The statement without its ArnNotEquals/ArnNotLike entries on the key id (null when it has none). */
const withoutArnNegationsOnKeyId = (statement: Json): Json | null => {
  const condition = (statement['Condition'] ?? {}) as Record<string, Json>;
  let removed = false;
  const kept: Record<string, Json> = {};
  for (const [operator, block] of Object.entries(condition)) {
    const entries = Object.entries(block).filter(([key]) => {
      const drop = ARN_NEGATION.test(operator) && key.toLowerCase() === KEY_ID_LOWER;
      removed ||= drop;
      return !drop;
    });
    if (entries.length > 0) kept[operator] = Object.fromEntries(entries);
  }
  if (!removed) return null;
  const rest = without(statement, 'Condition');
  return Object.keys(kept).length > 0 ? { ...rest, Condition: kept } : rest;
};

/** An ARN has six colon-separated parts: `arn:partition:service:region:account:resource`. */
const sendsNonArnKeyId = (request: S3Request): boolean => {
  const value = request.context[SSE_KMS_KEY_ID];
  return typeof value === 'string' && !(value.startsWith('arn:') && value.split(':').length >= 6);
};

const stats = {
  simulations: 0,
  exclusions: new Map<ExclusionName, number>(),
};
const exclude = (name: ExclusionName): void => void stats.exclusions.set(name, (stats.exclusions.get(name) ?? 0) + 1);

const evaluateAlone = async (statement: Json, request: S3Request) => {
  stats.simulations += 1;
  return evaluateS3Request({ bucketPolicy: { Version: '2012-10-17', Statement: [statement] }, request });
};

/** The statement alone as the bucket policy, with the evaluator's known departure corrected (see EXCLUSIONS). */
const decideAlone = async (statement: Json, request: S3Request) => {
  const verdict = await evaluateAlone(statement, request);
  const corrected = sendsNonArnKeyId(request) ? withoutArnNegationsOnKeyId(statement) : null;
  if (corrected === null) return verdict;
  const documented = await evaluateAlone(corrected, request);
  if (documented.decision !== verdict.decision) exclude('arn-operator-on-non-arn-key-id');
  return documented;
};

interface Coverage {
  readonly denied: boolean;
  /** The first request the statement does not deny. */
  readonly witness?: { readonly request: S3Request; readonly explain: string };
}

const cache = new Map<string, Coverage>();

/** Does this one statement, as the whole bucket policy, explicitly deny every request? Stops at the first that escapes. */
const deniesEvery = async (statement: Json, purpose: string, requests: readonly S3Request[]): Promise<Coverage> => {
  const cacheKey = `${purpose}\n${JSON.stringify(statement)}`;
  const known = cache.get(cacheKey);
  if (known) return known;
  let coverage: Coverage = { denied: true };
  for (const request of requests) {
    const verdict = await decideAlone(statement, request);
    if (verdict.decision === 'ExplicitlyDenied') continue;
    coverage = { denied: false, witness: { request, explain: verdict.explain ?? verdict.decision } };
    break;
  }
  cache.set(cacheKey, coverage);
  return coverage;
};

/** Does this one statement deny none of the requests? */
const deniesNone = async (statement: Json, purpose: string, requests: readonly S3Request[]): Promise<boolean> => {
  const cacheKey = `${purpose}\n${JSON.stringify(statement)}`;
  const known = cache.get(cacheKey);
  if (known) return !known.denied;
  let coverage: Coverage = { denied: false };
  for (const request of requests) {
    const verdict = await decideAlone(statement, request);
    if (verdict.decision !== 'ExplicitlyDenied') continue;
    coverage = { denied: true, witness: { request, explain: verdict.explain ?? verdict.decision } };
    break;
  }
  cache.set(cacheKey, coverage);
  return !coverage.denied;
};

/** The base request and every request one dimension away from it. */
const oneDimensionAway = (base: RequestParts, dimensions: readonly (readonly Partial<RequestParts>[])[]): S3Request[] => {
  const seen = new Set<string>();
  const requests: S3Request[] = [];
  for (const variation of [{}, ...dimensions.flat()]) {
    const request = s3RequestOf(BUCKET, { ...base, ...variation });
    const id = JSON.stringify(request);
    if (!seen.has(id)) requests.push(request);
    seen.add(id);
  }
  return requests;
};

/** Callers, the generator's named ones first after one it never names. Signed ones say they are not an AWS service (as AWS puts it). */
const CALLERS = [WHO.stranger, WHO.anonymous, WHO.grantee, WHO.granteeRoot, WHO.uploader, WHO.ownerRoot].map((principal) => ({ principal }));
/** Object keys: inside and outside every prefix and suffix the generator names, and a one-character key. */
const OBJECT_KEYS = ['report.csv', 'finance/2026/ledger.xlsx', 'a'].map((key) => ({ resource: objectArnOf(BUCKET, key) }));
const putWith = (encryption: UploadEncryptionName): Pick<RequestParts, 'action' | 'headers'> => ({ action: 's3:PutObject', headers: ENCRYPTIONS[encryption] });
/**
 * Key ids no real upload sends but the generator writes into conditions, sent literally under aws:kms and DSSE-KMS:
 * a condition that compares the header with them (StringNotEquals "arn:aws:kms:*:*:*" compares without wildcards)
 * lets such a request through.
 */
const LITERAL_KEY_IDS = [...new Set(KEY_ID_VALUES.flat())]
  .filter((value) => value !== REQUIRED.arn)
  .flatMap((value) => ['aws:kms', 'aws:kms:dsse'].map((sse) => ({ action: 's3:PutObject', headers: { [SSE]: sse, [SSE_KMS_KEY_ID]: value } })));
const ALL_UPLOADS = [...(Object.keys(ENCRYPTIONS) as UploadEncryptionName[]).map(putWith), ...LITERAL_KEY_IDS.filter(({ headers }) => headers[SSE] === 'aws:kms')];
/** Bucket-level actions: what an administrator calls, and one no partial pattern names. */
const BUCKET_ACTIONS = ['s3:CreateBucketMetadataTableConfiguration', 's3:ListBucket', 's3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy', 's3:PutEncryptionConfiguration'].map(
  (action) => ({ action }),
);
/** Object-level operations: s3:AbortMultipartUpload is named by no partial pattern. */
const OBJECT_OPERATIONS = [{ action: 's3:AbortMultipartUpload' }, { action: 's3:GetObject' }, { action: 's3:DeleteObject' }, ...ALL_UPLOADS];
const TRANSPORT_VARIATIONS = (['HTTPS', 'HTTP'] as Transport[]).map((transport) => ({ transport }));

/** TLS only is for every caller, AWS services included (they call S3 over HTTPS anyway). */
const TLS_CALLERS = [...CALLERS, { principal: 'cloudtrail.amazonaws.com' }];
const HTTP_TO_BUCKET = oneDimensionAway({ principal: WHO.stranger, action: 's3:CreateBucketMetadataTableConfiguration', resource: BUCKET_ARN, transport: 'HTTP' }, [TLS_CALLERS, BUCKET_ACTIONS]);
const HTTP_TO_OBJECTS = oneDimensionAway({ principal: WHO.stranger, action: 's3:AbortMultipartUpload', resource: objectArnOf(BUCKET, 'report.csv'), transport: 'HTTP' }, [
  TLS_CALLERS,
  OBJECT_OPERATIONS,
  OBJECT_KEYS,
]);
/** Not judged by the key check: header-less uploads get the bucket default, SSE-C is s3-sse-c-blocked, DSSE-KMS under the required key either way. */
const NOT_JUDGED: UploadEncryptionName[] = ['no encryption headers', 'SSE-C (customer algorithm AES256)', "aws:kms with the required key's ARN", "DSSE-KMS with the required key's ARN"];
const WRONG_ENCRYPTIONS = [...(Object.keys(ENCRYPTIONS) as UploadEncryptionName[]).filter((name) => !NOT_JUDGED.includes(name)).map(putWith), ...LITERAL_KEY_IDS];
const UPLOAD_BASE = { principal: WHO.stranger, resource: objectArnOf(BUCKET, 'report.csv'), transport: 'HTTPS' } as const;
/** Each wrong upload from the base caller; and, for one of them, every request one caller, transport or object away. */
const WRONG_UPLOADS = WRONG_ENCRYPTIONS.map((upload) => s3RequestOf(BUCKET, { ...UPLOAD_BASE, ...upload }));
const everyCallerTransportObject = (upload: Pick<RequestParts, 'action' | 'headers'>): S3Request[] =>
  oneDimensionAway({ ...UPLOAD_BASE, ...upload }, [CALLERS, TRANSPORT_VARIATIONS, OBJECT_KEYS]);
const REQUIRED_KEY_UPLOADS = [s3RequestOf(BUCKET, { ...UPLOAD_BASE, ...putWith("aws:kms with the required key's ARN") })];

interface OracleVerdict {
  readonly compliant: boolean;
  readonly detail: string;
}

const describeWitness = ({ witness }: Coverage): string => {
  if (!witness) return 'denied';
  const { principal, action, resource, context } = witness.request;
  return `${principal} ${action} ${resource} ${JSON.stringify(context)}: ${witness.explain}`;
};

/** The statement with its Resource/NotResource replaced by every resource: what its principal, actions and conditions reach. */
const everywhere = (statement: Json): Json => ({ ...without(statement, 'Resource', 'NotResource'), Resource: '*' });

/** A Deny of s3:* for everyone, unconditioned, over the statement's Resource/NotResource: what its resources reach. */
const reachOf = (statement: Json): Json => {
  const resources = 'NotResource' in statement ? { NotResource: statement['NotResource'] } : { Resource: statement['Resource'] };
  return { Effect: 'Deny', Principal: '*', Action: 's3:*', ...resources };
};

const HTTP_BUCKET_REQUEST = HTTP_TO_BUCKET.slice(0, 1);
const HTTP_OBJECT_REQUESTS = OBJECT_KEYS.map(({ resource }) => s3RequestOf(BUCKET, { principal: WHO.stranger, action: 's3:GetObject', resource, transport: 'HTTP' }));

/**
 * The claim has two parts, as docs/AUDIT.md states it: a TLS deny applies to every principal, every S3 action and
 * every request without TLS (checked over every resource), and its resources reach the bucket, and every object.
 * A NotAction of object actions over the bucket alone would deny every bucket request without TLS, yet names
 * S3 actions: the audit does not credit it, and neither does this predicate.
 */
const oracleTlsOnly = async (policy: Json): Promise<OracleVerdict> => {
  const candidates = statementsOf(policy).filter((statement) => isDeny(statement) && names(statement, SECURE_TRANSPORT_LOWER));
  let bucket = false;
  let objects = false;
  const notes: string[] = [];
  for (const statement of candidates) {
    const anywhere = everywhere(statement);
    const toBucket = await deniesEvery(anywhere, 'tls-bucket', HTTP_TO_BUCKET);
    const toObjects = toBucket.denied ? await deniesEvery(anywhere, 'tls-objects', HTTP_TO_OBJECTS) : toBucket;
    if (!toObjects.denied) {
      notes.push(`does not deny ${describeWitness(toObjects)}`);
      continue;
    }
    if (STRING_OPERATOR_ON_TRANSPORT(statement)) {
      exclude('string-operator-on-secure-transport');
      continue;
    }
    const reach = reachOf(statement);
    const reachesBucket = (await deniesEvery(reach, 'reach-bucket', HTTP_BUCKET_REQUEST)).denied;
    const reachesObjects = (await deniesEvery(reach, 'reach-objects', HTTP_OBJECT_REQUESTS)).denied;
    bucket ||= reachesBucket;
    objects ||= reachesObjects;
    notes.push(`a TLS deny reaching ${[reachesBucket ? 'the bucket' : '', reachesObjects ? 'every object' : ''].filter(Boolean).join(' and ') || 'neither'}`);
  }
  return { compliant: bucket && objects, detail: notes.join(' | ') || 'no Deny names aws:SecureTransport' };
};

/** For each literal key-id upload, the index of the upload naming another key's ARN under the same encryption. */
const STAND_IN = new Map(
  WRONG_ENCRYPTIONS.flatMap((upload, index) => {
    if (index < WRONG_ENCRYPTIONS.length - LITERAL_KEY_IDS.length) return [];
    const sse = upload.headers?.[SSE];
    const stand = WRONG_ENCRYPTIONS.findIndex((other) => other.headers?.[SSE] === sse && other.headers?.[SSE_KMS_KEY_ID] === BUCKET.otherKeyArn);
    return stand >= 0 ? [[index, stand] as const] : [];
  }),
);
const refusedCache = new Map<string, readonly number[]>();
/** The indexes of the WRONG_UPLOADS the statement, alone, explicitly denies. */
const wrongUploadsDenied = async (statement: Json): Promise<readonly number[]> => {
  const cacheKey = JSON.stringify(statement);
  const known = refusedCache.get(cacheKey);
  if (known) return known;
  const refused: number[] = [];
  // Without a condition on the key id, a literal key id is decided as another key's ARN under the same encryption.
  const keyIdMatters = names(statement, KEY_ID_LOWER);
  for (const [index, request] of WRONG_UPLOADS.entries()) {
    const stand = keyIdMatters ? index : (STAND_IN.get(index) ?? index);
    if (stand !== index) {
      if (refused.includes(stand)) refused.push(index);
      continue;
    }
    if ((await decideAlone(statement, request)).decision === 'ExplicitlyDenied') refused.push(index);
  }
  refusedCache.set(cacheKey, refused);
  return refused;
};

const oracleRequiresKey = async (policy: Json): Promise<OracleVerdict> => {
  const candidates = statementsOf(policy).filter((statement) => isDeny(statement) && (names(statement, KEY_ID_LOWER) || names(statement, SSE.toLowerCase())));
  const notes: string[] = [];
  const denied = new Set<number>();
  for (const statement of candidates) {
    if (!(await deniesNone(statement, 'key-required', REQUIRED_KEY_UPLOADS))) {
      notes.push('also denies the required key');
      continue;
    }
    const refused = await wrongUploadsDenied(statement);
    const first = refused[0];
    if (first === undefined) continue;
    // A statement's verdict is a product over the request's dimensions: if it denies every request one dimension
    // away from one wrong upload it denies, it denies each upload it refuses from every caller, transport and object.
    const everywhere = await deniesEvery(statement, `key-everywhere-${first}`, everyCallerTransportObject(WRONG_ENCRYPTIONS[first] as Pick<RequestParts, 'action' | 'headers'>));
    if (!everywhere.denied) {
      notes.push(`narrowed: lets through ${describeWitness(everywhere)}`);
      continue;
    }
    for (const index of refused) denied.add(index);
  }
  const letThrough = WRONG_UPLOADS.filter((_, index) => !denied.has(index));
  if (letThrough.length === 0) return { compliant: true, detail: 'denies every wrong-key upload' };
  return { compliant: false, detail: [...notes, `lets through ${JSON.stringify(letThrough[0]?.context)}`].join(' | ') };
};

// ---------- the comparison ----------

interface Disagreement {
  readonly check: 'tls-only' | 'required-key';
  readonly ours: string;
  readonly oracle: string;
  readonly policy: string;
}

describe('the audit agrees with an independent IAM evaluator on generated bucket policies', () => {
  it(`${NUM_RUNS.toLocaleString('en')} policies: TLS-only and required-key verdicts`, { timeout: 300_000 }, async () => {
    const disagreements: Disagreement[] = [];
    const tally = { tls: { ours: 0, oracle: 0 }, key: { ours: 0, oracle: 0 }, policies: 0 };
    const started = Date.now();

    await fc.assert(
      fc.asyncProperty(arbPolicy, async (policy) => {
        tally.policies += 1;
        const text = JSON.stringify(policy);
        const oursTls = evaluateTlsOnlyPolicy(text, BUCKET_ARN);
        const oracleTls = await oracleTlsOnly(policy);
        tally.tls.ours += oursTls.compliant ? 1 : 0;
        tally.tls.oracle += oracleTls.compliant ? 1 : 0;
        if (oursTls.compliant !== oracleTls.compliant) {
          disagreements.push({ check: 'tls-only', ours: oursTls.compliant ? oursTls.evidence : oursTls.reason, oracle: oracleTls.detail, policy: text });
        }
        const oursKey = evaluateKeyRequirementPolicy(text, BUCKET_ARN, REQUIRED.arn);
        const oracleKey = await oracleRequiresKey(policy);
        tally.key.ours += oursKey.compliant ? 1 : 0;
        tally.key.oracle += oracleKey.compliant ? 1 : 0;
        if (oursKey.compliant !== oracleKey.compliant) {
          disagreements.push({ check: 'required-key', ours: oursKey.compliant ? oursKey.evidence : oursKey.reason, oracle: oracleKey.detail, policy: text });
        }
      }),
      { numRuns: NUM_RUNS, seed: TEST_SEED.seed, endOnFailure: true },
    );

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const excluded = [...stats.exclusions].map(([name, count]) => `${name} ×${count}`).join(', ') || 'none';
    const reasons = [...stats.exclusions.keys()].map((name) => `  set aside, ${name}: ${EXCLUSIONS[name]}\n`).join('');
    process.stdout.write(
      `policy differential: ${tally.policies} policies in ${seconds} s, ${stats.simulations} evaluator calls; ` +
        `TLS-only ${tally.tls.ours} (ours) / ${tally.tls.oracle} (evaluator), required key ${tally.key.ours} / ${tally.key.oracle}; ` +
        `set aside: ${excluded}; disagreements: ${disagreements.length}\n${reasons}`,
    );
    for (const disagreement of disagreements.slice(0, 40)) process.stdout.write(`${JSON.stringify(disagreement)}\n`);

    expect(tally.policies).toBe(NUM_RUNS);
    // Both sides of each verdict are exercised.
    for (const check of [tally.tls, tally.key]) {
      expect(check.oracle).toBeGreaterThan(NUM_RUNS / 10);
      expect(check.oracle).toBeLessThan(NUM_RUNS - NUM_RUNS / 10);
    }
    expect(disagreements).toEqual([]);
  });
});
