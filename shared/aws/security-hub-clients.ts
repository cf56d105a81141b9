import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { AwsSettings } from '../config/enforcer-config.js';
import { CLIENT_SETTINGS, regional, tuneClient, withCredentials, type RegionalClients } from './aws-clients.js';

/**
 * Security Hub CSPM takes findings only from the account they are of: the audited account's
 * credentials. One attempt a call: the importer paces calls to the service's rate and retries
 * itself, and SDK retries on top would multiply them.
 */
export const createSecurityHubClient = (aws: AwsSettings, credentials?: AwsCredentialIdentityProvider): SecurityHubClient =>
  tuneClient(new SecurityHubClient({ region: aws.region, ...CLIENT_SETTINGS, maxAttempts: 1, ...withCredentials(credentials) }));

export const createRegionalSecurityHubClients = (aws: AwsSettings, credentials?: AwsCredentialIdentityProvider): RegionalClients<SecurityHubClient> =>
  regional((region) => createSecurityHubClient({ ...aws, region }, credentials));
