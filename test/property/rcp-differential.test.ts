import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GUARDRAIL_SID } from '../../shared/prevention/guardrail-statements.js';
import { organizationRcp, rcpSemantics, type RcpSemantics } from '../../shared/prevention/resource-control-policy.js';
import { TEST_SEED } from '../fixtures/test-seed.js';
import { ANONYMOUS, evaluateS3Request, OracleInputError, type S3Request } from '../support/iam-oracle.js';
import { DATA_BUCKET, PRINCIPAL_IS_AWS_SERVICE, SECURE_TRANSPORT, SSE, SSE_CUSTOMER_ALGORITHM, SSE_KMS_KEY_ID } from '../support/s3-request-matrix.js';
import { conditionOf, type ConditionEntry } from '../support/condition-block.js';

/**
 * The audit's own reading of a Resource Control Policy (rcpSemantics, which org-rcp-coverage counts on) against an
 * IAM evaluator that is not ours, on generated RCP documents. Each flag's claim, and the evaluator-side predicate that
 * states it. "Denies" is the evaluator's ExplicitlyDenied with the document as the only RCP above the account (beside
 * the RCPFullAWSAccess AWS attaches everywhere) and with the caller's identity policy and the bucket's policy both
 * allowing the request, so that only the RCP can refuse it (checked for every request before the run). The callers: a
 * role of the member account, a role of another account of the organization, a stranger's role (no
 * aws:PrincipalOrgID), an anonymous caller (no aws:PrincipalIsAWSService either: AWS leaves both out of unsigned
 * requests) and, where the claim includes them, an AWS service principal (aws:PrincipalIsAWSService "true").
 *
 * - tlsOnly ⇔ every S3 action on every bucket and object is denied over HTTP, whoever the caller, AWS services
 *   included (they are spared the encryption Denies, never TLS).
 *   Evaluator: the document denies every request over HTTP of TLS_TO_BUCKETS and TLS_TO_OBJECTS: from each of the
 *   five callers, bucket actions on every bucket and object operations (uploads with and without encryption headers
 *   among them) on every object, from every network.
 *
 * - kmsRequired, awsManagedKeyDenied, sseCDenied ⇔ an upload asking for AES256 / aws:kms without a key id / a
 *   customer-provided key (SSE-C) is denied, whoever the caller but an AWS service, whichever bucket.
 *   Evaluator: the document denies every s3:PutObject over HTTPS with exactly those headers, from each of the four
 *   callers that are not AWS services, to every object, from every network.
 *   Over HTTPS only: an upload over plain HTTP is tlsOnly's to refuse, and org-rcp-coverage passes only with all four
 *   guarantees on the account's path, so a Deny of AES256 that holds only when aws:SecureTransport is "true" still
 *   refuses every AES256 upload that tlsOnly lets through.
 *
 * - requiredKey = K ⇔ K is a key ARN that uploads may name, and uploads naming any other key are denied.
 *   Evaluator: K is a key ARN the generator writes; the document denies every aws:kms upload over HTTPS naming any
 *   other key id the generator writes (a key ARN, an alias name, the literal "arn:aws:kms:*") or a key ARN it never
 *   writes, from each caller that is not an AWS service, to every object, from every network; and it lets the
 *   uploads naming K through, against an upload without encryption headers.
 *
 * - dsseKmsAccepted (compared where both sides find kmsRequired) ⇔ DSSE-KMS is accepted as well as SSE-KMS.
 *   Evaluator: the document lets the aws:kms:dsse uploads over HTTPS naming the required key (without one, a key ARN
 *   the generator never writes) through, against the aws:kms upload naming the same key.
 *
 *   Lets uploads through, against a baseline: it denies none of them (from a caller that is not an AWS service, to
 *   any object, from any network) where it lets the baseline upload from the same caller to the same object through,
 *   and it lets one of them through at least. A Deny of every upload, or of every upload from outside the
 *   organization, refuses no key: the key is let through wherever uploads are.
 *
 * "Every request" is exact without enumerating more than it must. Each dimension of a request (who calls, which
 * action with which headers, which bucket or object, which network; the transport is fixed by each claim) takes every
 * value the generator can name and one it never names (a stranger, s3:AbortMultipartUpload and
 * s3:CreateBucketMetadataTableConfiguration, a bucket no pattern names, an address outside the network and none at
 * all, as through a VPC endpoint), so the cross product of the values holds one request of each class that no RCP
 * the generator writes can tell apart. A document denies a request when one of its statements does (an RCP holds
 * Deny statements only). A statement applies when its action, resource and each condition match, each reading one
 * dimension, so the requests it denies are a product of one set per dimension: it denies the whole cross product if
 * and only if it denies a base request and every request one dimension away from it. The document is checked
 * statement by statement that way first; only when no statement alone covers the claim is the cross product walked,
 * each request against every statement, until one escapes them all (confirmed then on the whole document) or none
 * does (statements that cover the claim only together). Letting through walks the cross product. Verdicts are cached
 * per statement and request (documents share most statements), and a statement that does not name aws:SourceIp, the
 * only network key the generator writes, is asked about one network only.
 *
 * Verdicts where the evaluator departs from AWS's documentation, or where the audit is conservative by design, are
 * corrected or set aside by name (SET_ASIDE), counted, and printed with their reasons.
 *
 * The documents are valid RCPs, as AWS Organizations and the evaluator both require (AWS Organizations User Guide,
 * "RCP syntax": "For RCPs that you create, the value must be Deny", Allow being only for the RCPFullAWSAccess AWS
 * manages; "You can only specify "*" in the Principal element of an RCP"; Action required and never "*" alone;
 * Resource or NotResource; NotPrincipal and NotAction unsupported). An Allow, Principal {"AWS": "*"} or NotAction
 * cannot be in an attached RCP, so rcpSemantics never reads one: the generator varies what an RCP can hold instead
 * (conditions on the caller's account, organization or network in place of named principals, NotResource in place of
 * NotAction), and the last test shows the evaluator refusing the others.
 */

