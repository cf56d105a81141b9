import { ANONYMOUS, type RequestContext, type S3Request } from './iam-oracle.js';

/**
 * The S3 requests a bucket guardrail is judged against: every way an upload can ask for encryption, over
 * HTTPS and HTTP, another account's existing read grant, an administrator managing the bucket, and the
 * enforcer's own remediation copy. Each operation is one or more IAM requests; it succeeds only if every
 * one of them is allowed.
 */

export const SSE = 's3:x-amz-server-side-encryption';
export const SSE_KMS_KEY_ID = 's3:x-amz-server-side-encryption-aws-kms-key-id';
export const SSE_CUSTOMER_ALGORITHM = 's3:x-amz-server-side-encryption-customer-algorithm';
export const SECURE_TRANSPORT = 'aws:SecureTransport';

export interface RequiredKey {
  readonly arn: string;
  readonly keyId: string;
  readonly aliasName: string;
  readonly aliasArn: string;
}

export interface BucketUnderTest {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly requiredKey: RequiredKey;
  /** A key of the same account that is not the required one. */
  readonly otherKeyArn: string;
  /** Another account, holding an Allow for s3:GetObject in the bucket policy. */
  readonly granteeAccount: string;
  /** An account no policy names. */
  readonly strangerAccount: string;
}

const keyIn = (region: string, account: string, keyId: string, aliasName: string): RequiredKey => ({
  arn: `arn:aws:kms:${region}:${account}:key/${keyId}`,
  keyId,
  aliasName,
  aliasArn: `arn:aws:kms:${region}:${account}:${aliasName}`,
});

export const DATA_BUCKET: BucketUnderTest = {
  name: 'data-bucket',
  account: '111122223333',
  region: 'us-east-1',
  requiredKey: keyIn('us-east-1', '111122223333', '1234abcd-12ab-34cd-56ef-1234567890ab', 'alias/data-bucket'),
  otherKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321',
  granteeAccount: '444455556666',
  strangerAccount: '777788889999',
};

export const bucketArnOf = (bucket: BucketUnderTest): string => `arn:aws:s3:::${bucket.name}`;
export const objectArnOf = (bucket: BucketUnderTest, key: string): string => `${bucketArnOf(bucket)}/${key}`;

/** Who calls. Roles in the bucket's account, the grantee's and a stranger's, both accounts' root users, and an unsigned caller. */
export const principalsOf = (bucket: BucketUnderTest) =>
  ({
    uploader: `arn:aws:iam::${bucket.account}:role/Uploader`,
    administrator: `arn:aws:iam::${bucket.account}:role/Administrator`,
    enforcer: `arn:aws:iam::${bucket.account}:role/s3-encryption-enforcer`,
    ownerRoot: `arn:aws:iam::${bucket.account}:root`,
    grantee: `arn:aws:iam::${bucket.granteeAccount}:role/Reader`,
    granteeRoot: `arn:aws:iam::${bucket.granteeAccount}:root`,
    stranger: `arn:aws:iam::${bucket.strangerAccount}:role/Stranger`,
    anonymous: ANONYMOUS,
  }) as const;

export type PrincipalName = keyof ReturnType<typeof principalsOf>;

/** What an upload sends about encryption: absent headers are absent from the request context. */
export const uploadEncryptionsOf = (bucket: BucketUnderTest) => {
  const key = bucket.requiredKey;
  return {
    'no encryption headers': {},
    AES256: { [SSE]: 'AES256' },
    'aws:kms with no key id': { [SSE]: 'aws:kms' },
    "aws:kms with another key's ARN": { [SSE]: 'aws:kms', [SSE_KMS_KEY_ID]: bucket.otherKeyArn },
    "aws:kms with the required key's ARN": { [SSE]: 'aws:kms', [SSE_KMS_KEY_ID]: key.arn },
    "aws:kms with the required key's alias name": { [SSE]: 'aws:kms', [SSE_KMS_KEY_ID]: key.aliasName },
    "aws:kms with the required key's alias ARN": { [SSE]: 'aws:kms', [SSE_KMS_KEY_ID]: key.aliasArn },
    "aws:kms with the required key's bare key id": { [SSE]: 'aws:kms', [SSE_KMS_KEY_ID]: key.keyId },
    "DSSE-KMS with the required key's ARN": { [SSE]: 'aws:kms:dsse', [SSE_KMS_KEY_ID]: key.arn },
    "DSSE-KMS with another key's ARN": { [SSE]: 'aws:kms:dsse', [SSE_KMS_KEY_ID]: bucket.otherKeyArn },
    'DSSE-KMS with no key id': { [SSE]: 'aws:kms:dsse' },
    'SSE-C (customer algorithm AES256)': { [SSE_CUSTOMER_ALGORITHM]: 'AES256' },
  } as const satisfies Record<string, RequestContext>;
};

