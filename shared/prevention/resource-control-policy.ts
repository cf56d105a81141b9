import { globMatchesEveryExtension, globMatchesSomeExtension } from '../audit/glob.js';
import { appliesToAction, appliesToEveryActionOf, appliesToEveryone, appliesToEveryResourceUnder, parsePolicyDocument, type PatternSet, type PolicyStatement } from '../audit/iam-policy.js';
import { SSE_ALGORITHM } from '../core/encryption-state.js';
import { isKeyArn } from '../core/key-reference.js';
import {
  CONDITION_KEY,
  encryptionDenyStatements,
  insecureTransportDenyStatement,
  SPARE_AWS_SERVICES,
  sseCDenyStatement,
  type GuardrailStatement,
} from './guardrail-statements.js';
import { conditionsMatch, type RequestShape } from '../audit/request-match.js';

/**
 * The organization's Resource Control Policy: the bucket guardrails' semantics for every S3 bucket
 * of every member account the RCP is attached above, whoever the caller (RCPs never apply to the
 * management account's resources, nor to service-linked roles).
 *
 * RCP syntax: Effect Deny only, Principal "*" (no NotPrincipal), conditions to narrow; at most 5,120
 * characters, white space included. Resource "*": PutObject only ever names objects, and "*" holds
 * in every partition.
 *
 * AWS service principals are spared by the encryption Denies (`BoolIfExists aws:PrincipalIsAWSService
 * false`), as AWS's RCP guidance does for controls that a service's own behaviour cannot meet:
 * services that deliver to S3 under their own service principal (CloudTrail, AWS Config, ELB and
 * S3 server access logs, …) choose their encryption headers from their own configuration, and an
 * organization-wide Deny would silently stop their delivery in every account. What they write is
 * still seen by the enforcer and the audit. `IfExists`: a request without the key (an anonymous one)
 * stays denied. TLS is not relaxed for them: services call S3 over HTTPS.
 */
export interface RcpOptions {
  /** Without it, the key-id Deny is left out: SSE-KMS under any customer key is accepted. */
  readonly requiredKeyArn?: string | undefined;
  readonly acceptDsseKms: boolean;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly GuardrailStatement[];
}

/** AWS Organizations' limit on an RCP document, counted in characters, white space included. */
export const RCP_MAX_CHARACTERS = 5120;


/** The document as `enforcer prevention rcp` prints it (and as its size is counted). */
export const rcpText = (document: PolicyDocument): string => JSON.stringify(document, null, 2);

/**
 * TLS only; SSE-KMS required when encryption is asked for (DSSE-KMS too when accepted); not the
 * AWS-managed aws/s3 key; with `requiredKeyArn`, no other key; no SSE-C. Uploads without
 * encryption headers pass, as in the bucket guardrails. Throws on a required key that is not a key
 * ARN (the key-id header is compared as sent).
 */
export const organizationRcp = ({ requiredKeyArn, acceptDsseKms }: RcpOptions): PolicyDocument => {
  const document: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [
      insecureTransportDenyStatement('*'),
      ...encryptionDenyStatements({ resource: '*', requiredKeyArn, acceptDsseKms, alsoWhen: SPARE_AWS_SERVICES }),
      sseCDenyStatement('*'),
    ],
  };
  const size = rcpText(document).length;
  if (size > RCP_MAX_CHARACTERS) throw new RangeError(`the RCP would be ${size} characters, over the ${RCP_MAX_CHARACTERS} AWS Organizations allows`);
  return document;
};

/** What an RCP enforces in one partition: for every caller but AWS services, TLS for every caller. */
export interface RcpSemantics {
  /** Every S3 action on every bucket and object is denied over HTTP, AWS services' requests included. */
  readonly tlsOnly: boolean;
  /** An upload asking for an encryption other than SSE-KMS (AES256) is denied. */
  readonly kmsRequired: boolean;
  /** With kmsRequired: DSSE-KMS is let through wherever SSE-KMS under the same key is. */
  readonly dsseKmsAccepted: boolean;
  /** An upload asking for aws:kms without a key id (the aws/s3 key) is denied. */
  readonly awsManagedKeyDenied: boolean;
  /** An upload with a customer-provided key is denied. */
  readonly sseCDenied: boolean;
  /** The one key ARN uploads may name (others denied), when the RCP has one. */
  readonly requiredKey?: string;
}