const NUM_RUNS = 2_000;

const MEMBER_ACCOUNT = DATA_BUCKET.account;
const PARTNER_ACCOUNT = DATA_BUCKET.granteeAccount;
const STRANGER_ACCOUNT = DATA_BUCKET.strangerAccount;
const ORG_ID = 'o-exampleorgid';
const REQUIRED = DATA_BUCKET.requiredKey;
const OTHER_KEY = DATA_BUCKET.otherKeyArn;
/** A key ARN no generated condition names. */
const UNNAMED_KEY = `arn:aws:kms:us-east-1:${STRANGER_ACCOUNT}:key/ffffffff-ffff-ffff-ffff-ffffffffffff`;
const NETWORK = '203.0.113.0/24';
/** aws:SourceIp: inside the network, outside it, and absent (AWS leaves it out of requests through a VPC endpoint). */
const ADDRESS = { inside: '203.0.113.10', outside: '198.51.100.7', 'vpc-endpoint': undefined } as const;
const PRINCIPAL_ORG_ID = 'aws:PrincipalOrgID';
const SOURCE_IP = 'aws:SourceIp';

type Json = Record<string, unknown>;

// ---------- the generator ----------


/** A statement as parts, so that one part at a time can be changed. */
interface StatementParts {
  readonly sid?: string;
  readonly action: unknown;
  readonly resource: { readonly Resource: unknown } | { readonly NotResource: unknown };
  readonly entries: readonly ConditionEntry[];
}

const entriesOf = (condition: Readonly<Record<string, Readonly<Record<string, unknown>>>>): ConditionEntry[] =>
  Object.entries(condition).flatMap(([operator, block]) => Object.entries(block).map(([key, value]): ConditionEntry => [operator, key, value]));


const statementOf = ({ sid, action, resource, entries }: StatementParts): Json => {
  const Condition = conditionOf(entries);
  return { ...(sid === undefined ? {} : { Sid: sid }), Effect: 'Deny', Principal: '*', Action: action, ...resource, ...(Condition ? { Condition } : {}) };
};

const lower = (key: string): string => key.toLowerCase();
const withoutKey = (entries: readonly ConditionEntry[], key: string): ConditionEntry[] => entries.filter(([, k]) => lower(k) !== lower(key));

/** The key each guardrail statement compares (its operator and values vary), and the key of its Null test. */
const PRIMARY: Readonly<Record<string, { readonly key: string; readonly nullKey?: string }>> = {
  [GUARDRAIL_SID.insecureTransport]: { key: SECURE_TRANSPORT },
  [GUARDRAIL_SID.nonKmsEncryption]: { key: SSE, nullKey: SSE },
  [GUARDRAIL_SID.awsManagedKey]: { key: SSE, nullKey: SSE_KMS_KEY_ID },
  [GUARDRAIL_SID.otherKmsKeys]: { key: SSE_KMS_KEY_ID, nullKey: SSE_KMS_KEY_ID },
  [GUARDRAIL_SID.sseC]: { key: SSE_CUSTOMER_ALGORITHM, nullKey: SSE_CUSTOMER_ALGORITHM },
};

const STRING_OPERATORS = ['StringNotEquals', 'StringNotEqualsIfExists', 'StringEquals', 'StringNotLike'] as const;
/** ARN operators only on the key id, the one ARN-typed key here. */
const KEY_ID_OPERATORS = [...STRING_OPERATORS, 'ArnNotEquals'] as const;
const ALGORITHM_VALUES: readonly unknown[] = ['aws:kms', ['aws:kms', 'aws:kms:dsse'], 'AES256', 'aws:kms:dsse'];
/** Every key id a generated condition can name (lists flattened), sent literally as well. */
const KEY_ID_VALUES: readonly unknown[] = [REQUIRED.arn, OTHER_KEY, [REQUIRED.arn, OTHER_KEY], REQUIRED.aliasName, 'arn:aws:kms:*'];
const TRANSPORT_VALUES: readonly unknown[] = ['false', false, 'true', ['false', 'true']];

const ACTIONS: readonly unknown[] = [
  's3:PutObject',
  's3:*',
  's3:Put*',
  's3:GetObject',
  ['s3:GetObject', 's3:PutObject'],
  's3:*Object',
  // AWS's example: HTTPS only for several services.
  ['s3:*', 'sts:*', 'kms:*', 'sqs:*', 'secretsmanager:*'],
  'sqs:*',
];
const RESOURCES: readonly ({ Resource: unknown } | { NotResource: unknown })[] = [
  { Resource: '*' },
  { Resource: 'arn:aws:s3:::*' },
  { Resource: 'arn:aws:s3:::*/*' },
  { Resource: 'arn:aws:s3:::data-bucket/*' },
  { Resource: 'arn:aws:s3:::data-bucket' },
  { Resource: 'arn:aws:s3:::data-*' },
  { Resource: ['arn:aws:s3:::*/*', 'arn:aws:s3:::*'] },
  { Resource: 'arn:aws-cn:s3:::*' },
  { NotResource: 'arn:aws:s3:::data-bucket/*' },
  { NotResource: 'arn:aws:sqs:*:*:*' },
  { NotResource: 'arn:aws:s3:::*' },
];

/** The guardrails' exception for AWS service principals, absent, and forms of it that are not that exception. */
const EXCEPTIONS: readonly (readonly ConditionEntry[])[] = [
  [['BoolIfExists', PRINCIPAL_IS_AWS_SERVICE, 'false']],
  [],
  [['Bool', PRINCIPAL_IS_AWS_SERVICE, 'false']],
  [['BoolIfExists', PRINCIPAL_IS_AWS_SERVICE, 'true']],
  [['BoolIfExists', 'AWS:principalisawsservice', false]],
];

