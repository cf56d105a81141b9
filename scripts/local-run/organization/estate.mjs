// The organization on moto, as its accounts would hold it. The management account (moto's default
// account) is also the central one: the reports bucket under its own key, the findings topic and
// on-call's queue subscribed to it. Members are made with CreateAccount and set up with credentials
// from AssumeRole into them (moto gives such keys the role's account), through the STS proxy: the
// locked-out member refuses it, so it stays as CreateAccount left it. Each reachable member holds
// its key behind alias/data, its enforcer's queue, a compliant bucket (default SSE-KMS under its
// key) and a non-compliant one (default SSE-S3), both notifying the queue, and the member
// template's SSM parameter naming its enforcer.
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateAccountCommand, CreateOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { CreateBucketCommand, PutBucketEncryptionCommand, PutBucketNotificationConfigurationCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { DEFAULT_MEMBER_PARAMETER_NAME, SERVICE } from '../../../infra/organization/release.mjs';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../../tooling/lambda-environment.mjs';

/** @import { AwsCredentialIdentity } from '@smithy/types' */

/** @typedef {{ name: string, url: string, arn: string }} Queue */
/** @typedef {{ accountId: string, name: string, lockedOut: boolean }} OrganizationAccount */
/**
 * @typedef {object} Member A reachable member, set up.
 * @property {string} accountId
 * @property {string} name
 * @property {AwsCredentialIdentity} credentials From AssumeRole into it: every call with them acts in it.
 * @property {string} keyArn The key alias/data names there.
 * @property {Queue} queue Its enforcer's queue.
 * @property {{ compliant: string, nonCompliant: string }} buckets
 */
/** @typedef {{ reportsBucket: string, reportsKeyArn: string, dataKeyArn: string, topicArn: string, onCall: Queue }} Central */

export const REGION = LOCAL_REGION;
export const MANAGEMENT_ACCOUNT = LOCAL_ACCOUNT;
export const REQUIRED_ALIAS = 'alias/data';
export const REPORTS_BUCKET = `${SERVICE}-org-reports-${MANAGEMENT_ACCOUNT}`;
export const ENFORCER_FUNCTION = `${SERVICE}-enforce-object-encryption`;
/** The management account's own credentials: moto answers an access key it did not issue for its default account. */
export const MANAGEMENT_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
/** The members, in the order they are created; one refuses every AssumeRole. */
export const MEMBER_PLAN = [
  { name: 'payments', lockedOut: false },
  { name: 'analytics', lockedOut: false },
  { name: 'web-shop', lockedOut: false },
  { name: 'legacy-unreachable', lockedOut: true },
];
/** Short, so a failed message is retried within the run. */
const VISIBILITY_TIMEOUT_S = 3;

/**
 * Clients acting in the management account; STS through the proxy.
 * @param {{ moto: string, sts: string }} endpoints
 */
export const managementClients = ({ moto, sts }) => {
  const config = { region: REGION, endpoint: moto, credentials: MANAGEMENT_CREDENTIALS };
  return {
    organizations: new OrganizationsClient(config),
    sts: new STSClient({ ...config, endpoint: sts }),
    kms: new KMSClient(config),
    s3: new S3Client({ ...config, forcePathStyle: true }),
    sns: new SNSClient(config),
    sqs: new SQSClient(config),
  };
};
/** @typedef {ReturnType<typeof managementClients>} ManagementClients */

/**
 * Clients acting in a member, with its credentials.
 * @param {string} endpoint
 * @param {AwsCredentialIdentity} credentials
 */
export const memberClients = (endpoint, credentials) => {
  const config = { region: REGION, endpoint, credentials };
  return { kms: new KMSClient(config), s3: new S3Client({ ...config, forcePathStyle: true }), sqs: new SQSClient(config), ssm: new SSMClient(config) };
};

/** @param {{ destroy(): void }[]} clients */
export const destroyAll = (clients) => clients.forEach((client) => client.destroy());

/**
 * @param {SQSClient} sqs
 * @param {string} name
 * @returns {Promise<Queue>}
 */
const createQueue = async (sqs, name) => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: String(VISIBILITY_TIMEOUT_S) } }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  if (!QueueUrl || !Attributes?.QueueArn) throw new Error(`the queue ${name} has no URL or ARN`);
  return { name, url: QueueUrl, arn: Attributes.QueueArn };
};

/**
 * @param {KMSClient} kms
 * @param {string} description
 */
const createKey = async (kms, description) => {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: description }));
  if (!KeyMetadata?.Arn) throw new Error('CreateKey returned no ARN');
  return KeyMetadata.Arn;
};

/**
 * The management account's part as central account: reports bucket and key, findings topic,
 * on-call's queue; and, since the audit covers the management account too, its own data key
 * behind alias/data, as every account has.
 * @param {ManagementClients} clients
 * @returns {Promise<Central>}
 */
