import { CreateAliasCommand, CreateKeyCommand, EnableKeyRotationCommand, KMSClient } from '@aws-sdk/client-kms';
import { CloseAccountCommand, CreateAccountCommand, CreateOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { CreateBucketCommand, PutBucketEncryptionCommand, PutBucketNotificationConfigurationCommand, PutBucketPolicyCommand, S3Client, type ServerSideEncryptionRule } from '@aws-sdk/client-s3';
import { EnableSecurityHubCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { DEFAULT_MEMBER_PARAMETER_NAME } from '../../../shared/config/organization-config.js';
import { tlsOnlyPolicy } from '../../../tooling/sample-policies.mjs';
import type { MotoClients } from './moto-clients.js';
import { motoClientConfig, TEST_ACCOUNT, TEST_REGION } from './moto-server.js';
import { createTestQueue, type TestQueue } from './sqs-queue.js';

/**
 * An organization on moto, built as its accounts would hold it: the management account (moto's
 * default account, which also runs the audit and owns the reports bucket, its key and the findings
 * topic) and members made with CreateAccount, each set up with credentials from AssumeRole into it
 * (moto gives such keys the role's account): its own KMS key behind `alias/data`, an enforcer
 * queue, a bucket default-encrypted under its key and (unless the estate is compliant) one with no
 * default, both notifying the queue, and the member template's SSM parameter naming the queue —
 * except where a member is made without its enforcer — and, when asked, Security Hub CSPM enabled.
 */
export const REQUIRED_ALIAS = 'alias/data';
export const REPORTS_PREFIX = 'encryption-audit/';
export const MEMBER_ROLE_NAME = 's3-encryption-enforcer-audit';

export interface EstateAccount {
  readonly accountId: string;
  readonly name: string;
  /** The key `alias/data` names in this account. */
  readonly keyArn: string;
  /** Default-encrypted under the account's key; none in an estate without buckets. */
  readonly encryptedBucket: string | undefined;
  /** No default encryption; none in a compliant estate. */
  readonly plainBucket: string | undefined;
  readonly enforcerQueueArn: string;
  /** Whether the member parameter names the enforcer. */
  readonly enforcer: boolean;
  readonly closed: boolean;
}

export interface OrganizationEstate {
  readonly management: EstateAccount;
  readonly members: readonly EstateAccount[];
  /** Every account, the management account first. */
  readonly accounts: readonly EstateAccount[];
}

/** What the central stack adds to the management account for the nightly run. */
export interface CentralResources {
  readonly reportsBucket: string;
  readonly reportsKeyArn: string;
  readonly topicArn: string;
  /** The on-call queue subscribed to the findings topic. */
  readonly onCall: TestQueue;
}

export interface EstateOptions {
  readonly members: number;
  /** Member indexes whose member stack is missing (no SSM parameter). */
  readonly withoutEnforcer?: readonly number[];
  /** Member indexes closed after they were set up (CloseAccount: SUSPENDED). */
  readonly closed?: readonly number[];
  /**
   * `mixed` (the default): a bucket under the account's key and one without a default, the key's
   * rotation off. `compliant`: only the bucket under the key, with a policy that denies plain HTTP
   * and uploads under any other key, and the key's rotation on.
   */
  readonly accounts?: 'mixed' | 'compliant';
  /** Without buckets, each account holds only its key (default: with). */
  readonly buckets?: boolean;
  /**
   * Security Hub CSPM enabled in each account's home region (default: not). moto imports findings
   * into a Security Hub that was never enabled; AWS refuses them, so an estate that expects imports
   * enables it, as each account's owner would.
   */
  readonly securityHub?: boolean;
}

type Credentials = AwsCredentialIdentity;

const credentialsIn = async (sts: STSClient, accountId: string): Promise<Credentials> => {
  const { Credentials } = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/OrganizationAccountAccessRole`, RoleSessionName: 'estate-setup' }));
  if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey) throw new Error(`AssumeRole into ${accountId} returned no credentials`);
  return { accessKeyId: Credentials.AccessKeyId, secretAccessKey: Credentials.SecretAccessKey, sessionToken: Credentials.SessionToken };
};

const queueArnOf = async (sqs: SQSClient, name: string): Promise<string> => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.['QueueArn'];
  if (!arn) throw new Error(`queue ${name} has no ARN`);
  return arn;
};

/** Plain HTTP denied, and uploads that name any key but the account's own. */
const compliantPolicy = (bucket: string, keyArn: string): string => {
  const tlsOnly = JSON.parse(tlsOnlyPolicy(bucket)) as { Version: string; Statement: unknown[] };
  const wrongKey = {
    Sid: 'DenyUploadsUnderAnotherKey',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:PutObject',
    Resource: `arn:aws:s3:::${bucket}/*`,
    Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption-aws-kms-key-id': keyArn } },
  };
  return JSON.stringify({ ...tlsOnly, Statement: [...tlsOnly.Statement, wrongKey] });
};

/** One account's estate, with clients acting in it. */
interface AccountPlan {
  readonly accountId: string;
  readonly name: string;
  readonly enforcer: boolean;
  readonly closed: boolean;
  readonly compliant: boolean;
  readonly buckets: boolean;
  readonly securityHub: boolean;
}

const equipAccount = async (
  endpoint: string,
  account: AccountPlan,
  credentials?: Credentials,
): Promise<EstateAccount> => {
  const config = { ...motoClientConfig(endpoint), ...(credentials ? { credentials } : {}) };
  const kms = new KMSClient(config);
  const s3 = new S3Client(config);
  const sqs = new SQSClient(config);
  const ssm = new SSMClient(config);
  const securityHub = new SecurityHubClient(config);
  try {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: `data key of ${account.name}` }));
    const keyArn = KeyMetadata?.Arn;
    if (!keyArn) throw new Error(`CreateKey in ${account.accountId} returned no ARN`);
    if (!keyArn.includes(`:${account.accountId}:`)) throw new Error(`the key ${keyArn} was made outside account ${account.accountId}`);
    await kms.send(new CreateAliasCommand({ AliasName: REQUIRED_ALIAS, TargetKeyId: keyArn }));
    const enforcerQueueArn = await queueArnOf(sqs, 's3-encryption-enforcer');
    // Bucket names are global, in moto as in S3: each carries its account.
    const encryptedBucket = `data-${account.accountId}-kms`;
    const plainBucket = `data-${account.accountId}-plain`;
    if (account.compliant) await kms.send(new EnableKeyRotationCommand({ KeyId: keyArn }));
    const buckets = !account.buckets ? [] : account.compliant ? [encryptedBucket] : [encryptedBucket, plainBucket];
    for (const bucket of buckets) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: { QueueConfigurations: [{ QueueArn: enforcerQueueArn, Events: ['s3:ObjectCreated:*'] }] } }));
    }
    if (buckets.includes(encryptedBucket)) {
      const rule: ServerSideEncryptionRule = {
        ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn },
        BucketKeyEnabled: true,
        // moto 5.2.1 accepts this and forgets it: s3-sse-c-blocked fails on moto whatever is sent.
        ...(account.compliant ? { BlockedEncryptionTypes: { EncryptionType: ['SSE-C'] } } : {}),
      };
      await s3.send(new PutBucketEncryptionCommand({ Bucket: encryptedBucket, ServerSideEncryptionConfiguration: { Rules: [rule] } }));
      if (account.compliant) await s3.send(new PutBucketPolicyCommand({ Bucket: encryptedBucket, Policy: compliantPolicy(encryptedBucket, keyArn) }));
    }
    if (account.enforcer) {
      const value = {
        schemaVersion: 1,
        region: TEST_REGION,
        requiredKeyArn: keyArn,
        enforcerQueueArn,
        enforcerFunctionArn: `arn:aws:lambda:${TEST_REGION}:${account.accountId}:function:s3-encryption-enforcer`,
      };
      await ssm.send(new PutParameterCommand({ Name: DEFAULT_MEMBER_PARAMETER_NAME, Type: 'String', Value: JSON.stringify(value) }));
    }
    if (account.securityHub) await securityHub.send(new EnableSecurityHubCommand({}));
    return {
      accountId: account.accountId,
      name: account.name,
      keyArn,
      encryptedBucket: buckets.includes(encryptedBucket) ? encryptedBucket : undefined,
      plainBucket: buckets.includes(plainBucket) ? plainBucket : undefined,
      enforcerQueueArn,
      enforcer: account.enforcer,
      closed: account.closed,
    };
  } finally {
    for (const client of [kms, s3, sqs, ssm, securityHub]) client.destroy();
  }
};

