import { isKeyArn } from '../core/key-reference.js';
import { SSE_ALGORITHM } from '../core/encryption-state.js';

/**
 * The bucket-policy statements that stop non-compliant uploads before they land. Pure: documents
 * only, no AWS call.
 *
 * Every condition on an encryption header is evaluated on what the request sends, before the
 * bucket default applies. So each Deny pairs its comparison with a `Null` test that makes it apply
 * only when the header is present: an upload that sends no encryption headers passes, and the
 * bucket default (SSE-KMS under the required key) encrypts it.
 *
 * Never `StringNotEqualsIfExists` (nor a bare `StringNotEquals`) on these headers: IAM evaluates an
 * absent key as a match for `…IfExists` and for every negated operator, so such a Deny also refuses
 * every header-less upload, which is most of them (SDKs send no encryption headers by default), and
 * every UploadPart and CompleteMultipartUpload, which S3 authorises as s3:PutObject and which never
 * carry the headers (CreateMultipartUpload does, and is judged by them).
 */

/** Every guardrail Sid starts with this, so a reader (and the audit) can tell them from the owner's. */
export const GUARDRAIL_SID_PREFIX = 'Enforcer';

export const GUARDRAIL_SID = {
  nonKmsEncryption: 'EnforcerDenyNonKmsEncryption',
  awsManagedKey: 'EnforcerDenyAwsManagedKey',
  otherKmsKeys: 'EnforcerDenyOtherKmsKeys',
  insecureTransport: 'EnforcerDenyInsecureTransport',
  sseC: 'EnforcerDenySseC',
} as const;

export type Sid = string;

/** Condition keys as IAM spells them (IAM compares condition keys case-insensitively). */
export const CONDITION_KEY = {
  encryption: 's3:x-amz-server-side-encryption',
  kmsKeyId: 's3:x-amz-server-side-encryption-aws-kms-key-id',
  customerAlgorithm: 's3:x-amz-server-side-encryption-customer-algorithm',
  secureTransport: 'aws:SecureTransport',
  principalIsAwsService: 'aws:PrincipalIsAWSService',
} as const;

export type ConditionValue = string | readonly string[];
/** `{ Operator: { conditionKey: value | [values] } }` */
export type ConditionBlock = Readonly<Record<string, Readonly<Record<string, ConditionValue>>>>;

/**
 * ANDed into the encryption Denies: they do not apply to AWS service principals. Services that
 * deliver into buckets under their own principal (CloudTrail, AWS Config, S3 server access logs, load
 * balancer logs, …) choose their encryption headers from their own configuration (CloudTrail names its
 * trail's key, not the bucket's); a Deny would silently stop their delivery. What they write is still
 * seen by the enforcer, which brings it under the required key, and by the audit. `IfExists`: a
 * request without the key (an anonymous one) stays denied. TLS is never relaxed: services call S3
 * over HTTPS.
 */
export const SPARE_AWS_SERVICES: ConditionBlock = { BoolIfExists: { [CONDITION_KEY.principalIsAwsService]: 'false' } };

/** A Deny for every principal, as the guardrails and the organization's RCP write them. */
export interface GuardrailStatement {
  readonly Sid: Sid;
  readonly Effect: 'Deny';
  readonly Principal: '*';
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition: ConditionBlock;
}

export interface BucketTarget {
  readonly bucket: string;
  /** `aws`, `aws-cn`, `aws-us-gov`, … (from the bucket's region: never assumed). */
  readonly partition: string;
}

export interface WrongKeyGuardrailOptions extends BucketTarget {
  /** The key ARN uploads must name: compared as sent, so it must be the full key ARN. */
  readonly requiredKeyArn: string;
  /** DSSE-KMS under the required key is accepted as well as SSE-KMS. */
  readonly acceptDsseKms: boolean;
}

/** What the audit's finding tells uploaders: the one rule the key-id condition imposes on them. */
export const WRONG_KEY_REMEDIATION =
  'Uploads that send no encryption headers are accepted, and the bucket default encrypts them. An upload that asks for ' +
  'encryption must send x-amz-server-side-encryption aws:kms (or aws:kms:dsse where DSSE-KMS is accepted) with ' +
  'x-amz-server-side-encryption-aws-kms-key-id set to the full ARN of the required key ' +
  '(arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID): the bucket policy compares the header as sent, so an alias, an alias ARN ' +
  'or a bare key id is refused, and so are AES256 and aws:kms without a key id (the AWS-managed aws/s3 key).';

export const bucketArn = ({ bucket, partition }: BucketTarget): string => `arn:${partition}:s3:::${bucket}`;

/** The encryption values an upload may name: SSE-KMS, and DSSE-KMS when accepted. */
export const acceptedAlgorithms = (acceptDsseKms: boolean): ConditionValue =>
  acceptDsseKms ? [SSE_ALGORITHM.kms, SSE_ALGORITHM.dsseKms] : SSE_ALGORITHM.kms;