export const createCentral = async ({ kms, s3, sns, sqs }) => {
  const reportsKeyArn = await createKey(kms, 'organization audit reports');
  const dataKeyArn = await createKey(kms, 'data key of the management account');
  await kms.send(new CreateAliasCommand({ AliasName: REQUIRED_ALIAS, TargetKeyId: dataKeyArn }));
  await s3.send(new CreateBucketCommand({ Bucket: REPORTS_BUCKET }));
  const rule = { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: /** @type {const} */ ('aws:kms'), KMSMasterKeyID: reportsKeyArn }, BucketKeyEnabled: true };
  await s3.send(new PutBucketEncryptionCommand({ Bucket: REPORTS_BUCKET, ServerSideEncryptionConfiguration: { Rules: [rule] } }));
  const { TopicArn: topicArn } = await sns.send(new CreateTopicCommand({ Name: `${SERVICE}-findings` }));
  if (!topicArn) throw new Error('CreateTopic returned no ARN');
  const onCall = await createQueue(sqs, 'on-call');
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: onCall.arn }));
  return { reportsBucket: REPORTS_BUCKET, reportsKeyArn, dataKeyArn, topicArn, onCall };
};

/**
 * The organization and its members (moto creates an account at once: the answer is SUCCEEDED, with its id).
 * @param {OrganizationsClient} organizations
 * @returns {Promise<OrganizationAccount[]>}
 */
export const createOrganization = async (organizations) => {
  await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  const accounts = [];
  for (const { name, lockedOut } of MEMBER_PLAN) {
    const { CreateAccountStatus } = await organizations.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }));
    const accountId = CreateAccountStatus?.AccountId;
    if (!accountId) throw new Error(`CreateAccount ${name} returned no account id`);
    accounts.push({ accountId, name, lockedOut });
  }
  return accounts;
};

/**
 * Credentials in the account from its OrganizationAccountAccessRole, or STS's refusal.
 * @param {STSClient} sts
 * @param {string} accountId
 * @returns {Promise<{ credentials: AwsCredentialIdentity } | { refused: string }>}
 */
export const assumeInto = async (sts, accountId) => {
  try {
    const { Credentials } = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/OrganizationAccountAccessRole`, RoleSessionName: 'local-setup' }));
    if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey) throw new Error(`AssumeRole into ${accountId} returned no credentials`);
    return { credentials: { accessKeyId: Credentials.AccessKeyId, secretAccessKey: Credentials.SecretAccessKey, sessionToken: Credentials.SessionToken } };
  } catch (error) {
    const name = /** @type {{ name?: unknown }} */ (error)?.name;
    if (name !== 'AccessDenied') throw error;
    return { refused: `${name}: ${error instanceof Error ? error.message : String(error)}` };
  }
};

/**
 * A reachable member, set up with its own credentials.
 * @param {string} endpoint moto.
 * @param {OrganizationAccount} account
 * @param {AwsCredentialIdentity} credentials
 * @returns {Promise<Member>}
 */
export const equipMember = async (endpoint, account, credentials) => {
  const clients = memberClients(endpoint, credentials);
  const { kms, s3, sqs, ssm } = clients;
  try {
    const keyArn = await createKey(kms, `data key of ${account.name}`);
    if (!keyArn.includes(`:${account.accountId}:`)) throw new Error(`the key ${keyArn} was made outside account ${account.accountId}`);
    await kms.send(new CreateAliasCommand({ AliasName: REQUIRED_ALIAS, TargetKeyId: keyArn }));
    const queue = await createQueue(sqs, `${SERVICE}-object-created`);
    // Bucket names are global, in moto as in S3: each carries its account.
    const buckets = { compliant: `${account.name}-${account.accountId}-kms`, nonCompliant: `${account.name}-${account.accountId}-sse-s3` };
    const defaults = {
      [buckets.compliant]: { SSEAlgorithm: /** @type {const} */ ('aws:kms'), KMSMasterKeyID: keyArn },
      [buckets.nonCompliant]: { SSEAlgorithm: /** @type {const} */ ('AES256') },
    };
    for (const [bucket, encryption] of Object.entries(defaults)) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutBucketEncryptionCommand({ Bucket: bucket, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: encryption, BucketKeyEnabled: encryption.SSEAlgorithm === 'aws:kms' }] } }));
      await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: { QueueConfigurations: [{ Id: 'enforcer', QueueArn: queue.arn, Events: ['s3:ObjectCreated:*'] }] } }));
    }
    const parameter = {
      schemaVersion: 1,
      region: REGION,
      requiredKeyArn: keyArn,
      enforcerQueueArn: queue.arn,
      enforcerFunctionArn: `arn:aws:lambda:${REGION}:${account.accountId}:function:${ENFORCER_FUNCTION}`,
    };
    await ssm.send(new PutParameterCommand({ Name: DEFAULT_MEMBER_PARAMETER_NAME, Type: 'String', Value: JSON.stringify(parameter) }));
    return { accountId: account.accountId, name: account.name, credentials, keyArn, queue, buckets };
  } finally {
    destroyAll(Object.values(clients));
  }
};
