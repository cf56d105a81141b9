import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  actionsOf,
  packageService,
  PROJECT_ROOT,
  resource,
  resourcesOfType,
  statementsOf,
  zipEntries,
  type PackagedService,
  type PolicyStatement,
  type Template,
} from './support/packaged-template.js';

// Packaged here, in beforeAll, from the "test" stage.
let packaged: PackagedService;
let template: Template;
beforeAll(() => {
  packaged = packageService();
  template = packaged.template;
}, 120_000);
afterAll(() => packaged?.dispose());

const getAtt = (logicalId: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [logicalId, attribute] });
const REQUIRED_KEY_ARN = { 'Fn::If': ['CreateEnforcementKey', getAtt('EnforcementKey'), { Ref: 'ExistingKmsKeyArn' }] };
const ACCOUNT_ROOT = { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } };

const FUNCTIONS = {
  'enforce-object-encryption': 'EnforceDashobjectDashencryptionLambdaFunction',
  'audit-encryption': 'AuditDashencryptionLambdaFunction',
} as const;

describe('the functions', () => {
  it.each(Object.entries(FUNCTIONS))('%s runs its esbuild bundle on nodejs22.x or newer, on arm64', (name, logicalId) => {
    const { Properties } = resource(template, logicalId);
    expect(Properties['Handler']).toBe(`dist/${name}/index.handler`);
    expect(Properties['Runtime']).toMatch(/^nodejs(\d+)\.x$/);
    expect(Number(/^nodejs(\d+)\.x$/.exec(Properties['Runtime'] as string)?.[1])).toBeGreaterThanOrEqual(22);
    expect(Properties['Architectures']).toEqual(['arm64']);
  });

  it.each(Object.keys(FUNCTIONS))('%s is packaged on its own, with its bundle (the entry and its chunks) and nothing else', (name) => {
    const chunksDir = join(PROJECT_ROOT, 'dist', name, 'chunks');
    const chunks = (existsSync(chunksDir) ? readdirSync(chunksDir) : []).map((chunk) => `dist/${name}/chunks/${chunk}`);
    expect(zipEntries(join(packaged.artifactsDir, `${name}.zip`)).sort()).toEqual([`dist/${name}/index.mjs`, ...chunks].sort());
  });

  it('gives the enforce function its configuration: the required key, the topic, the mode, the policy', () => {
    expect(resource(template, FUNCTIONS['enforce-object-encryption']).Properties['Environment']).toEqual({
      Variables: {
        REQUIRED_KMS_KEY: REQUIRED_KEY_ARN,
        FINDINGS_TOPIC_ARN: { Ref: 'FindingsTopic' },
        POLICY: { Ref: 'Policy' },
        ENFORCEMENT_MODE: { Ref: 'EnforcementMode' },
      },
    });
    expect(template.Parameters['EnforcementMode']).toMatchObject({ Default: 'enforce', AllowedValues: ['enforce', 'report'] });
  });

  it('gives the audit function the same key, topic and policy, plus the reports bucket and the queue it checks coverage against', () => {
    expect(resource(template, FUNCTIONS['audit-encryption']).Properties['Environment']).toEqual({
      Variables: {
        REQUIRED_KMS_KEY: REQUIRED_KEY_ARN,
        FINDINGS_TOPIC_ARN: { Ref: 'FindingsTopic' },
        POLICY: { Ref: 'Policy' },
        REPORTS_BUCKET: { Ref: 'ReportsBucket' },
        ENFORCER_QUEUE_ARN: getAtt('EnforcerQueue'),
      },
    });
  });
});

