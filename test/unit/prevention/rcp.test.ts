import { describe, expect, it } from 'vitest';
import { organizationRcp, RCP_MAX_CHARACTERS, rcpSemantics, rcpText } from '../../../shared/prevention/resource-control-policy.js';

const REQUIRED = 'arn:aws:kms:us-east-1:123456789012:key/11111111-1111-1111-1111-111111111111';
const SPARE_SERVICES = { BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' } };

describe('organizationRcp', () => {
  it('with a required key: TLS only, SSE-KMS under that key only, not aws/s3, no SSE-C', () => {
    expect(organizationRcp({ requiredKeyArn: REQUIRED, acceptDsseKms: false })).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'EnforcerDenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          Resource: '*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
        {
          Sid: 'EnforcerDenyNonKmsEncryption',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:PutObject',
          Resource: '*',
          Condition: {
            StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' },
            Null: { 's3:x-amz-server-side-encryption': 'false' },
            ...SPARE_SERVICES,
          },
        },
        {
          Sid: 'EnforcerDenyAwsManagedKey',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:PutObject',
          Resource: '*',
          Condition: {
            StringEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' },
            Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'true' },
            ...SPARE_SERVICES,
          },
        },
        {
          Sid: 'EnforcerDenyOtherKmsKeys',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:PutObject',
          Resource: '*',
          Condition: {
            StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': REQUIRED },
            Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
            ...SPARE_SERVICES,
          },
        },
        {
          Sid: 'EnforcerDenySseC',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:PutObject',
          Resource: '*',
          Condition: { Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' } },
        },
      ],
    });
  });

  it('without a required key leaves the key-id Deny out; DSSE-KMS accepted widens the KMS values', () => {
    const document = organizationRcp({ acceptDsseKms: true });
    expect(document.Statement.map((statement) => statement.Sid)).toEqual([
      'EnforcerDenyInsecureTransport',
      'EnforcerDenyNonKmsEncryption',
      'EnforcerDenyAwsManagedKey',
      'EnforcerDenySseC',
    ]);
    expect(document.Statement[1]?.Condition).toEqual({
      StringNotEquals: { 's3:x-amz-server-side-encryption': ['aws:kms', 'aws:kms:dsse'] },
      Null: { 's3:x-amz-server-side-encryption': 'false' },
      ...SPARE_SERVICES,
    });
    expect(document.Statement[2]?.Condition).toEqual({
      StringEquals: { 's3:x-amz-server-side-encryption': ['aws:kms', 'aws:kms:dsse'] },
      Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'true' },
      ...SPARE_SERVICES,
    });
  });

  it('follows the RCP rules: Deny only, Principal "*", no NotPrincipal, and no IfExists on the encryption headers', () => {
    for (const statement of organizationRcp({ requiredKeyArn: REQUIRED, acceptDsseKms: true }).Statement) {
      expect(statement.Effect).toBe('Deny');
      expect(statement.Principal).toBe('*');
      expect(statement).not.toHaveProperty('NotPrincipal');
      for (const [operator, block] of Object.entries(statement.Condition)) {
        if (operator.endsWith('IfExists')) expect(Object.keys(block)).toEqual(['aws:PrincipalIsAWSService']);
      }
    }
  });

  it(`stays within ${RCP_MAX_CHARACTERS} characters as printed, with the longest options`, () => {
    const longest = 'arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef';
    const text = rcpText(organizationRcp({ requiredKeyArn: longest, acceptDsseKms: true }));
    expect(text.length).toBeLessThanOrEqual(RCP_MAX_CHARACTERS);
    expect(text).toBe(JSON.stringify(JSON.parse(text), null, 2));
  });

  it.each(['alias/required', 'arn:aws:kms:us-east-1:123456789012:alias/required', '11111111-1111-1111-1111-111111111111'])('refuses %s as the required key', (reference) => {
    expect(() => organizationRcp({ requiredKeyArn: reference, acceptDsseKms: false })).toThrow(`the required key must be a KMS key ARN, not "${reference}"`);
  });
});