/** Conditions on keys the audit does not decide, and on the transport. */
const EXTRA_CONDITIONS: readonly ConditionEntry[] = [
  ['StringEquals', 'aws:PrincipalAccount', MEMBER_ACCOUNT],
  ['StringNotEquals', 'aws:PrincipalAccount', MEMBER_ACCOUNT],
  ['IpAddress', SOURCE_IP, NETWORK],
  ['NotIpAddress', SOURCE_IP, NETWORK],
  ['StringEquals', PRINCIPAL_ORG_ID, ORG_ID],
  ['StringNotEqualsIfExists', PRINCIPAL_ORG_ID, ORG_ID],
  ['Bool', SECURE_TRANSPORT, 'true'],
  ['Bool', SECURE_TRANSPORT, 'false'],
];

type Variation = (parts: StatementParts) => fc.Arbitrary<StatementParts>;

const replacePrimary = (parts: StatementParts, change: (entry: ConditionEntry) => ConditionEntry): StatementParts => {
  const primary = PRIMARY[parts.sid ?? '']?.key;
  const index = parts.entries.findIndex(([operator, key]) => operator !== 'Null' && primary !== undefined && lower(key) === lower(primary));
  if (index < 0) return parts;
  return { ...parts, entries: parts.entries.map((entry, at) => (at === index ? change(entry) : entry)) };
};

const VARIATIONS: Readonly<Record<string, Variation>> = {
  operator: (parts) => {
    const primary = PRIMARY[parts.sid ?? ''];
    const operators: readonly string[] =
      primary?.key === SECURE_TRANSPORT ? ['Bool', 'BoolIfExists'] : primary?.key === SSE_KMS_KEY_ID ? KEY_ID_OPERATORS : STRING_OPERATORS;
    return fc.constantFrom(...operators).map((operator) => replacePrimary(parts, ([, key, value]) => [operator, key, value]));
  },
  null: (parts) => {
    const nullKey = PRIMARY[parts.sid ?? '']?.nullKey;
    if (nullKey === undefined) return fc.constant(parts);
    return fc.constantFrom<unknown>('true', 'false', undefined).map((value) => ({
      ...parts,
      entries: [...parts.entries.filter(([operator, key]) => operator !== 'Null' || lower(key) !== lower(nullKey)), ...(value === undefined ? [] : [['Null', nullKey, value] as const])],
    }));
  },
  values: (parts) => {
    const key = PRIMARY[parts.sid ?? '']?.key;
    const values = key === SECURE_TRANSPORT ? TRANSPORT_VALUES : key === SSE_KMS_KEY_ID ? KEY_ID_VALUES : key === SSE ? ALGORITHM_VALUES : [];
    if (values.length === 0) return fc.constant(parts);
    return fc.constantFrom(...values).map((value) => replacePrimary(parts, ([operator, k]) => [operator, k, value]));
  },
  exception: (parts) =>
    fc.constantFrom(...EXCEPTIONS).map((exception) => ({ ...parts, entries: [...withoutKey(parts.entries, PRINCIPAL_IS_AWS_SERVICE), ...exception] })),
  action: (parts) => fc.constantFrom(...ACTIONS).map((action) => ({ ...parts, action })),
  resource: (parts) => fc.constantFrom(...RESOURCES).map((resource) => ({ ...parts, resource })),
  extra: (parts) => fc.constantFrom(...EXTRA_CONDITIONS).map((entry) => ({ ...parts, entries: [...parts.entries, entry] })),
};
const VARIATION_NAMES = Object.keys(VARIATIONS);

/** Zero, one, or (now and then) two parts changed. */
const arbVaried = (parts: StatementParts): fc.Arbitrary<StatementParts> =>
  fc
    .oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 6, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constant(2) })
    .chain((count) => fc.array(fc.constantFrom(...VARIATION_NAMES), { minLength: count, maxLength: count }))
    .chain((names) =>
      names.reduce<fc.Arbitrary<StatementParts>>((arb, name) => arb.chain((current) => (VARIATIONS[name] as Variation)(current)), fc.constant(parts)),
    );

/** Statements an organization's RCP holds for other reasons. */
const UNRELATED: readonly Json[] = [
  // AWS's example: nobody changes Block Public Access.
  { Sid: 'DenyBPAConfigurations', Effect: 'Deny', Principal: '*', Action: 's3:PutBucketPublicAccessBlock', Resource: '*' },
  // AWS's data perimeter: nobody outside the organization, AWS services aside.
  {
    Sid: 'EnforceOrgIdentities',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: '*',
    Condition: { StringNotEqualsIfExists: { [PRINCIPAL_ORG_ID]: ORG_ID }, BoolIfExists: { [PRINCIPAL_IS_AWS_SERVICE]: 'false' } },
  },
  { Sid: 'SqsOverTls', Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: '*', Condition: { Bool: { [SECURE_TRANSPORT]: 'false' } } },
  { Sid: 'KeepTheData', Effect: 'Deny', Principal: '*', Action: 's3:DeleteObject', Resource: 'arn:aws:s3:::data-bucket/*' },
  // No DSSE-KMS in one bucket; and the same written with the bucket's ARN, which names none of its objects.
  { Sid: 'NoDsseInDataBucket', Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: 'arn:aws:s3:::data-bucket/*', Condition: { StringEquals: { [SSE]: 'aws:kms:dsse' } } },
  { Sid: 'NoDsseMeantForDataBucket', Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: 'arn:aws:s3:::data-bucket', Condition: { StringEquals: { [SSE]: 'aws:kms:dsse' } } },
];

const partsOf = (statement: ReturnType<typeof organizationRcp>['Statement'][number]): StatementParts => ({
  sid: statement.Sid,
  action: statement.Action,
  resource: { Resource: statement.Resource },
  entries: entriesOf(statement.Condition),
});

/**
 * organizationRcp's statements, with or without a required key, accepting DSSE-KMS or not; each kept (about four times
 * in five) with zero, one or two parts changed; now and then one unrelated statement among them; at most five.
 */
