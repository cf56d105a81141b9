import { describe, expect, it } from 'vitest';
import {
  GUARDRAIL_SID,
  GUARDRAIL_SID_PREFIX,
  sseCDenyStatement,
  tlsOnlyDenyStatement,
  WRONG_KEY_REMEDIATION,
  wrongKeyDenyStatements,
} from '../../../shared/prevention/guardrail-statements.js';

const REQUIRED = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-1111-1111-1111-111111111111';

describe('wrongKeyDenyStatements', () => {
  it('denies, on every object, a non-KMS encryption header, aws:kms without a key id, and any other key id', () => {
    expect(wrongKeyDenyStatements({ bucket: 'data-bucket', partition: 'aws', requiredKeyArn: REQUIRED, acceptDsseKms: false })).toEqual([
      {
        Sid: 'EnforcerDenyNonKmsEncryption',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:PutObject',
        Resource: 'arn:aws:s3:::data-bucket/*',
        Condition: {
          StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' },
          Null: { 's3:x-amz-server-side-encryption': 'false' },
          BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
        },
      },
      {
        Sid: 'EnforcerDenyAwsManagedKey',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:PutObject',
        Resource: 'arn:aws:s3:::data-bucket/*',
        Condition: {
          StringEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' },
          Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'true' },
          BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
        },
      },
      {
        Sid: 'EnforcerDenyOtherKmsKeys',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:PutObject',
        Resource: 'arn:aws:s3:::data-bucket/*',
        Condition: {
          StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': REQUIRED },
          Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
          BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
        },
      },
    ]);
  });

  it('with DSSE-KMS accepted, lets aws:kms:dsse through and denies it without a key id too', () => {
    const [nonKms, awsManaged, otherKeys] = wrongKeyDenyStatements({ bucket: 'data-bucket', partition: 'aws', requiredKeyArn: REQUIRED, acceptDsseKms: true });
    expect(nonKms?.Condition).toEqual({
      StringNotEquals: { 's3:x-amz-server-side-encryption': ['aws:kms', 'aws:kms:dsse'] },
      Null: { 's3:x-amz-server-side-encryption': 'false' },
      BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
    });
    expect(awsManaged?.Condition).toEqual({
      StringEquals: { 's3:x-amz-server-side-encryption': ['aws:kms', 'aws:kms:dsse'] },
      Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'true' },
      BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
    });
    expect(otherKeys?.Condition).toEqual({
      StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': REQUIRED },
      Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
      BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
    });
  });

  it('names the bucket in its own partition', () => {
    const govKey = 'arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/11111111-1111-1111-1111-111111111111';
    const statements = wrongKeyDenyStatements({ bucket: 'gov-bucket', partition: 'aws-us-gov', requiredKeyArn: govKey, acceptDsseKms: false });
    expect(statements.map((statement) => statement.Resource)).toEqual(Array(3).fill('arn:aws-us-gov:s3:::gov-bucket/*'));
  });

  it('never uses an IfExists operator on the encryption headers (it would deny uploads that send none); only on aws:PrincipalIsAWSService, to spare services', () => {
    const statements = wrongKeyDenyStatements({ bucket: 'b', partition: 'aws', requiredKeyArn: REQUIRED, acceptDsseKms: true });
    const ifExists = statements.flatMap((statement) => Object.entries(statement.Condition).filter(([operator]) => operator.endsWith('IfExists')).map(([operator, keys]) => [operator, Object.keys(keys)]));
    expect(ifExists).toEqual(Array(3).fill(['BoolIfExists', ['aws:PrincipalIsAWSService']]));
  });

  it.each(['alias/required', '11111111-1111-1111-1111-111111111111', 'arn:aws:kms:eu-west-1:123456789012:alias/required'])(
    'refuses %s as the required key: the header is compared as sent, so only a key ARN can match',
    (reference) => {
      expect(() => wrongKeyDenyStatements({ bucket: 'b', partition: 'aws', requiredKeyArn: reference, acceptDsseKms: false })).toThrow(
        `the required key must be a KMS key ARN, not "${reference}"`,
      );
    },
  );

  it('every guardrail Sid carries the fixed prefix, and they are distinct', () => {
    const sids = Object.values(GUARDRAIL_SID);
    expect(sids.every((sid) => sid.startsWith(GUARDRAIL_SID_PREFIX))).toBe(true);
    expect(new Set(sids).size).toBe(sids.length);
  });

  it('the remediation text tells uploaders to send the full key ARN, and that aliases and key ids are refused', () => {
    expect(WRONG_KEY_REMEDIATION).toContain('full ARN of the required key');
    expect(WRONG_KEY_REMEDIATION).toContain('an alias, an alias ARN or a bare key id is refused');
    expect(WRONG_KEY_REMEDIATION).toContain('no encryption headers');
  });
});

describe('tlsOnlyDenyStatement', () => {
  it('denies every S3 action on the bucket and its objects when aws:SecureTransport is false', () => {
    expect(tlsOnlyDenyStatement({ bucket: 'data-bucket', partition: 'aws-cn' })).toEqual({
      Sid: 'EnforcerDenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: ['arn:aws-cn:s3:::data-bucket', 'arn:aws-cn:s3:::data-bucket/*'],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  });
});

describe('sseCDenyStatement', () => {
  it('denies uploads that carry a customer-provided key algorithm', () => {
    expect(sseCDenyStatement()).toEqual({
      Sid: 'EnforcerDenySseC',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: '*',
      Condition: { Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' } },
    });
  });
});