const NO_SEMANTICS: RcpSemantics = { tlsOnly: false, kmsRequired: false, dsseKmsAccepted: false, awsManagedKeyDenied: false, sseCDenied: false };

// The resources name every object of every bucket: `*`, `arn:P:s3:::*`, `arn:P:s3:::*/*`, …
const coversEveryObject = (resources: PatternSet | undefined, prefix: string): boolean => {
  if (!resources) return false;
  if (resources.negated) return !resources.patterns.some((pattern) => globMatchesSomeExtension(pattern, prefix));
  return resources.patterns.some(
    (pattern) => globMatchesEveryExtension(pattern, prefix) || (pattern.endsWith('/*') && globMatchesEveryExtension(pattern.slice(0, -2), prefix)),
  );
};

const denyForEveryone = (statement: PolicyStatement): boolean => statement.effect === 'Deny' && appliesToEveryone(statement.principal);

interface Upload {
  readonly encryption?: string;
  readonly keyId?: string;
  readonly customerAlgorithm?: string;
}

// The resources may name some object of the partition's buckets: a pattern that can run on past a bucket name and a slash.
const reachesSomeObject = (resources: PatternSet | undefined, prefix: string): boolean => {
  if (!resources) return false;
  if (resources.negated) return !coversEveryObject({ negated: false, patterns: resources.patterns }, prefix);
  return resources.patterns.some((pattern) => globMatchesSomeExtension(pattern, prefix) && (/[*?]/.test(pattern) || pattern.slice(prefix.length).includes('/')));
};

const present = (value: string | undefined): readonly string[] | null => (value === undefined ? null : [value]);

/**
 * Callers as the request context tells them apart: a person or role (aws:PrincipalIsAWSService "false"), an
 * anonymous caller (AWS leaves the key out of unsigned requests, so `Bool` on it does not match them; `BoolIfExists`
 * does) and an AWS service principal ("true"). The encryption guarantees are for every caller but AWS services; TLS
 * is for every caller.
 */
const CALLERS = { signed: ['false'], anonymous: null, service: ['true'] } as const;
type Caller = keyof typeof CALLERS;
const NOT_SERVICES: readonly Caller[] = ['signed', 'anonymous'];
const EVERY_CALLER: readonly Caller[] = ['signed', 'anonymous', 'service'];

/** A caller uploading over HTTPS with exactly these headers. */
const uploadShape = (objectArn: string, upload: Upload, caller: Caller): RequestShape => ({
  action: 's3:PutObject',
  resource: objectArn,
  context: {
    [CONDITION_KEY.secureTransport.toLowerCase()]: ['true'],
    [CONDITION_KEY.principalIsAwsService.toLowerCase()]: CALLERS[caller],
    [CONDITION_KEY.encryption]: present(upload.encryption),
    [CONDITION_KEY.kmsKeyId]: present(upload.keyId),
    [CONDITION_KEY.customerAlgorithm]: present(upload.customerAlgorithm),
  },
});

/**
 * Which of the guardrails' semantics the RCP document provides in `partition`, probing it with the
 * requests each one must refuse, the way IAM evaluates them. Only a Deny for Principal "*" counts,
 * and only one whose every condition is decided: a condition on any other key (an account, a
 * network, a tag) may spare some callers, so that statement proves nothing. The exception for AWS
 * service principals is understood. A document that cannot be read provides nothing.
 *
 * What is let through (the required key, DSSE-KMS) is proven the other way round: no Deny that may
 * apply to some object, however it is conditioned, may refuse the upload where it lets a baseline
 * upload from the same caller through (for the required key, one without encryption headers; for
 * DSSE-KMS, SSE-KMS under the same key). A Deny of every upload from outside the organization is no
 * refusal of a key.
 */
