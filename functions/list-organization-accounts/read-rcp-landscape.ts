import { AwsCallError } from '../../shared/errors.js';
import { providesAnyGuarantee, rcpLandscape, type GuaranteeingRcp, type RcpLandscape } from '../../shared/organization/rcp-coverage.js';
import { rcpSemantics } from '../../shared/prevention/resource-control-policy.js';
import type { ResourceControlPolicies } from '../../shared/ports/resource-control-policies.js';

/**
 * Reads what every account's RCP coverage is decided from, with calls bounded by the policies,
 * roots and OUs, never one per account: DescribeOrganization and ListRoots; if RCPs are enabled,
 * ListPolicies and DescribePolicy of each, ListTargetsForPolicy of each RCP that denies something
 * the coverage counts (not of RCPFullAWSAccess, which AWS attaches to every OU and account and
 * which denies nothing), and the tree walked once from the roots. An AWS failure anywhere is a
 * value: every account is then reported as not readable, naming the call and the error.
 */
export const readRcpLandscape = async (policies: ResourceControlPolicies, partition: string): Promise<RcpLandscape> => {
  let managementAccountId: string | undefined;
  try {
    managementAccountId = await policies.managementAccountId();
    const roots = await policies.roots();
    const disabled = roots.filter((root) => !root.rcpEnabled);
    if (roots.length === 0 || disabled.length > 0) return { kind: 'not-enabled', managementAccountId, roots: (roots.length === 0 ? roots : disabled).map((root) => root.id) };

    const guaranteeing: GuaranteeingRcp[] = [];
    for (const policy of await policies.policies()) {
      const semantics = rcpSemantics(policy.content, partition);
      if (!providesAnyGuarantee(semantics)) continue;
      guaranteeing.push({ id: policy.id, name: policy.name, semantics, targets: await policies.targetsOf(policy.id) });
    }
    const parentOf = await policies.parentsUnder(roots.map((root) => root.id));
    return rcpLandscape({ managementAccountId, parentOf, policies: guaranteeing });
  } catch (error) {
    // Anything but a failed AWS call is a fault of ours: the step fails and Step Functions says so.
    if (!(error instanceof AwsCallError)) throw error;
    return { kind: 'unreadable', managementAccountId, failure: { operation: error.operation, code: error.code, message: error.message } };
  }
};