/** At most `limit` at once, results in input order. */
const mapLimited = async <T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> => {
  const results: R[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next;
        next += 1;
        results[index] = await work(items[index] as T);
      }
    }),
  );
  return results;
};

/** Builds the organization on a freshly reset moto. */
export const buildOrganization = async (endpoint: string, options: EstateOptions): Promise<OrganizationEstate> => {
  const config = motoClientConfig(endpoint);
  const organizations = new OrganizationsClient(config);
  const sts = new STSClient(config);
  const compliant = options.accounts === 'compliant';
  const buckets = options.buckets ?? true;
  const securityHub = options.securityHub ?? false;
  try {
    await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const created: AccountPlan[] = [];
    for (let index = 0; index < options.members; index += 1) {
      const name = `member-${String(index + 1).padStart(2, '0')}`;
      // moto creates the account at once: the answer is already SUCCEEDED, with its id.
      const { CreateAccountStatus } = await organizations.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }));
      const accountId = CreateAccountStatus?.AccountId;
      if (!accountId) throw new Error(`CreateAccount ${name} returned no account id`);
      created.push({ accountId, name, enforcer: !options.withoutEnforcer?.includes(index), closed: options.closed?.includes(index) ?? false, compliant, buckets, securityHub });
    }

    const management = await equipAccount(endpoint, { accountId: TEST_ACCOUNT, name: 'master', enforcer: true, closed: false, compliant, buckets, securityHub });
    const members = await mapLimited(created, 8, async (member) => equipAccount(endpoint, member, await credentialsIn(sts, member.accountId)));
    for (const member of members.filter((account) => account.closed)) await organizations.send(new CloseAccountCommand({ AccountId: member.accountId }));

    return { management, members, accounts: [management, ...members] };
  } finally {
    organizations.destroy();
    sts.destroy();
  }
};

