import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateOrganizationalUnitCommand, ListRootsCommand, MoveAccountCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { awsCliUnavailableReason, runAwsCli } from './aws-cli.js';
import { assertCliBuilt, runCli } from './cli-process.js';
import { motoClientConfig } from './moto-server.js';

/**
 * The organization's RCP as an administrator deploys it: printed by the built CLI
 * (`enforcer prevention rcp`), created and attached with the AWS CLI, the second client, after
 * RCPs are enabled on the root. moto stores RCPs and their attachments; it enforces none.
 */
export interface AttachedRcp {
  readonly rootId: string;
  readonly policyId: string;
  readonly name: string;
  /** The document as the CLI printed it. */
  readonly text: string;
}

const awsCli = async (endpoint: string, args: string[]): Promise<string> => {
  const run = await runAwsCli(endpoint, args);
  if (run.code !== 0) throw new Error(`aws ${args.slice(0, 2).join(' ')} failed (${run.code}): ${run.stderr}`);
  return run.stdout;
};

/** `targets`: the roots, OUs and accounts to attach the RCP to, or a function of the root's id that names them. */
export const attachPrintedRcp = async (
  endpoint: string,
  targets: readonly string[] | ((rootId: string) => readonly string[]),
  name = 's3-encryption-guardrails',
): Promise<AttachedRcp> => {
  const cliMissing = awsCliUnavailableReason();
  if (cliMissing) throw new Error(cliMissing);
  assertCliBuilt();
  const cwd = mkdtempSync(join(tmpdir(), 'enforcer-rcp-'));
  try {
    const printed = await runCli(['prevention', 'rcp'], {}, cwd);
    if (printed.code !== 0) throw new Error(`enforcer prevention rcp exited ${printed.code}: ${printed.stderr}`);
    const text = printed.stdout;
    const { Roots } = JSON.parse(await awsCli(endpoint, ['organizations', 'list-roots'])) as { Roots: { Id: string }[] };
    const rootId = Roots[0]?.Id;
    if (!rootId) throw new Error('the organization has no root');
    await awsCli(endpoint, ['organizations', 'enable-policy-type', '--root-id', rootId, '--policy-type', 'RESOURCE_CONTROL_POLICY']);
    const created = JSON.parse(
      await awsCli(endpoint, ['organizations', 'create-policy', '--type', 'RESOURCE_CONTROL_POLICY', '--name', name, '--description', 'S3 encryption guardrails', '--content', text]),
    ) as { Policy: { PolicySummary: { Id: string } } };
    const policyId = created.Policy.PolicySummary.Id;
    for (const target of typeof targets === 'function' ? targets(rootId) : targets) await awsCli(endpoint, ['organizations', 'attach-policy', '--policy-id', policyId, '--target-id', target]);
    return { rootId, policyId, name, text };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
};

/** A new OU under the root, holding these accounts (moved from the root). */
export const moveIntoNewUnit = async (endpoint: string, name: string, accountIds: readonly string[]): Promise<string> => {
  const organizations = new OrganizationsClient(motoClientConfig(endpoint));
  try {
    const rootId = (await organizations.send(new ListRootsCommand({}))).Roots?.[0]?.Id;
    if (!rootId) throw new Error('the organization has no root');
    const unitId = (await organizations.send(new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: name }))).OrganizationalUnit?.Id;
    if (!unitId) throw new Error(`CreateOrganizationalUnit ${name} returned no id`);
    for (const AccountId of accountIds) await organizations.send(new MoveAccountCommand({ AccountId, SourceParentId: rootId, DestinationParentId: unitId }));
    return unitId;
  } finally {
    organizations.destroy();
  }
};