describe('rcpSemantics', () => {
  it.each([
    [{ requiredKeyArn: REQUIRED, acceptDsseKms: false }, { dsseKmsAccepted: false, requiredKey: REQUIRED }],
    [{ requiredKeyArn: REQUIRED, acceptDsseKms: true }, { dsseKmsAccepted: true, requiredKey: REQUIRED }],
    [{ acceptDsseKms: false }, { dsseKmsAccepted: false }],
    [{ acceptDsseKms: true }, { dsseKmsAccepted: true }],
  ])('reads back what organizationRcp(%j) enforces, from the object or its text', (options, expected) => {
    const document = organizationRcp(options);
    const semantics = { tlsOnly: true, kmsRequired: true, awsManagedKeyDenied: true, sseCDenied: true, ...expected };
    expect(rcpSemantics(document)).toEqual(semantics);
    expect(rcpSemantics(rcpText(document))).toEqual(semantics);
  });

  it("reads AWS's own example RCPs: HTTPS only for several services, and SSE-C denied", () => {
    const awsExamples = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Principal: '*',
          Action: ['s3:*', 'sts:*', 'kms:*', 'sqs:*', 'secretsmanager:*'],
          Resource: '*',
          Condition: { BoolIfExists: { 'aws:SecureTransport': 'false' } },
        },
        {
          Sid: 'RestrictSSECObjectUploads',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:PutObject',
          Resource: '*',
          Condition: { Null: { 's3:x-amz-server-side-encryption-customer-algorithm': 'false' } },
        },
      ],
    };
    expect(rcpSemantics(awsExamples)).toEqual({ tlsOnly: true, kmsRequired: false, dsseKmsAccepted: false, awsManagedKeyDenied: false, sseCDenied: true });
  });

  it('reads other spellings of the same rules: a key-id Deny with ArnNotEquals, objects as arn:aws:s3:::*/*', () => {
    const document = {
      Statement: {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['s3:PutObject'],
        Resource: ['arn:aws:s3:::*/*'],
        Condition: { ArnNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': REQUIRED }, Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': false } },
      },
    };
    expect(rcpSemantics(document)).toEqual({
      tlsOnly: false,
      kmsRequired: false,
      dsseKmsAccepted: false,
      awsManagedKeyDenied: false,
      sseCDenied: false,
      requiredKey: REQUIRED,
    });
  });

  it('gives no credit for statements that may spare someone or miss something', () => {
    const [tls, nonKms, awsManaged, otherKeys, sseC] = organizationRcp({ requiredKeyArn: REQUIRED, acceptDsseKms: false }).Statement;
    const narrowed = {
      Version: '2012-10-17',
      Statement: [
        // Only for callers outside the organization.
        { ...tls, Condition: { ...tls?.Condition, StringNotEqualsIfExists: { 'aws:PrincipalOrgID': 'o-exampleorgid' } } },
        // Only one bucket's objects.
        { ...nonKms, Resource: 'arn:aws:s3:::one-bucket/*' },
        // Not the upload action.
        { ...awsManaged, Action: 's3:GetObject' },
        // Not for everyone.
        { ...otherKeys, Principal: { AWS: 'arn:aws:iam::123456789012:root' } },
        // Allow is not a Deny.
        { ...sseC, Effect: 'Allow' },
      ],
    };
    expect(rcpSemantics(narrowed)).toEqual({ tlsOnly: false, kmsRequired: false, dsseKmsAccepted: false, awsManagedKeyDenied: false, sseCDenied: false });
  });

  it('checks resources in the partition asked for', () => {
    const document = {
      Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: ['arn:aws-cn:s3:::*'], Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
    };
    expect(rcpSemantics(document).tlsOnly).toBe(false);
    expect(rcpSemantics(document, 'aws-cn').tlsOnly).toBe(true);
  });

  it('a document that cannot be read provides nothing', () => {
    const none = { tlsOnly: false, kmsRequired: false, dsseKmsAccepted: false, awsManagedKeyDenied: false, sseCDenied: false };
    expect(rcpSemantics('{not json')).toEqual(none);
    expect(rcpSemantics({ Version: '2012-10-17' })).toEqual(none);
  });
});
