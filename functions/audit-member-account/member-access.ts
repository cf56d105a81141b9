import type { SSMClient } from '@aws-sdk/client-ssm';
import type { AccountClients } from '../audit-encryption/audit-services.js';
import { SsmMemberDeploymentReader } from '../../shared/adapters/ssm-member-deployment-reader.js';
import {
  createRegionalKmsClients,
  createRegionalS3Clients,
  createRegionalSsmClients,
  type RegionalClients,
} from '../../shared/aws/aws-clients.js';
import { securityHubImporter } from '../../shared/aws/security-hub-importer.js';
import type { AwsSettings } from '../../shared/config/enforcer-config.js';
import type { RoleAssumer } from '../../shared/ports/role-assumer.js';
import type { NotAuditedReason } from '../../shared/organization/not-audited-reason.js';
import type { MemberDeploymentReader } from '../../shared/ports/member-deployment-reader.js';

/** One account opened for its audit: its own clients, and what its member stack published. */
export interface OpenAccount {
  readonly kind: 'open';
  readonly clients: AccountClients;
  readonly deployments: MemberDeploymentReader;
  /** Lets go of the account's connections; the caller's own are kept. */
  readonly close: () => void;
}

export type AccountAccess = OpenAccount | { readonly kind: 'refused'; readonly reason: NotAuditedReason };

/** How the run reaches an account: its own credentials at home, the member role everywhere else. */
export type OpenAccountFor = (accountId: string) => Promise<AccountAccess>;

export interface MemberAccessSettings {
  readonly aws: AwsSettings;
  /** The account whose credentials the run has: audited with them, since no member role exists there to assume. */
  readonly callerAccountId: string;
  readonly callerClients: AccountClients & { readonly ssmIn: RegionalClients<SSMClient> };
  readonly assumer: RoleAssumer;
  readonly parameterName: string;
}

type Destroyable = { destroy(): void };

/** The regional clients one account's audit made, to let go of when it ends. */
const tracked = <T extends Destroyable>(made: Set<Destroyable>, clients: RegionalClients<T>): RegionalClients<T> => (region) => {
  const client = clients(region);
  made.add(client);
  return client;
};

/**
 * The caller's own account with its own clients (the management account has no
 * OrganizationAccountAccessRole, and a delegated administrator needs none to read itself); any
 * other account through the member role, with clients of its own whose credentials are renewed
 * before they expire.
 */
export const openAccountWith = (settings: MemberAccessSettings): OpenAccountFor => async (accountId) => {
  const { aws, callerAccountId, callerClients, parameterName } = settings;
  if (accountId === callerAccountId) {
    return { kind: 'open', clients: callerClients, deployments: new SsmMemberDeploymentReader(callerClients.ssmIn, parameterName), close: () => undefined };
  }
  const access = await settings.assumer.assume(accountId);
  if (access.kind === 'refused') return access;
  const made = new Set<Destroyable>();
  const ssmIn = tracked(made, createRegionalSsmClients(aws, access.credentials));
  const securityHub = securityHubImporter(aws, access.credentials);
  made.add(securityHub);
  return {
    kind: 'open',
    clients: {
      s3In: tracked(made, createRegionalS3Clients(aws, access.credentials)),
      kmsIn: tracked(made, createRegionalKmsClients(aws, access.credentials)),
      // Security Hub takes an account's findings only from that account: the member role's session.
      securityHub,
    },
    deployments: new SsmMemberDeploymentReader(ssmIn, parameterName),
    close: () => made.forEach((client) => client.destroy()),
  };
};
