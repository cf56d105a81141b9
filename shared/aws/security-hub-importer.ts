import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { AwsSettings } from '../config/enforcer-config.js';
import type { FindingsImporter } from '../ports/findings-importer.js';

/** A Security Hub importer that lets go of its connections when the account's audit ends. */
export interface ClosableFindingsImporter extends FindingsImporter {
  destroy(): void;
}

interface Loaded {
  readonly importer: FindingsImporter;
  readonly destroy: () => void;
}

/**
 * Security Hub CSPM as one account, loaded on the first import rather than at cold start: its SDK
 * client carries every ASFF shape — as much code as the rest of the audit's clients — and a run
 * without POLICY.audit.securityHub never needs it. Clients are made per region on first use, with
 * the account's credentials (the member role's in an organization), or the caller's own.
 */
export const securityHubImporter = (aws: AwsSettings, credentials?: AwsCredentialIdentityProvider): ClosableFindingsImporter => {
  let loaded: Promise<Loaded> | undefined;
  const load = async (): Promise<Loaded> => {
    const [{ SecurityHubFindingsImporter }, { createRegionalSecurityHubClients }] = await Promise.all([
      import('../adapters/security-hub-findings-importer.js'),
      import('./security-hub-clients.js'),
    ]);
    const made = new Set<{ destroy(): void }>();
    const clients = createRegionalSecurityHubClients(aws, credentials);
    return {
      importer: new SecurityHubFindingsImporter((region) => {
        const client = clients(region);
        made.add(client);
        return client;
      }),
      destroy: () => made.forEach((client) => client.destroy()),
    };
  };
  return {
    importBatch: async (region, findings) => (await (loaded ??= load())).importer.importBatch(region, findings),
    destroy: () => void loaded?.then((done) => done.destroy()),
  };
};
