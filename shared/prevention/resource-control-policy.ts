import { globMatchesEveryExtension, globMatchesSomeExtension } from '../audit/glob.js';
import { appliesToAction, appliesToEveryActionOf, appliesToEveryone, appliesToEveryResourceUnder, parsePolicyDocument, type PatternSet, type PolicyStatement } from '../audit/iam-policy.js';
import { SSE_ALGORITHM } from '../core/encryption-state.js';
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

/** What an RCP enforces, for a caller that is not an AWS service, in one partition. */
export interface RcpSemantics {
  /** Every S3 action on every bucket and object is denied over HTTP. */
  readonly tlsOnly: boolean;
  /** An upload asking for an encryption other than SSE-KMS (AES256) is denied. */
  readonly kmsRequired: boolean;
  /** With kmsRequired: DSSE-KMS is let through. */
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

const present = (value: string | undefined): readonly string[] | null => (value === undefined ? null : [value]);

/** A person or role (not an AWS service) uploading over HTTPS with exactly these headers. */
const uploadShape = (objectArn: string, upload: Upload): RequestShape => ({
  action: 's3:PutObject',
  resource: objectArn,
  context: {
    [CONDITION_KEY.secureTransport.toLowerCase()]: ['true'],
    [CONDITION_KEY.principalIsAwsService.toLowerCase()]: ['false'],
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
 */
export const rcpSemantics = (document: string | unknown, partition = 'aws'): RcpSemantics => {
  const parsed = parsePolicyDocument(document);
  if (!parsed.ok) return NO_SEMANTICS;
  const prefix = `arn:${partition}:s3:::`;
  const objectArn = `${prefix}any-bucket/any-key`;

  const uploadDenies = parsed.statements.filter(
    (statement) => denyForEveryone(statement) && appliesToAction(statement.actions, 's3:PutObject') && coversEveryObject(statement.resources, prefix),
  );
  const denied = (upload: Upload): boolean => uploadDenies.some((statement) => conditionsMatch(statement.conditions, uploadShape(objectArn, upload)) === 'yes');

  const overHttp: RequestShape = {
    action: 's3:GetObject',
    resource: objectArn,
    context: { [CONDITION_KEY.secureTransport.toLowerCase()]: ['false'], [CONDITION_KEY.principalIsAwsService.toLowerCase()]: ['false'] },
  };
  const tlsOnly = parsed.statements.some(
    (statement) =>
      denyForEveryone(statement) &&
      appliesToEveryActionOf(statement.actions, 's3:') &&
      appliesToEveryResourceUnder(statement.resources, prefix) &&
      conditionsMatch(statement.conditions, overHttp) === 'yes',
  );

  const otherKey = (key: string): string => {
    const candidates = [`arn:${partition}:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000`, `arn:${partition}:kms:us-east-1:000000000001:key/00000000-0000-0000-0000-000000000001`];
    return candidates.find((candidate) => candidate !== key) as string;
  };
  const keyCandidates = [
    ...new Set(uploadDenies.flatMap((statement) => statement.conditions.filter((entry) => entry.key === CONDITION_KEY.kmsKeyId).flatMap((entry) => entry.values))),
  ];
  const requiredKey = keyCandidates.find(
    (key) => !denied({ encryption: SSE_ALGORITHM.kms, keyId: key }) && denied({ encryption: SSE_ALGORITHM.kms, keyId: otherKey(key) }),
  );

  const kmsRequired = denied({ encryption: SSE_ALGORITHM.s3 });
  return {
    tlsOnly,
    kmsRequired,
    dsseKmsAccepted: kmsRequired && !denied({ encryption: SSE_ALGORITHM.dsseKms, keyId: requiredKey ?? otherKey('') }),
    awsManagedKeyDenied: denied({ encryption: SSE_ALGORITHM.kms }),
    sseCDenied: denied({ customerAlgorithm: 'AES256' }),
    ...(requiredKey !== undefined ? { requiredKey } : {}),
  };
};
