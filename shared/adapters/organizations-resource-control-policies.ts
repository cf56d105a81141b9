import {
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListPoliciesCommand,
  ListRootsCommand,
  ListTargetsForPolicyCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { AwsCallError } from '../errors.js';
import type { OrganizationRoot, ResourceControlPolicies, StoredResourceControlPolicy } from '../ports/resource-control-policies.js';
import { callOrganizations, organizationsRetry, type ListAccountsRetry } from './organizations-call.js';

/** Every List call of Organizations used here takes at most 20 items a page. */
export const ITEMS_PER_PAGE = 20;

const RCP = 'RESOURCE_CONTROL_POLICY';
const notAllowed = (operation: string): string =>
  `reading the organization's Resource Control Policies needs the management account or a delegated administrator for AWS Organizations, with organizations:${operation} allowed`;

const incomplete = (operation: string, what: string): AwsCallError => new AwsCallError(operation, 'IncompleteAnswer', undefined, false, what);

/**
 * The organization's RCPs and tree over AWS Organizations. Organizations publishes no rate for
 * these calls and throttles them with TooManyRequestsException like ListAccounts: each call backs
 * off the same way (full jitter, doubling, up to `attempts` calls) before it is given up. Every
 * List call follows NextToken until it is absent, through empty pages.
 */
export class OrganizationsResourceControlPolicies implements ResourceControlPolicies {
  private readonly retry: ListAccountsRetry;

  constructor(
    private readonly organizations: OrganizationsClient,
    retry: Partial<ListAccountsRetry> = {},
  ) {
    this.retry = organizationsRetry(retry);
  }

  async managementAccountId(): Promise<string> {
    const { Organization } = await this.call('DescribeOrganization', () => this.organizations.send(new DescribeOrganizationCommand({})));
    if (!Organization?.MasterAccountId) throw incomplete('DescribeOrganization', 'the organization came back without its management account id');
    return Organization.MasterAccountId;
  }

  async roots(): Promise<readonly OrganizationRoot[]> {
    const roots: OrganizationRoot[] = [];
    await this.pages('ListRoots', (NextToken) => this.organizations.send(new ListRootsCommand({ MaxResults: ITEMS_PER_PAGE, ...(NextToken ? { NextToken } : {}) })), (page) => {
      for (const root of page.Roots ?? []) {
        if (!root.Id) throw incomplete('ListRoots', 'a root came back without an Id');
        roots.push({ id: root.Id, rcpEnabled: (root.PolicyTypes ?? []).some((type) => type.Type === RCP && type.Status === 'ENABLED') });
      }
    });
    return roots;
  }

  async policies(): Promise<readonly StoredResourceControlPolicy[]> {
    const ids: string[] = [];
    await this.pages(
      'ListPolicies',
      (NextToken) => this.organizations.send(new ListPoliciesCommand({ Filter: RCP, MaxResults: ITEMS_PER_PAGE, ...(NextToken ? { NextToken } : {}) })),
      (page) => (page.Policies ?? []).forEach((summary) => summary.Id && ids.push(summary.Id)),
    );
    const policies: StoredResourceControlPolicy[] = [];
    // One at a time: an organization holds at most 1,000 RCPs, and Organizations throttles bursts.
    for (const PolicyId of ids) {
      const { Policy } = await this.call('DescribePolicy', () => this.organizations.send(new DescribePolicyCommand({ PolicyId })));
      const summary = Policy?.PolicySummary;
      if (Policy?.Content === undefined) throw incomplete('DescribePolicy', `the policy ${PolicyId} came back without its content`);
      policies.push({ id: PolicyId, name: summary?.Name ?? PolicyId, awsManaged: summary?.AwsManaged === true, content: Policy.Content });
    }
    return policies;
  }

  async targetsOf(PolicyId: string): Promise<readonly string[]> {
    const targets: string[] = [];
    await this.pages(
      'ListTargetsForPolicy',
      (NextToken) => this.organizations.send(new ListTargetsForPolicyCommand({ PolicyId, MaxResults: ITEMS_PER_PAGE, ...(NextToken ? { NextToken } : {}) })),
      (page) => (page.Targets ?? []).forEach((target) => target.TargetId && targets.push(target.TargetId)),
    );
    return targets;
  }

  /**
   * Breadth first from the roots. The map holds one entry per OU and account: at the
   * organization's ceiling of 10,000 accounts, some 10,000 pairs of short ids (well under 2 MB),
   * which is what deciding each account's path needs without a ListParents call per account.
   */
  async parentsUnder(rootIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const parentOf = new Map<string, string>();
    const parents = [...rootIds];
    for (let parent = parents.shift(); parent !== undefined; parent = parents.shift()) {
      const ParentId = parent;
      await this.pages(
        'ListOrganizationalUnitsForParent',
        (NextToken) => this.organizations.send(new ListOrganizationalUnitsForParentCommand({ ParentId, MaxResults: ITEMS_PER_PAGE, ...(NextToken ? { NextToken } : {}) })),
        (page) =>
          (page.OrganizationalUnits ?? []).forEach((unit) => {
            if (!unit.Id || parentOf.has(unit.Id)) return;
            parentOf.set(unit.Id, ParentId);
            parents.push(unit.Id);
          }),
      );
      await this.pages(
        'ListAccountsForParent',
        (NextToken) => this.organizations.send(new ListAccountsForParentCommand({ ParentId, MaxResults: ITEMS_PER_PAGE, ...(NextToken ? { NextToken } : {}) })),
        (page) => (page.Accounts ?? []).forEach((account) => account.Id && parentOf.set(account.Id, ParentId)),
      );
    }
    return parentOf;
  }

  /** Every page, each taken as it comes: NextToken is followed until absent, an empty page included. */
  private async pages<T extends { NextToken?: string | undefined }>(operation: string, send: (token: string | undefined) => Promise<T>, take: (page: T) => void): Promise<void> {
    let token: string | undefined;
    do {
      const page = await this.call(operation, () => send(token));
      take(page);
      token = page.NextToken || undefined;
    } while (token);
  }

  private call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    return callOrganizations(operation, send, this.retry, notAllowed);
  }
}