export type AccountClientConfig = Omit<ReturnType<typeof motoClientConfig>, 'credentials'> & { readonly credentials: Credentials };

/**
 * Client settings that act in one account of the estate, as its owner would: the management
 * account's own credentials, a member's from AssumeRole into it (straight to moto, never through a
 * proxy that may refuse the audit's role).
 */
export const accountClientConfig = async (endpoint: string, accountId: string): Promise<AccountClientConfig> => {
  const config = motoClientConfig(endpoint);
  if (accountId === TEST_ACCOUNT) return config;
  const sts = new STSClient(config);
  try {
    return { ...config, credentials: await credentialsIn(sts, accountId) };
  } finally {
    sts.destroy();
  }
};

/** The reports bucket under its own key, and the findings topic with on-call's queue subscribed; `clients` act in the management account. */
export const addCentralResources = async (clients: MotoClients): Promise<CentralResources> => {
  const { kms, s3, sns, sqs } = clients;
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'organization audit reports' }));
  const reportsKeyArn = KeyMetadata?.Arn;
  if (!reportsKeyArn) throw new Error('CreateKey returned no ARN');
  const reportsBucket = 'org-audit-reports';
  await s3.send(new CreateBucketCommand({ Bucket: reportsBucket }));
  await s3.send(
    new PutBucketEncryptionCommand({
      Bucket: reportsBucket,
      ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: reportsKeyArn }, BucketKeyEnabled: true }] },
    }),
  );
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'encryption-findings' }));
  if (!TopicArn) throw new Error('CreateTopic returned no ARN');
  const onCall = await createTestQueue(sqs, 'on-call');
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: onCall.arn }));
  return { reportsBucket, reportsKeyArn, topicArn: TopicArn, onCall };
};

/**
 * The account a finding's resource belongs to, known from the resource alone: an ARN with an
 * account field (a key, a Security Hub hub) names its account, an account resource is the account,
 * and each bucket of the estate carries its account's id (`others` names the buckets that do not,
 * with their account).
 */
export const resourceOwner = (estate: OrganizationEstate, resource: string, others: Readonly<Record<string, string>> = {}): string | undefined => {
  const owned = /^arn:aws:(?:kms|securityhub):[a-z0-9-]+:(\d{12}):(?:key|hub)\//.exec(resource);
  if (owned) return owned[1];
  const account = /^AWS::::Account:(\d{12})$/.exec(resource);
  if (account) return account[1];
  const bucket = /^arn:aws:s3:::(.+)$/.exec(resource)?.[1];
  if (bucket === undefined) return undefined;
  return others[bucket] ?? estate.accounts.find((owner) => owner.encryptedBucket === bucket || owner.plainBucket === bucket)?.accountId;
};