const arbDocument: fc.Arbitrary<Json> = fc
  .record({ requiredKey: fc.boolean(), acceptDsseKms: fc.boolean() })
  .chain(({ requiredKey, acceptDsseKms }) => {
    const bases = organizationRcp({ requiredKeyArn: requiredKey ? REQUIRED.arn : undefined, acceptDsseKms }).Statement.map(partsOf);
    return fc.tuple(
      fc.tuple(...bases.map((parts) => fc.tuple(fc.nat(99), arbVaried(parts)).map(([roll, varied]) => (roll < 78 ? [varied] : [])))),
      fc.oneof({ weight: 7, arbitrary: fc.constant<Json[]>([]) }, { weight: 3, arbitrary: fc.constantFrom(...UNRELATED).map((statement) => [statement]) }),
      fc.nat(5),
      fc.boolean(),
    );
  })
  .map(([kept, unrelated, at, singleAsObject]) => {
    const guardrails = kept.flat().map(statementOf);
    const statements = [...guardrails.slice(0, at), ...unrelated, ...guardrails.slice(at)].slice(0, 5);
    const chosen = statements.length > 0 ? statements : [UNRELATED[0] as Json];
    return { Version: '2012-10-17', Statement: singleAsObject && chosen.length === 1 ? chosen[0] : chosen };
  });

// ---------- the requests ----------

type CallerName = 'member' | 'partner' | 'stranger' | 'anonymous' | 'service';

/** Each caller's request context as AWS sets it: aws:PrincipalIsAWSService and aws:PrincipalOrgID only for callers that have them. */
const CALLERS: Readonly<Record<CallerName, { readonly principal: string; readonly context: Readonly<Record<string, string>> }>> = {
  member: { principal: `arn:aws:iam::${MEMBER_ACCOUNT}:role/Uploader`, context: { [PRINCIPAL_IS_AWS_SERVICE]: 'false', [PRINCIPAL_ORG_ID]: ORG_ID } },
  partner: { principal: `arn:aws:iam::${PARTNER_ACCOUNT}:role/Reader`, context: { [PRINCIPAL_IS_AWS_SERVICE]: 'false', [PRINCIPAL_ORG_ID]: ORG_ID } },
  stranger: { principal: `arn:aws:iam::${STRANGER_ACCOUNT}:role/Stranger`, context: { [PRINCIPAL_IS_AWS_SERVICE]: 'false' } },
  anonymous: { principal: ANONYMOUS, context: {} },
  service: { principal: 'cloudtrail.amazonaws.com', context: { [PRINCIPAL_IS_AWS_SERVICE]: 'true' } },
};

interface Probe {
  readonly caller: CallerName;
  readonly action: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly resource: string;
  readonly transport: 'HTTPS' | 'HTTP';
  readonly network: keyof typeof ADDRESS;
}

/** Buckets and objects: one the generator names, one only its `data-*` names, one nothing names. */
const BUCKETS = ['arn:aws:s3:::data-bucket', 'arn:aws:s3:::data-lake', 'arn:aws:s3:::logs'];
const OBJECTS = ['arn:aws:s3:::data-bucket/report.csv', 'arn:aws:s3:::data-lake/a', 'arn:aws:s3:::logs/AWSLogs/trail.json.gz'];

const requestOf = ({ caller, action, headers, resource, transport, network }: Probe): S3Request => ({
  principal: CALLERS[caller].principal,
  action,
  resource,
  resourceAccount: MEMBER_ACCOUNT,
  context: {
    ...CALLERS[caller].context,
    [SECURE_TRANSPORT]: transport === 'HTTPS' ? 'true' : 'false',
    ...(ADDRESS[network] === undefined ? {} : { [SOURCE_IP]: ADDRESS[network] }),
    ...headers,
  },
});

const ALLOW_S3 = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };
const identityPoliciesOf = (caller: CallerName) => (caller === 'anonymous' || caller === 'service' ? [] : [ALLOW_S3]);
/** The bucket's own policy lets everyone do everything: only the RCP can refuse. */
const bucketPolicyOf = (resource: string) => {
  const bucket = `arn:aws:s3:::${resource.slice('arn:aws:s3:::'.length).split('/')[0] ?? ''}`;
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: [bucket, `${bucket}/*`] }] };
};

/** A base request and, per dimension, the values it takes. */
interface RequestSet {
  readonly name: string;
  readonly base: Probe;
  readonly dimensions: readonly (readonly Partial<Probe>[])[];
}

const probeId = (probe: Probe): string => JSON.stringify([probe.caller, probe.action, probe.headers, probe.resource, probe.transport, probe.network]);

const dedupe = (probes: readonly Probe[]): Probe[] => {
  const seen = new Set<string>();
  return probes.filter((probe) => !seen.has(probeId(probe)) && Boolean(seen.add(probeId(probe))));
};

/** The base request and every request one dimension away from it. */
const oneAway = ({ base, dimensions }: RequestSet): Probe[] => dedupe([base, ...dimensions.flat().map((variation) => ({ ...base, ...variation }))]);

/** The whole cross product, the base and its neighbours first. */
const everyRequest = (set: RequestSet): Probe[] =>
  dedupe([
    ...oneAway(set),
    ...set.dimensions.reduce<Probe[]>((probes, values) => probes.flatMap((probe) => values.map((value) => ({ ...probe, ...value }))), [set.base]),
  ]);

const callers = (...names: CallerName[]) => names.map((caller) => ({ caller }));
const NOT_SERVICES = callers('member', 'partner', 'stranger', 'anonymous');
const NETWORKS = (Object.keys(ADDRESS) as (keyof typeof ADDRESS)[]).map((network) => ({ network }));

const putWith = (headers: Record<string, string>) => ({ action: 's3:PutObject', headers });
const AES256 = { [SSE]: 'AES256' };
const AWS_MANAGED = { [SSE]: 'aws:kms' };
const SSE_C = { [SSE_CUSTOMER_ALGORITHM]: 'AES256' };
const kmsWith = (keyId: string) => ({ [SSE]: 'aws:kms', [SSE_KMS_KEY_ID]: keyId });
const dsseWith = (keyId: string) => ({ [SSE]: 'aws:kms:dsse', [SSE_KMS_KEY_ID]: keyId });