/** Both blocks at once: the same operator's keys are combined, never overwritten. */
const andConditions = (first: ConditionBlock, second: ConditionBlock): ConditionBlock => {
  const combined: Record<string, Readonly<Record<string, ConditionValue>>> = { ...first };
  for (const [operator, keys] of Object.entries(second)) combined[operator] = { ...combined[operator], ...keys };
  return combined;
};

/**
 * The Denies of `s3:PutObject` (which also authorises CopyObject and CreateMultipartUpload) on
 * `resource`, for any principal, when the request:
 * - names an encryption other than `aws:kms` (or `aws:kms:dsse` when accepted): AES256, for one;
 * - names `aws:kms` (or an accepted `aws:kms:dsse`) without a key id, which means the AWS-managed
 *   `aws/s3` key;
 * - with `requiredKeyArn`, names a key id other than it.
 * `alsoWhen` is ANDed into each (the RCP uses it to spare AWS service principals).
 */
export const encryptionDenyStatements = ({
  resource,
  requiredKeyArn,
  acceptDsseKms,
  alsoWhen = {},
}: {
  readonly resource: string | readonly string[];
  readonly requiredKeyArn?: string | undefined;
  readonly acceptDsseKms: boolean;
  readonly alsoWhen?: ConditionBlock;
}): GuardrailStatement[] => {
  if (requiredKeyArn !== undefined && !isKeyArn(requiredKeyArn)) throw new TypeError(`the required key must be a KMS key ARN, not "${requiredKeyArn}"`);
  const accepted = acceptedAlgorithms(acceptDsseKms);
  const deny = (Sid: Sid, Condition: ConditionBlock): GuardrailStatement => ({
    Sid,
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:PutObject',
    Resource: resource,
    Condition: andConditions(Condition, alsoWhen),
  });
  return [
    deny(GUARDRAIL_SID.nonKmsEncryption, {
      StringNotEquals: { [CONDITION_KEY.encryption]: accepted },
      // Only when the header is sent: without it the bucket default applies.
      Null: { [CONDITION_KEY.encryption]: 'false' },
    }),
    deny(GUARDRAIL_SID.awsManagedKey, {
      StringEquals: { [CONDITION_KEY.encryption]: accepted },
      Null: { [CONDITION_KEY.kmsKeyId]: 'true' },
    }),
    ...(requiredKeyArn === undefined
      ? []
      : [
          deny(GUARDRAIL_SID.otherKmsKeys, {
            StringNotEquals: { [CONDITION_KEY.kmsKeyId]: requiredKeyArn },
            Null: { [CONDITION_KEY.kmsKeyId]: 'false' },
          }),
        ]),
  ];
};

/**
 * The bucket's three wrong-key Denies on every object (`arn:PARTITION:s3:::BUCKET/*`), for every
 * caller but AWS service principals (SPARE_AWS_SERVICES); see encryptionDenyStatements. An upload with no encryption headers matches none of them. The key id
 * is compared as sent: clients must send the full key ARN; an alias, an alias ARN or a bare key id
 * is refused even when it names the required key (see WRONG_KEY_REMEDIATION).
 */
export const wrongKeyDenyStatements = ({ bucket, partition, requiredKeyArn, acceptDsseKms }: WrongKeyGuardrailOptions): GuardrailStatement[] =>
  encryptionDenyStatements({ resource: `${bucketArn({ bucket, partition })}/*`, requiredKeyArn, acceptDsseKms, alsoWhen: SPARE_AWS_SERVICES });

/** Deny every S3 action on `resource` over plain HTTP, to every principal. */
export const insecureTransportDenyStatement = (resource: string | readonly string[]): GuardrailStatement => ({
  Sid: GUARDRAIL_SID.insecureTransport,
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:*',
  Resource: resource,
  Condition: { Bool: { [CONDITION_KEY.secureTransport]: 'false' } },
});

/**
 * S3.5 / s3-bucket-ssl-requests-only: Deny every S3 action on the bucket and its objects over
 * plain HTTP. It covers s3:PutBucketPolicy too, over HTTP only: administrators keep every right
 * over HTTPS.
 */
export const tlsOnlyDenyStatement = (target: BucketTarget): GuardrailStatement => {
  const arn = bucketArn(target);
  return insecureTransportDenyStatement([arn, `${arn}/*`]);
};

/**
 * Deny uploads with a customer-provided key (SSE-C). A bucket blocks SSE-C with its encryption
 * configuration (BlockedEncryptionTypes); this statement is for the organization's RCP, which has
 * no such setting. Resource `*`: an RCP names no bucket.
 */
export const sseCDenyStatement = (resource: string | readonly string[] = '*'): GuardrailStatement => ({
  Sid: GUARDRAIL_SID.sseC,
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:PutObject',
  Resource: resource,
  Condition: { Null: { [CONDITION_KEY.customerAlgorithm]: 'false' } },
});