export type UploadEncryptionName = keyof ReturnType<typeof uploadEncryptionsOf>;

export type Transport = 'HTTPS' | 'HTTP';
export const TRANSPORTS: readonly Transport[] = ['HTTPS', 'HTTP'];

export interface RequestParts {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly transport: Transport;
  readonly headers?: RequestContext;
}

/**
 * aws:PrincipalIsAWSService as AWS puts it in every signed request: true for a service principal, false for
 * any other signed caller; absent from an anonymous one.
 */
export const PRINCIPAL_IS_AWS_SERVICE = 'aws:PrincipalIsAWSService';
const principalContext = (principal: string): RequestContext =>
  principal === ANONYMOUS ? {} : { [PRINCIPAL_IS_AWS_SERVICE]: principal.endsWith('.amazonaws.com') ? 'true' : 'false' };

export const s3RequestOf = (bucket: BucketUnderTest, { principal, action, resource, transport, headers = {} }: RequestParts): S3Request => ({
  principal,
  action,
  resource,
  resourceAccount: bucket.account,
  context: { ...principalContext(principal), [SECURE_TRANSPORT]: transport === 'HTTPS' ? 'true' : 'false', ...headers },
});

export type OperationKind = 'upload' | 'read' | 'administration' | 'remediation';

export interface S3Operation {
  readonly name: string;
  readonly kind: OperationKind;
  readonly transport: Transport;
  /** For uploads: what the upload asks for. */
  readonly encryption?: UploadEncryptionName;
  /** Every request must be allowed for the operation to succeed. */
  readonly requests: readonly S3Request[];
}

export const UPLOADED_KEY = 'incoming/report.csv';

/**
 * The matrix of issue 15 for one bucket: 12 uploads × 2 transports, the grantee's read × 2 transports, three
 * administrator calls, and the enforcer's remediation copy (CopyObject is authorised as s3:PutObject on the
 * destination plus s3:GetObject on the source).
 */
export const s3RequestMatrix = (bucket: BucketUnderTest = DATA_BUCKET): readonly S3Operation[] => {
  const who = principalsOf(bucket);
  const object = objectArnOf(bucket, UPLOADED_KEY);
  const request = (parts: RequestParts): S3Request => s3RequestOf(bucket, parts);

  const uploads = TRANSPORTS.flatMap((transport) =>
    Object.entries(uploadEncryptionsOf(bucket)).map(
      ([encryption, headers]): S3Operation => ({
        name: `PutObject, ${encryption}, over ${transport}`,
        kind: 'upload',
        transport,
        encryption: encryption as UploadEncryptionName,
        requests: [request({ principal: who.uploader, action: 's3:PutObject', resource: object, transport, headers })],
      }),
    ),
  );
  const reads = TRANSPORTS.map(
    (transport): S3Operation => ({
      name: `GetObject by the grantee in ${bucket.granteeAccount}, over ${transport}`,
      kind: 'read',
      transport,
      requests: [request({ principal: who.grantee, action: 's3:GetObject', resource: object, transport })],
    }),
  );
  const administration = ['s3:PutBucketPolicy', 's3:PutEncryptionConfiguration', 's3:DeleteBucketPolicy'].map(
    (action): S3Operation => ({
      name: `${action.slice(3)} by the administrator, over HTTPS`,
      kind: 'administration',
      transport: 'HTTPS',
      requests: [request({ principal: who.administrator, action, resource: bucketArnOf(bucket), transport: 'HTTPS' })],
    }),
  );
  const remediation: S3Operation = {
    name: "The enforcer's remediation copy (CopyObject in place under the required key), over HTTPS",
    kind: 'remediation',
    transport: 'HTTPS',
    encryption: "aws:kms with the required key's ARN",
    requests: [
      request({
        principal: who.enforcer,
        action: 's3:PutObject',
        resource: object,
        transport: 'HTTPS',
        headers: {
          [SSE]: 'aws:kms',
          [SSE_KMS_KEY_ID]: bucket.requiredKey.arn,
          's3:x-amz-copy-source': `${bucket.name}/${UPLOADED_KEY}`,
          's3:x-amz-metadata-directive': 'COPY',
        },
      }),
      request({ principal: who.enforcer, action: 's3:GetObject', resource: object, transport: 'HTTPS' }),
    ],
  };
  return [...uploads, ...reads, ...administration, remediation];
};
