import { parsePolicyDocument } from '../audit/iam-policy.js';
import { statementMatches, type RequestShape } from '../audit/request-match.js';
import { SSE_ALGORITHM } from '../core/encryption-state.js';
import { bucketArn, CONDITION_KEY, type BucketTarget, type GuardrailStatement } from './guardrail-statements.js';

/**
 * The requests a guardrail must never refuse, whoever makes them, over HTTPS:
 * - an upload with no encryption headers (and every UploadPart and CompleteMultipartUpload, which
 *   S3 authorises as s3:PutObject without them): the bucket default encrypts it;
 * - the enforcer's remediation copy: CopyObject onto itself under the required key (s3:PutObject
 *   naming aws:kms and the key ARN, with the copy-source headers) and the s3:GetObject of its source.
 */
export interface SafeRequest {
  readonly name: string;
  readonly shape: RequestShape;
}

const OBJECT_KEY = 'incoming/object';

const httpsRequest = (action: string, resource: string, headers: Readonly<Record<string, string>>): RequestShape => ({
  action,
  resource,
  context: {
    [CONDITION_KEY.secureTransport.toLowerCase()]: ['true'],
    [CONDITION_KEY.principalIsAwsService.toLowerCase()]: ['false'],
    [CONDITION_KEY.encryption]: headers[CONDITION_KEY.encryption] === undefined ? null : [headers[CONDITION_KEY.encryption] as string],
    [CONDITION_KEY.kmsKeyId]: headers[CONDITION_KEY.kmsKeyId] === undefined ? null : [headers[CONDITION_KEY.kmsKeyId] as string],
    [CONDITION_KEY.customerAlgorithm]: null,
  },
});

export const safeRequests = (target: BucketTarget, requiredKeyArn: string | undefined): SafeRequest[] => {
  const object = `${bucketArn(target)}/${OBJECT_KEY}`;
  return [
    { name: 'an upload without encryption headers', shape: httpsRequest('s3:PutObject', object, {}) },
    ...(requiredKeyArn === undefined
      ? []
      : [
          {
            name: "the enforcer's remediation copy (s3:PutObject under the required key)",
            shape: httpsRequest('s3:PutObject', object, { [CONDITION_KEY.encryption]: SSE_ALGORITHM.kms, [CONDITION_KEY.kmsKeyId]: requiredKeyArn }),
          },
        ]),
    { name: "the enforcer's read of the object it copies (s3:GetObject)", shape: httpsRequest('s3:GetObject', object, {}) },
  ];
};

/**
 * Why the statements about to be added would refuse a request that must always pass, or undefined.
 * Only the added statements are judged: the owner's own are kept as they are, so they cannot newly
 * refuse anything. A statement whose conditions cannot be decided for such a request counts as
 * refusing it: a guardrail is written only when it is known to let them through.
 */
export const refusedSafeRequest = (statements: readonly GuardrailStatement[], target: BucketTarget, requiredKeyArn: string | undefined): string | undefined => {
  const parsed = parsePolicyDocument({ Version: '2012-10-17', Statement: statements });
  if (!parsed.ok) return parsed.reason;
  for (const request of safeRequests(target, requiredKeyArn)) {
    for (const statement of parsed.statements) {
      if (statement.effect !== 'Deny') continue;
      const match = statementMatches(statement, request.shape);
      if (match !== 'no') return `${statement.sid ?? 'a guardrail'} would ${match === 'yes' ? '' : 'perhaps '}refuse ${request.name}`;
    }
  }
  return undefined;
};