/** Uploads with these headers over HTTPS, from every caller that is not an AWS service, to every object, from every network. */
const uploadsOf = (name: string, headers: Record<string, string>): RequestSet => ({
  name,
  base: { caller: 'member', ...putWith(headers), resource: OBJECTS[0] as string, transport: 'HTTPS', network: 'outside' },
  dimensions: [NOT_SERVICES, OBJECTS.map((resource) => ({ resource })), NETWORKS],
});

const EVERY_CALLER = callers('member', 'partner', 'stranger', 'anonymous', 'service');
/** Bucket actions: s3:CreateBucketMetadataTableConfiguration is named by no pattern but s3:*. */
const BUCKET_ACTIONS = ['s3:CreateBucketMetadataTableConfiguration', 's3:ListBucket', 's3:PutBucketPolicy'].map((action) => ({ action, headers: {} }));
/** Object operations: s3:AbortMultipartUpload is named by no pattern but s3:*; uploads with and without encryption headers. */
const OBJECT_OPERATIONS = [
  { action: 's3:AbortMultipartUpload', headers: {} },
  { action: 's3:GetObject', headers: {} },
  { action: 's3:DeleteObject', headers: {} },
  putWith({}),
  putWith(AES256),
  putWith(kmsWith(REQUIRED.arn)),
  putWith(SSE_C),
];
const TLS_TO_BUCKETS: RequestSet = {
  name: 'tls-buckets',
  base: { caller: 'member', action: 's3:CreateBucketMetadataTableConfiguration', headers: {}, resource: BUCKETS[0] as string, transport: 'HTTP', network: 'outside' },
  dimensions: [EVERY_CALLER, BUCKET_ACTIONS, BUCKETS.map((resource) => ({ resource })), NETWORKS],
};
const TLS_TO_OBJECTS: RequestSet = {
  name: 'tls-objects',
  base: { caller: 'member', action: 's3:AbortMultipartUpload', headers: {}, resource: OBJECTS[0] as string, transport: 'HTTP', network: 'outside' },
  dimensions: [EVERY_CALLER, OBJECT_OPERATIONS, OBJECTS.map((resource) => ({ resource })), NETWORKS],
};
const AES256_UPLOADS = uploadsOf('aes256', AES256);
const AWS_MANAGED_UPLOADS = uploadsOf('aws-managed', AWS_MANAGED);
const SSE_C_UPLOADS = uploadsOf('sse-c', SSE_C);
const KEY_IDS_SENT = [...new Set([...KEY_ID_VALUES.flat(), UNNAMED_KEY])] as string[];
/** Key ARNs a generated condition can name: the candidates for the required key. */
const KEY_ARN_CANDIDATES = KEY_IDS_SENT.filter((keyId) => keyId !== UNNAMED_KEY && /^arn:aws:kms:[^:]+:\d{12}:key\//.test(keyId));

// ---------- the evaluator, with its departures ----------

/**
 * Verdicts not compared as the evaluator gives them, each for a reason checked against AWS's documentation: where the
 * evaluator departs from it, and where the audit is conservative by design. Every occurrence is counted and reported.
 */
const SET_ASIDE = {
  'arn-operator-on-non-arn-key-id':
    'AWS documents ArnNotEquals/ArnNotLike as "negated matching for ARN", and a negated operator holds when the values do not match. ' +
    'The evaluator answers "no match" for the negated operators too when the request value is not an ARN (an alias name, the literal ' +
    '"arn:aws:kms:*"), so a Deny with ArnNotEquals on the key id looks as if it let those uploads through (act-security-labs/' +
    'iam-simulate#50; pinned in test/unit/prevention/oracle.test.ts). For such a request the statement is evaluated with those ' +
    'entries held true, which they are: their values are all ARNs, and a value that is not an ARN matches none of them.',
  'read-statement-by-statement':
    'rcpSemantics reads a document statement by statement, for each kind of caller it tells apart (people and roles, anonymous ' +
    'callers, AWS services): a guarantee holds when, for each kind, one statement that decides every condition denies it on every ' +
    'object (docs/AUDIT.md: one conditioned on an account, a network or a tag may spare some callers); an upload is let through ' +
    'unless a statement may refuse it where it lets the baseline upload through, excused only where one such statement denies the ' +
    'baseline to that kind on every object. The evaluator finds the claim met only by statements together: splitting the objects, ' +
    'the actions or the callers of one kind between them, or with a statement on a key the audit does not decide (the data ' +
    "perimeter's StringNotEqualsIfExists aws:PrincipalOrgID refusing the anonymous callers that a Deny with Bool, not BoolIfExists, " +
    'aws:PrincipalIsAWSService "false" spares: AWS leaves both keys out of unsigned requests). Read statement by statement in the ' +
    "same way, the evaluator's verdicts give the audit's reading: it errs towards \"not covered\".",
} as const;
type SetAsideName = keyof typeof SET_ASIDE;

const stats = { simulations: 0, statements: new Set<string>(), setAside: new Map<SetAsideName, number>(), together: 0 };
const setAside = (name: SetAsideName): void => void stats.setAside.set(name, (stats.setAside.get(name) ?? 0) + 1);

const ARN_NEGATION = /^ArnNot(Equals|Like)(IfExists)?$/;
const KEY_ID_LOWER = lower(SSE_KMS_KEY_ID);

/** The statements as the only RCP above the account: is the request explicitly denied? */
const evaluate = async (statements: readonly Json[], probe: Probe): Promise<boolean> => {
  stats.simulations += 1;
  const request = requestOf(probe);
  const { decision, explain } = await evaluateS3Request({
    rcps: [{ policies: [{ Version: '2012-10-17', Statement: statements }] }],
    identityPolicies: identityPoliciesOf(probe.caller),
    bucketPolicy: bucketPolicyOf(probe.resource),
    request,
  });
  if (decision === 'ImplicitlyDenied') throw new OracleInputError(`the request must be allowed but for the RCP: ${JSON.stringify(request)}: ${explain ?? ''}`);
  return decision === 'ExplicitlyDenied';
};

/** The statement without its ArnNotEquals/ArnNotLike entries on the key id (null when it has none). */
const withoutArnNegationsOnKeyId = (statement: Json): Json | null => {
  const condition = (statement['Condition'] ?? {}) as Record<string, Json>;
  let removed = false;
  const kept: Record<string, Json> = {};
  for (const [operator, block] of Object.entries(condition)) {
    const entries = Object.entries(block).filter(([key]) => {
      const drop = ARN_NEGATION.test(operator) && lower(key) === KEY_ID_LOWER;
      removed ||= drop;
      return !drop;
    });
    if (entries.length > 0) kept[operator] = Object.fromEntries(entries);
  }
  if (!removed) return null;
  const rest = Object.fromEntries(Object.entries(statement).filter(([field]) => field !== 'Condition'));
  return Object.keys(kept).length > 0 ? { ...rest, Condition: kept } : rest;
};

/** An ARN has six colon-separated parts: `arn:partition:service:region:account:resource`. */
const sendsNonArnKeyId = (probe: Probe): boolean => {
  const value = probe.headers[SSE_KMS_KEY_ID];
  return value !== undefined && !(value.startsWith('arn:') && value.split(':').length >= 6);
};

const verdicts = new Map<string, boolean>();

/** Does this one statement, as the only statement of the RCP, explicitly deny the request? Its known departure corrected. */
const statementDenies = async (statement: Json, asked: Probe): Promise<boolean> => {
  const statementKey = JSON.stringify(statement);
  // The network reaches a statement through aws:SourceIp alone: without it, every network is decided as the base's.
  const probe = lower(statementKey).includes(lower(SOURCE_IP)) ? asked : { ...asked, network: 'outside' as const };
  const cacheKey = `${statementKey}\n${probeId(probe)}`;
  const known = verdicts.get(cacheKey);
  if (known !== undefined) return known;
  stats.statements.add(statementKey);
  let denied = await evaluate([statement], probe);
  const corrected = sendsNonArnKeyId(probe) ? withoutArnNegationsOnKeyId(statement) : null;
  if (corrected !== null) {
    const documented = await evaluate([corrected], probe);
    if (documented !== denied) setAside('arn-operator-on-non-arn-key-id');
    denied = documented;
  }
  verdicts.set(cacheKey, denied);
  return denied;
};

const statementsOf = (document: Json): Json[] => [document['Statement']].flat() as Json[];

/** The number of the first statement that denies the request, or 0. */
const denyingStatement = async (statements: readonly Json[], probe: Probe): Promise<number> => {
  for (const [index, statement] of statements.entries()) if (await statementDenies(statement, probe)) return index + 1;
  return 0;
};

interface Verdict {
  readonly holds: boolean;
  /** How the claim is met, or the request that breaks it. */
  readonly detail: string;
}

/** Does the document deny every request of the set? Some statement alone (the product argument), or else the cross product walked. */
const deniesEvery = async (statements: readonly Json[], set: RequestSet): Promise<Verdict> => {
  const neighbours = oneAway(set);
  for (const [index, statement] of statements.entries()) {
    let every = true;
    for (const probe of neighbours) if (!(every = await statementDenies(statement, probe))) break;
    if (every) return { holds: true, detail: `statement ${index + 1} denies every ${set.name} request` };
  }
  for (const probe of everyRequest(set)) {
    if ((await denyingStatement(statements, probe)) > 0) continue;
    if (await evaluate(statements, probe)) throw new Error(`the document denies what none of its statements denies: ${probeId(probe)}`);
    return { holds: false, detail: `lets through ${probeId(probe)}` };
  }
  stats.together += 1;
  return { holds: true, detail: `its statements together deny every ${set.name} request` };
};

/** Does the document let the uploads of the set through, against the baseline headers (see the predicates above)? The cross product walked. */
const letsThrough = async (statements: readonly Json[], set: RequestSet, baseline: Readonly<Record<string, string>>): Promise<Verdict> => {
  let passes = false;
  for (const probe of everyRequest(set)) {
    const denying = await denyingStatement(statements, probe);
    passes ||= denying === 0;
    if (denying === 0 || (await denyingStatement(statements, { ...probe, headers: baseline })) > 0) continue;
    return { holds: false, detail: `statement ${denying} denies ${probeId(probe)}, and not with ${JSON.stringify(baseline)}` };
  }
  return passes ? { holds: true, detail: `lets ${set.name} uploads through` } : { holds: false, detail: `denies every ${set.name} upload` };
};

const requiredKeyOf = async (statements: readonly Json[]): Promise<Verdict & { readonly key?: string }> => {
  const notes: string[] = [];
  for (const key of KEY_ARN_CANDIDATES) {
    let othersDenied = true;
    // The key never named first: most documents let it through, and then no key is required.
    for (const other of [UNNAMED_KEY, ...KEY_IDS_SENT.filter((keyId) => keyId !== key && keyId !== UNNAMED_KEY)]) {
      const denied = await deniesEvery(statements, uploadsOf(`kms ${other}`, kmsWith(other)));
      if (denied.holds) continue;
      othersDenied = false;
      notes.push(`${key}: ${denied.detail}`);
      break;
    }
    if (!othersDenied) continue;
    const passes = await letsThrough(statements, uploadsOf(`kms ${key}`, kmsWith(key)), {});
    if (passes.holds) return { holds: true, key, detail: `${key}: let through, every other key denied` };
    notes.push(`${key}: ${passes.detail}`);
  }
  return { holds: false, detail: notes.join(' | ') };
};

type Flag = 'tlsOnly' | 'kmsRequired' | 'awsManagedKeyDenied' | 'sseCDenied' | 'requiredKey' | 'dsseKmsAccepted';
const FLAGS: readonly Flag[] = ['tlsOnly', 'kmsRequired', 'awsManagedKeyDenied', 'sseCDenied', 'requiredKey', 'dsseKmsAccepted'];

interface OracleReading {
  readonly semantics: RcpSemantics;
  readonly verdicts: Readonly<Record<Flag, Verdict>>;
}

const oracleReading = async (statements: readonly Json[]): Promise<OracleReading> => {
  const tlsToBuckets = await deniesEvery(statements, TLS_TO_BUCKETS);
  const tlsOnly = tlsToBuckets.holds ? await deniesEvery(statements, TLS_TO_OBJECTS) : tlsToBuckets;
  const kmsRequired = await deniesEvery(statements, AES256_UPLOADS);
  const awsManagedKeyDenied = await deniesEvery(statements, AWS_MANAGED_UPLOADS);
  const sseCDenied = await deniesEvery(statements, SSE_C_UPLOADS);
  const requiredKey = await requiredKeyOf(statements);
  const dsseKey = requiredKey.key ?? UNNAMED_KEY;
  const dsseKmsAccepted = kmsRequired.holds
    ? await letsThrough(statements, uploadsOf('dsse', dsseWith(dsseKey)), kmsWith(dsseKey))
    : { holds: false, detail: 'kmsRequired does not hold' };
  return {
    semantics: {
      tlsOnly: tlsOnly.holds,
      kmsRequired: kmsRequired.holds,
      dsseKmsAccepted: dsseKmsAccepted.holds,
      awsManagedKeyDenied: awsManagedKeyDenied.holds,
      sseCDenied: sseCDenied.holds,
      ...(requiredKey.key !== undefined ? { requiredKey: requiredKey.key } : {}),
    },
    verdicts: { tlsOnly, kmsRequired, awsManagedKeyDenied, sseCDenied, requiredKey, dsseKmsAccepted },
  };
};

/** Keys rcpSemantics decides: the transport, the AWS-services exception, the encryption headers. */
const DECIDED_KEYS = new Set([SECURE_TRANSPORT, PRINCIPAL_IS_AWS_SERVICE, SSE, SSE_KMS_KEY_ID, SSE_CUSTOMER_ALGORITHM].map(lower));
const decidesEveryCondition = (statement: Json): boolean =>
  Object.values((statement['Condition'] ?? {}) as Record<string, Json>).every((block) => Object.keys(block).every((key) => DECIDED_KEYS.has(lower(key))));

/** The kinds of caller rcpSemantics tells apart, by aws:PrincipalIsAWSService: people and roles, anonymous callers, AWS services. */
const KINDS: readonly (readonly CallerName[])[] = [['member', 'partner', 'stranger'], ['anonymous'], ['service']];

/** The set's requests from one kind of caller, or undefined when the set has none. */
const fromKind = (set: RequestSet, kind: readonly CallerName[]): RequestSet | undefined => {
  const dimensions = set.dimensions.map((values) => values.filter((value) => value.caller === undefined || kind.includes(value.caller)));
  const caller = dimensions.flat().find((value) => value.caller !== undefined)?.caller;
  return caller === undefined ? undefined : { name: `${set.name} from ${kind.join(', ')}`, base: { ...set.base, caller }, dimensions };
};

const withHeaders = (set: RequestSet, headers: Readonly<Record<string, string>>): RequestSet => ({
  name: `${set.name} with ${JSON.stringify(headers)}`,
  base: { ...set.base, headers },
  dimensions: set.dimensions,
});

/** One statement that decides every condition denies every request of the set (the product argument). */
const oneDecidedStatementDenies = async (statements: readonly Json[], set: RequestSet): Promise<boolean> => {
  const neighbours = oneAway(set);
  for (const statement of statements.filter(decidesEveryCondition)) {
    let every = true;
    for (const probe of neighbours) if (!(every = await statementDenies(statement, probe))) break;
    if (every) return true;
  }
  return false;
};

/**
 * The evaluator's verdicts read statement by statement for each kind of caller, as rcpSemantics reads a document (see
 * 'read-statement-by-statement'): computed only where the two readings disagree, to tell that design from a fault.
 */
const byStatement = {
  denies: async (statements: readonly Json[], set: RequestSet): Promise<boolean> => {
    for (const kind of KINDS) {
      const part = fromKind(set, kind);
      if (part !== undefined && !(await oneDecidedStatementDenies(statements, part))) return false;
    }
    return true;
  },
  letsThrough: async (statements: readonly Json[], set: RequestSet, baseline: Readonly<Record<string, string>>): Promise<boolean> => {
    if (await byStatement.denies(statements, set)) return false;
    for (const probe of everyRequest(set)) {
      for (const statement of statements) {
        if (!(await statementDenies(statement, probe)) || (await statementDenies(statement, { ...probe, headers: baseline }))) continue;
        const kind = KINDS.find((callers) => callers.includes(probe.caller)) ?? [];
        const part = fromKind(withHeaders(set, baseline), kind);
        if (part === undefined || !(await oneDecidedStatementDenies(statements, part))) return false;
      }
    }
    return true;
  },
};

const readingByStatement = async (statements: readonly Json[], flag: Flag): Promise<unknown> => {
  const requiredKey = async (): Promise<string | undefined> => {
    for (const key of KEY_ARN_CANDIDATES) {
      let othersDenied = true;
      for (const other of KEY_IDS_SENT.filter((keyId) => keyId !== key)) {
        if (!(othersDenied = await byStatement.denies(statements, uploadsOf(`kms ${other}`, kmsWith(other))))) break;
      }
      if (othersDenied && (await byStatement.letsThrough(statements, uploadsOf(`kms ${key}`, kmsWith(key)), {}))) return key;
    }
    return undefined;
  };
  switch (flag) {
    case 'tlsOnly':
      return (await byStatement.denies(statements, TLS_TO_BUCKETS)) && (await byStatement.denies(statements, TLS_TO_OBJECTS));
    case 'kmsRequired':
      return byStatement.denies(statements, AES256_UPLOADS);
    case 'awsManagedKeyDenied':
      return byStatement.denies(statements, AWS_MANAGED_UPLOADS);
    case 'sseCDenied':
      return byStatement.denies(statements, SSE_C_UPLOADS);
    case 'requiredKey':
      return requiredKey();
    case 'dsseKmsAccepted': {
      const key = (await requiredKey()) ?? UNNAMED_KEY;
      return byStatement.letsThrough(statements, uploadsOf('dsse', dsseWith(key)), kmsWith(key));
    }
  }
};

/** Ours denies or lets through less than the evaluator finds, and the evaluator read statement by statement agrees with ours. */
const readStatementByStatement = async (statements: readonly Json[], flag: Flag, ours: unknown, theirs: unknown): Promise<boolean> => {
  const conservative = (ours === false || ours === undefined) && theirs !== false && theirs !== undefined;
  return conservative && (await readingByStatement(statements, flag)) === ours;
};

/** Every request of every set is allowed without the RCP: only the RCP can deny it. */
const everyProbe = (): Probe[] =>
  dedupe(
    [
      TLS_TO_BUCKETS,
      TLS_TO_OBJECTS,
      uploadsOf('plain', {}),
      AES256_UPLOADS,
      AWS_MANAGED_UPLOADS,
      SSE_C_UPLOADS,
      uploadsOf('dsse', dsseWith(REQUIRED.arn)),
      uploadsOf('dsse', dsseWith(UNNAMED_KEY)),
      ...KEY_IDS_SENT.map((keyId) => uploadsOf(keyId, kmsWith(keyId))),
    ].flatMap(everyRequest),
  );

// ---------- the comparison ----------

interface Disagreement {
  readonly flag: Flag;
  readonly ours: unknown;
  readonly evaluator: unknown;
  readonly detail: string;
  readonly document: string;
}

describe('the audit agrees with an independent IAM evaluator on generated Resource Control Policies', () => {
  it(`${NUM_RUNS.toLocaleString('en')} RCPs: tlsOnly, kmsRequired, awsManagedKeyDenied, sseCDenied, requiredKey and dsseKmsAccepted`, { timeout: 300_000 }, async () => {
    for (const probe of everyProbe()) {
      const { decision } = await evaluateS3Request({ identityPolicies: identityPoliciesOf(probe.caller), bucketPolicy: bucketPolicyOf(probe.resource), request: requestOf(probe) });
      expect({ probe: probeId(probe), decision }).toEqual({ probe: probeId(probe), decision: 'Allowed' });
    }

    const disagreements: Disagreement[] = [];
    const tally = Object.fromEntries(FLAGS.map((flag) => [flag, { ours: 0, evaluator: 0, compared: 0 }])) as Record<Flag, { ours: number; evaluator: number; compared: number }>;
    let documents = 0;
    const started = Date.now();

    await fc.assert(
      fc.asyncProperty(arbDocument, async (document) => {
        documents += 1;
        const text = JSON.stringify(document);
        const statements = statementsOf(document);
        const ours = rcpSemantics(text);
        const oracle = await oracleReading(statements);
        for (const flag of FLAGS) {
          if (flag === 'dsseKmsAccepted' && !(ours.kmsRequired && oracle.semantics.kmsRequired)) continue;
          const [mine, theirs, verdict] = [ours[flag], oracle.semantics[flag], oracle.verdicts[flag]];
          const count = tally[flag];
          count.compared += 1;
          count.ours += mine === undefined || mine === false ? 0 : 1;
          count.evaluator += theirs === undefined || theirs === false ? 0 : 1;
          if (mine === theirs) continue;
          if (await readStatementByStatement(statements, flag, mine, theirs)) setAside('read-statement-by-statement');
          else disagreements.push({ flag, ours: mine ?? null, evaluator: theirs ?? null, detail: verdict.detail, document: text });
        }
      }),
      { numRuns: NUM_RUNS, seed: TEST_SEED.seed, endOnFailure: true },
    );

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const counts = FLAGS.map((flag) => `${flag} ${tally[flag].ours} / ${tally[flag].evaluator}${flag === 'dsseKmsAccepted' ? ` (of ${tally[flag].compared})` : ''}`).join(', ');
    const setAsideCounts = [...stats.setAside].map(([name, count]) => `${name} ×${count}`).join(', ') || 'none';
    const reasons = [...stats.setAside.keys()].map((name) => `  set aside, ${name}: ${SET_ASIDE[name]}\n`).join('');
    process.stdout.write(
      `rcp differential: ${documents} RCPs (${stats.statements.size} distinct statements) in ${seconds} s, ${stats.simulations} evaluator calls; ` +
        `true in ours / the evaluator's reading: ${counts}; met only by statements together: ${stats.together}; set aside: ${setAsideCounts}; ` +
        `disagreements: ${disagreements.length}\n${reasons}`,
    );
    for (const disagreement of disagreements.slice(0, 40)) process.stdout.write(`${JSON.stringify(disagreement)}\n`);

    expect(documents).toBe(NUM_RUNS);
    // Both sides of each flag are exercised: true in more than a tenth of the documents compared, and in less than nine tenths.
    for (const flag of FLAGS) {
      const { evaluator, compared } = tally[flag];
      expect({ flag, exercised: evaluator > compared / 10 && evaluator < compared - compared / 10 }).toEqual({ flag, exercised: true });
    }
    expect(disagreements).toEqual([]);
  });

  it('keeps to what an RCP can hold: the evaluator refuses, as AWS Organizations does, an Allow, Principal {"AWS": "*"}, NotAction and Action "*"', async () => {
    const tls = organizationRcp({ acceptDsseKms: false }).Statement[0] as unknown as Json;
    const withoutAction = Object.fromEntries(Object.entries(tls).filter(([field]) => field !== 'Action'));
    const refused = [{ ...tls, Effect: 'Allow' }, { ...tls, Principal: { AWS: '*' } }, { ...withoutAction, NotAction: 's3:GetObject' }, { ...tls, Action: '*' }];
    for (const statement of refused) await expect(evaluate([statement], TLS_TO_BUCKETS.base)).rejects.toThrow(OracleInputError);
    expect(await evaluate([tls], TLS_TO_BUCKETS.base)).toBe(true);
  });
});