describe('the findings topic', () => {
  it('is encrypted with a customer-managed key that CloudWatch alarms may use', () => {
    expect(resource(template, 'FindingsTopic').Properties['KmsMasterKeyId']).toEqual(getAtt('FindingsTopicKey'));
    const key = resource(template, 'FindingsTopicKey');
    expect(key.Properties['EnableKeyRotation']).toBe(true);
    expect(statementsOf(key, 'KeyPolicy')).toContainEqual({
      Sid: 'CloudWatchAlarmsPublishToTheEncryptedTopic',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
    });
  });

  it('subscribes an on-call email only when FindingsEmail is given', () => {
    expect(template.Parameters['FindingsEmail']).toMatchObject({ Default: '' });
    expect(template.Conditions['HasFindingsEmail']).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'FindingsEmail' }, ''] }] });
    expect(resource(template, 'FindingsEmailSubscription')).toEqual({
      Type: 'AWS::SNS::Subscription',
      Condition: 'HasFindingsEmail',
      Properties: { TopicArn: { Ref: 'FindingsTopic' }, Protocol: 'email', Endpoint: { Ref: 'FindingsEmail' } },
    });
  });

  it('refuses publishing without TLS and lets CloudWatch of this account publish', () => {
    const statements = statementsOf(resource(template, 'FindingsTopicPolicy'));
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    );
  });
});

describe('the reports bucket', () => {
  it('is encrypted with SSE-KMS under the required key, with a bucket key, and refuses SSE-C', () => {
    expect(resource(template, 'ReportsBucket').Properties['BucketEncryption']).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: REQUIRED_KEY_ARN },
          BucketKeyEnabled: true,
          BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] },
        },
      ],
    });
  });

  it('blocks every form of public access and disables ACLs', () => {
    const { Properties } = resource(template, 'ReportsBucket');
    expect(Properties['PublicAccessBlockConfiguration']).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(Properties['OwnershipControls']).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
  });

  it('has a TLS-only bucket policy covering the bucket and its objects', () => {
    const policy = resource(template, 'ReportsBucketPolicy');
    expect(policy.Properties['Bucket']).toEqual({ Ref: 'ReportsBucket' });
    expect(statementsOf(policy)).toContainEqual({
      Sid: 'DenyWithoutTls',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: [getAtt('ReportsBucket'), { 'Fn::Sub': '${ReportsBucket.Arn}/*' }],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    expect(statementsOf(policy)).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:PutObject',
        Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': REQUIRED_KEY_ARN } },
      }),
    );
  });

  it('expires reports by a lifecycle rule, and outlives the stack', () => {
    const bucket = resource(template, 'ReportsBucket');
    expect(bucket.Properties['LifecycleConfiguration']).toEqual({
      Rules: [
        {
          Id: 'expire-reports',
          Status: 'Enabled',
          ExpirationInDays: { Ref: 'ReportRetentionDays' },
          NoncurrentVersionExpiration: { NoncurrentDays: 30 },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        },
      ],
    });
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.UpdateReplacePolicy).toBe('Retain');
  });
});

describe('the enforcement key', () => {
  it('is created only when no ExistingKmsKeyArn is given', () => {
    expect(template.Parameters['ExistingKmsKeyArn']).toMatchObject({ Type: 'String', Default: '' });
    expect(template.Conditions['CreateEnforcementKey']).toEqual({ 'Fn::Equals': [{ Ref: 'ExistingKmsKeyArn' }, ''] });
    expect(resource(template, 'EnforcementKey').Condition).toBe('CreateEnforcementKey');
    expect(resource(template, 'EnforcementKeyAlias').Condition).toBe('CreateEnforcementKey');
    expect(template.Outputs['RequiredKmsKeyArn']).toMatchObject({ Value: REQUIRED_KEY_ARN });
  });

  it('accepts an existing key only as a key ARN (IAM cannot scope to an alias)', () => {
    const pattern = new RegExp(template.Parameters['ExistingKmsKeyArn']?.['AllowedPattern'] as string);
    expect(pattern.test('')).toBe(true);
    expect(pattern.test('arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab')).toBe(true);
    expect(pattern.test('arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab')).toBe(true);
    expect(pattern.test('alias/enforcement')).toBe(false);
    expect(pattern.test('arn:aws:kms:eu-west-1:111122223333:alias/enforcement')).toBe(false);
    expect(pattern.test('1234abcd-12ab-34cd-56ef-1234567890ab')).toBe(false);
  });

  it('rotates automatically, and is retained when the stack is removed (objects stay readable)', () => {
    const key = resource(template, 'EnforcementKey');
    expect(key.Properties).toMatchObject({
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      EnableKeyRotation: true,
      RotationPeriodInDays: { Ref: 'KeyRotationPeriodInDays' },
    });
    expect(template.Parameters['KeyRotationPeriodInDays']).toMatchObject({ Default: 365, MinValue: 90, MaxValue: 2560 });
    expect(key.DeletionPolicy).toBe('Retain');
    expect(key.UpdateReplacePolicy).toBe('Retain');
  });

  it('lets IAM in this account use it through S3 only', () => {
    expect(statementsOf(resource(template, 'EnforcementKey'), 'KeyPolicy')).toContainEqual({
      Sid: 'UseThroughS3ByIamPolicyInThisAccount',
      Effect: 'Allow',
      Principal: ACCOUNT_ROOT,
      Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: {
        StringEquals: {
          'kms:ViaService': { 'Fn::Sub': 's3.${AWS::Region}.amazonaws.com' },
          'kms:CallerAccount': { Ref: 'AWS::AccountId' },
        },
      },
    });
  });
});

