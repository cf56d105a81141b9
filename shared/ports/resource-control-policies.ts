/** A root of the organization, and whether Resource Control Policies are enabled on it. */
export interface OrganizationRoot {
  readonly id: string;
  /** ListRoots' PolicyTypes holds RESOURCE_CONTROL_POLICY with Status ENABLED. */
  readonly rcpEnabled: boolean;
}

/** One Resource Control Policy as Organizations stores it. */
export interface StoredResourceControlPolicy {
  readonly id: string;
  readonly name: string;
  readonly awsManaged: boolean;
  /** The policy document's text. */
  readonly content: string;
}

/**
 * The organization's Resource Control Policies and the shape of its tree, read-only. Every call is
 * bounded by the number of policies, roots and OUs (and pages of accounts), never one per account.
 * The caller must be the management account or a delegated administrator. Failures are thrown as
 * an AwsCallError naming the call.
 */
export interface ResourceControlPolicies {
  /** DescribeOrganization: the management account, to which RCPs never apply. */
  managementAccountId(): Promise<string>;
  /** ListRoots, with the policy types enabled on each. */
  roots(): Promise<readonly OrganizationRoot[]>;
  /** ListPolicies (RESOURCE_CONTROL_POLICY), then DescribePolicy of each: every RCP with its document. */
  policies(): Promise<readonly StoredResourceControlPolicy[]>;
  /** ListTargetsForPolicy: the roots, OUs and accounts the policy is attached to, by id. */
  targetsOf(policyId: string): Promise<readonly string[]>;
  /**
   * Every OU and account under these roots, however deep, with the id of its parent (a root or an
   * OU): ListOrganizationalUnitsForParent and ListAccountsForParent for each root and OU.
   */
  parentsUnder(rootIds: readonly string[]): Promise<ReadonlyMap<string, string>>;
}