export const rcpSemantics = (document: string | unknown, partition = 'aws'): RcpSemantics => {
  const parsed = parsePolicyDocument(document);
  if (!parsed.ok) return NO_SEMANTICS;
  const prefix = `arn:${partition}:s3:::`;
  const objectArn = `${prefix}any-bucket/any-key`;

  const putDenies = parsed.statements.filter(
    (statement) => denyForEveryone(statement) && appliesToAction(statement.actions, 's3:PutObject') && reachesSomeObject(statement.resources, prefix),
  );
  const uploadDenies = putDenies.filter((statement) => coversEveryObject(statement.resources, prefix));
  const match = (statement: PolicyStatement, upload: Upload, caller: Caller) => conditionsMatch(statement.conditions, uploadShape(objectArn, upload, caller));
  // Denied to the caller on every object by one statement.
  const deniedTo = (caller: Caller, upload: Upload): boolean => uploadDenies.some((statement) => match(statement, upload, caller) === 'yes');
  const denied = (upload: Upload): boolean => NOT_SERVICES.every((caller) => deniedTo(caller, upload));
  // A statement's undecided conditions read the same request for the upload and the baseline: only the headers tell
  // them apart. No refusal where the baseline is denied to the caller everywhere anyway.
  const refusedForItsHeaders = (upload: Upload, baseline: Upload): boolean =>
    NOT_SERVICES.some(
      (caller) => !deniedTo(caller, baseline) && putDenies.some((statement) => match(statement, upload, caller) !== 'no' && match(statement, baseline, caller) === 'no'),
    );
  const letThrough = (upload: Upload, baseline: Upload): boolean => !denied(upload) && !refusedForItsHeaders(upload, baseline);

  const overHttp = (caller: Caller): RequestShape => ({
    action: 's3:GetObject',
    resource: objectArn,
    context: { [CONDITION_KEY.secureTransport.toLowerCase()]: ['false'], [CONDITION_KEY.principalIsAwsService.toLowerCase()]: CALLERS[caller] },
  });
  const tlsDenies = parsed.statements.filter(
    (statement) => denyForEveryone(statement) && appliesToEveryActionOf(statement.actions, 's3:') && appliesToEveryResourceUnder(statement.resources, prefix),
  );
  const tlsOnly = EVERY_CALLER.every((caller) => tlsDenies.some((statement) => conditionsMatch(statement.conditions, overHttp(caller)) === 'yes'));

  const otherKey = (key: string): string => {
    const candidates = [`arn:${partition}:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000`, `arn:${partition}:kms:us-east-1:000000000001:key/00000000-0000-0000-0000-000000000001`];
    return candidates.find((candidate) => candidate !== key) as string;
  };
  const keyCandidates = [
    ...new Set(uploadDenies.flatMap((statement) => statement.conditions.filter((entry) => entry.key === CONDITION_KEY.kmsKeyId).flatMap((entry) => entry.values))),
  ];
  const kmsWith = (keyId: string): Upload => ({ encryption: SSE_ALGORITHM.kms, keyId });
  // A key ARN, let through, and every other key id the document names denied, as well as one it does not name.
  const requiredKey = keyCandidates
    .filter(isKeyArn)
    .find((key) => letThrough(kmsWith(key), {}) && [otherKey(key), ...keyCandidates.filter((other) => other !== key)].every((other) => denied(kmsWith(other))));

  const kmsRequired = denied({ encryption: SSE_ALGORITHM.s3 });
  const dsseKey = requiredKey ?? otherKey('');
  return {
    tlsOnly,
    kmsRequired,
    dsseKmsAccepted: kmsRequired && letThrough({ encryption: SSE_ALGORITHM.dsseKms, keyId: dsseKey }, kmsWith(dsseKey)),
    awsManagedKeyDenied: denied({ encryption: SSE_ALGORITHM.kms }),
    sseCDenied: denied({ customerAlgorithm: 'AES256' }),
    ...(requiredKey !== undefined ? { requiredKey } : {}),
  };
};