describe('key policies separate administrators from users', () => {
  const ADMINISTRATION = /^kms:(Put|Disable|Enable|Delete|Update|ScheduleKeyDeletion|CancelKeyDeletion|CreateAlias|CreateGrant|RevokeGrant|RotateKeyOnDemand|TagResource|UntagResource)/;
  const CRYPTOGRAPHY = /^kms:(Encrypt|Decrypt|ReEncrypt|GenerateDataKey)/;
  const keys = () => resourcesOfType(template, 'AWS::KMS::Key');
  const principalOf = (statement: PolicyStatement): string => JSON.stringify(statement.Principal);

  it('covers both keys the stack creates', () => {
    expect(keys().map(([logicalId]) => logicalId).sort()).toEqual(['EnforcementKey', 'FindingsTopicKey']);
  });

  it.each(['EnforcementKey', 'FindingsTopicKey'])('%s: KeyAdministratorArns administer and never encrypt or decrypt', (logicalId) => {
    const statements = statementsOf(resource(template, logicalId), 'KeyPolicy');
    const administration = statements.filter((statement) => statement.Sid === 'KeyAdministration');
    expect(administration).toHaveLength(1);
    expect(administration[0]?.Principal).toEqual({ AWS: { Ref: 'KeyAdministratorArns' } });
    const actions = administration.flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:EnableKeyRotation']));
    expect(actions.filter((action) => CRYPTOGRAPHY.test(action))).toEqual([]);
    // A grant would let an administrator hand itself the use of the key.
    expect(actions).not.toContain('kms:CreateGrant');
  });

  it.each(['EnforcementKey', 'FindingsTopicKey'])('%s: no principal is granted both administration and use, and no kms:*', (logicalId) => {
    const statements = statementsOf(resource(template, logicalId), 'KeyPolicy');
    const byPrincipal = new Map<string, string[]>();
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      for (const action of actionsOf(statement)) {
        expect(action).not.toMatch(/^(\*|kms:\*)$/);
        byPrincipal.set(principalOf(statement), [...(byPrincipal.get(principalOf(statement)) ?? []), action]);
      }
    }
    for (const [principal, actions] of byPrincipal) {
      const administers = actions.some((action) => ADMINISTRATION.test(action));
      const uses = actions.some((action) => CRYPTOGRAPHY.test(action));
      expect({ principal, administers, uses }).not.toEqual({ principal, administers: true, uses: true });
    }
  });

  it('requires key administrators at package time, from the stage parameters', () => {
    expect(template.Parameters['KeyAdministratorArns']).toMatchObject({
      Type: 'CommaDelimitedList',
      Default: 'arn:aws:iam::111122223333:role/KeyAdministrator',
    });
  });
});
