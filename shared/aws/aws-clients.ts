import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import type { SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { AwsSettings } from '../config/enforcer-config.js';

/**
 * Every SDK client is made here, once per cold start, and passed in. Adaptive retry backs off on
 * S3 SlowDown and KMS throttling; the SDK reads AWS_ENDPOINT_URL[_<SERVICE>] itself.
 * `cacheMiddleware` resolves each command's middleware stack once per client instead of on every
 * send: about a quarter of the SDK's CPU time per call. Nothing here adds middleware per command.
 */
export const CLIENT_SETTINGS = { retryMode: 'adaptive', maxAttempts: 5, cacheMiddleware: true } as const;

type SignerFactory = S3Client['config']['signer'];
type AuthScheme = Parameters<SignerFactory>[0];

const signerKey = (scheme: AuthScheme): string =>
  scheme === undefined ? '' : [scheme.name, scheme.signingName, scheme.signingRegion, ...(scheme.signingRegionSet ?? [])].join(' ');

/**
 * The SDK makes a new request signer for every request, from a copy of the client's whole resolved
 * configuration: about a tenth of its CPU time per call. A signer holds no state of one request —
 * the date, region and service are given at each signature and the credentials are asked of the
 * client's provider each time — so one per auth scheme, service and region is kept and reused.
 * A factory that fails is asked again next time.
 */
export const reuseSigners = <C extends { config: { signer: SignerFactory } }>(client: C): C => {
  const makeSigner = client.config.signer;
  const signers = new Map<string, ReturnType<SignerFactory>>();
  client.config.signer = (scheme) => {
    const key = signerKey(scheme);
    let signer = signers.get(key);
    if (!signer) {
      signer = makeSigner(scheme);
      signers.set(key, signer);
      signer.catch(() => signers.delete(key));
    }
    return signer;
  };
  return client;
};

/**
 * No SDK logger is configured (the functions log through Powertools), yet the SDK's logger middleware
 * runs each command's input and output through its sensitive-data filters on every call, for a line
 * it hands to a no-op logger: about 5 % of a call's CPU time. It is taken out of the stack.
 */
export const withoutSdkLogging = <C extends { middlewareStack: { remove(name: string): boolean } }>(client: C): C => {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
};

/** What every client made here gets after construction. */
export const tuneClient = <C extends S3Client | KMSClient | SNSClient | SSMClient | STSClient | SecurityHubClient>(client: C): C => withoutSdkLogging(reuseSigners(client));

/**
 * Without `credentials` a client uses the caller's own (the execution role's); with them, another
 * identity's — a member account's role, renewed by the provider as it nears expiry.
 */
export const withCredentials = (credentials: AwsCredentialIdentityProvider | undefined) => (credentials ? { credentials } : {});

export const createS3Client = (aws: AwsSettings, credentials?: AwsCredentialIdentityProvider): S3Client =>
  tuneClient(new S3Client({ region: aws.region, forcePathStyle: aws.forcePathStyle, ...CLIENT_SETTINGS, ...withCredentials(credentials) }));

export const createKmsClient = (aws: AwsSettings, credentials?: AwsCredentialIdentityProvider): KMSClient =>
  tuneClient(new KMSClient({ region: aws.region, ...CLIENT_SETTINGS, ...withCredentials(credentials) }));

/**
 * A client for the topic's own region: SNS accepts a publish only there, and a member's enforcer in
 * another region publishes to the organization's central topic.
 */
export const createSnsClient = (aws: AwsSettings, topicArn?: string): SNSClient =>
  tuneClient(new SNSClient({ region: topicArn?.split(':')[3] || aws.region, ...CLIENT_SETTINGS }));

export const createSsmClient = (aws: AwsSettings, credentials?: AwsCredentialIdentityProvider): SSMClient =>
  tuneClient(new SSMClient({ region: aws.region, ...CLIENT_SETTINGS, ...withCredentials(credentials) }));

/** Always the caller's own credentials: this is the client that assumes the member roles. */
export const createStsClient = (aws: AwsSettings): STSClient => tuneClient(new STSClient({ region: aws.region, ...CLIENT_SETTINGS }));

/** One client per region, made on first use and kept: buckets and their keys live in many regions. */
export type RegionalClients<T> = (region: string) => T;

export const regional = <T>(create: (region: string) => T): RegionalClients<T> => {
  const clients = new Map<string, T>();
  return (region) => {
    let client = clients.get(region);
    if (!client) {
      client = create(region);
      clients.set(region, client);
    }
    return client;
  };
};

export const createRegionalS3Clients = (aws: AwsSettings, credentials?: AwsCredentialIdentityProvider): RegionalClients<S3Client> =>
  regional((region) => createS3Client({ ...aws, region }, credentials));

export const createRegionalKmsClients = (aws: AwsSettings, credentials?: AwsCredentialIdentityProvider): RegionalClients<KMSClient> =>
  regional((region) => createKmsClient({ ...aws, region }, credentials));

export const createRegionalSsmClients = (aws: AwsSettings, credentials?: AwsCredentialIdentityProvider): RegionalClients<SSMClient> =>
  regional((region) => createSsmClient({ ...aws, region }, credentials));
