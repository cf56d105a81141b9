import {
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListPoliciesCommand,
  ListRootsCommand,
  ListTargetsForPolicyCommand,
  OrganizationsClient,
  OrganizationsServiceException,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { OrganizationsResourceControlPolicies } from '../../../shared/adapters/organizations-resource-control-policies.js';
import { AwsCallError } from '../../../shared/errors.js';

const organizations = mockClient(OrganizationsClient);

beforeEach(() => organizations.reset());

const organizationsError = (name: string, httpStatusCode = 400, message = name): OrganizationsServiceException =>
  new OrganizationsServiceException({ name, message, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode } });

/** Pauses recorded, not waited; the jitter always takes half of the ceiling. */
const recordingPolicies = (retry: { attempts?: number } = {}) => {
  const sleeps: number[] = [];
  const policies = new OrganizationsResourceControlPolicies(new OrganizationsClient({}), {
    ...retry,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
  });
  return { policies, sleeps };
};

/** Every call, whole and in order: which command, with which input. */
const calls = () => organizations.calls().map((call) => [call.args[0].constructor.name.replace(/Command$/, ''), call.args[0].input]);

const GUARDRAILS = '{"Version":"2012-10-17","Statement":[{"Sid":"EnforcerDenySseC","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"*"}]}';
const FULL_ACCESS = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}';

describe('OrganizationsResourceControlPolicies', () => {
  it('takes the management account from DescribeOrganization', async () => {
    organizations.on(DescribeOrganizationCommand).resolves({ Organization: { Id: 'o-a1b2c3d4e5', MasterAccountId: '111122223333' } });

    await expect(recordingPolicies().policies.managementAccountId()).resolves.toBe('111122223333');
    expect(calls()).toEqual([['DescribeOrganization', {}]]);
  });

  it('reads from ListRoots whether RCPs are enabled on each root: RESOURCE_CONTROL_POLICY with Status ENABLED, nothing less', async () => {
    organizations
      .on(ListRootsCommand, { MaxResults: 20 })
      .resolves({ Roots: [{ Id: 'r-ab12', PolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }, { Type: 'RESOURCE_CONTROL_POLICY', Status: 'ENABLED' }] }], NextToken: 'r1' })
      .on(ListRootsCommand, { MaxResults: 20, NextToken: 'r1' })
      .resolves({ Roots: [], NextToken: 'r2' })
      .on(ListRootsCommand, { MaxResults: 20, NextToken: 'r2' })
      .resolves({
        Roots: [
          { Id: 'r-cd34', PolicyTypes: [{ Type: 'RESOURCE_CONTROL_POLICY', Status: 'PENDING_ENABLE' }] },
          { Id: 'r-ef56', PolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }] },
          { Id: 'r-gh78' },
        ],
      });

    await expect(recordingPolicies().policies.roots()).resolves.toEqual([
      { id: 'r-ab12', rcpEnabled: true },
      { id: 'r-cd34', rcpEnabled: false },
      { id: 'r-ef56', rcpEnabled: false },
      { id: 'r-gh78', rcpEnabled: false },
    ]);
    expect(calls()).toEqual([
      ['ListRoots', { MaxResults: 20 }],
      ['ListRoots', { MaxResults: 20, NextToken: 'r1' }],
      ['ListRoots', { MaxResults: 20, NextToken: 'r2' }],
    ]);
  });

  it('lists the RCPs only (Filter RESOURCE_CONTROL_POLICY), through empty pages, then describes each for its document', async () => {
    organizations
      .on(ListPoliciesCommand, { Filter: 'RESOURCE_CONTROL_POLICY', MaxResults: 20 })
      .resolves({ Policies: [{ Id: 'p-RCPFullAWSAccess', Name: 'RCPFullAWSAccess', AwsManaged: true, Type: 'RESOURCE_CONTROL_POLICY' }], NextToken: 'p1' })
      .on(ListPoliciesCommand, { Filter: 'RESOURCE_CONTROL_POLICY', MaxResults: 20, NextToken: 'p1' })
      .resolves({ Policies: [], NextToken: 'p2' })
      .on(ListPoliciesCommand, { Filter: 'RESOURCE_CONTROL_POLICY', MaxResults: 20, NextToken: 'p2' })
      .resolves({ Policies: [{ Id: 'p-guardrails1', Name: 's3-encryption-guardrails', AwsManaged: false, Type: 'RESOURCE_CONTROL_POLICY' }] })
      .on(DescribePolicyCommand, { PolicyId: 'p-RCPFullAWSAccess' })
      .resolves({ Policy: { PolicySummary: { Id: 'p-RCPFullAWSAccess', Name: 'RCPFullAWSAccess', AwsManaged: true }, Content: FULL_ACCESS } })
      .on(DescribePolicyCommand, { PolicyId: 'p-guardrails1' })
      .resolves({ Policy: { PolicySummary: { Id: 'p-guardrails1', Name: 's3-encryption-guardrails', AwsManaged: false }, Content: GUARDRAILS } });

    await expect(recordingPolicies().policies.policies()).resolves.toEqual([
      { id: 'p-RCPFullAWSAccess', name: 'RCPFullAWSAccess', awsManaged: true, content: FULL_ACCESS },
      { id: 'p-guardrails1', name: 's3-encryption-guardrails', awsManaged: false, content: GUARDRAILS },
    ]);
    expect(calls()).toEqual([
      ['ListPolicies', { Filter: 'RESOURCE_CONTROL_POLICY', MaxResults: 20 }],
      ['ListPolicies', { Filter: 'RESOURCE_CONTROL_POLICY', MaxResults: 20, NextToken: 'p1' }],
      ['ListPolicies', { Filter: 'RESOURCE_CONTROL_POLICY', MaxResults: 20, NextToken: 'p2' }],
      ['DescribePolicy', { PolicyId: 'p-RCPFullAWSAccess' }],
      ['DescribePolicy', { PolicyId: 'p-guardrails1' }],
    ]);
  });

  it('fails, rather than judging nothing, on a policy described without its document', async () => {
    organizations
      .on(ListPoliciesCommand)
      .resolves({ Policies: [{ Id: 'p-guardrails1', Name: 'guardrails' }] })
      .on(DescribePolicyCommand)
      .resolves({ Policy: { PolicySummary: { Id: 'p-guardrails1' } } });

    await expect(recordingPolicies().policies.policies()).rejects.toMatchObject({ name: 'AwsCallError', operation: 'DescribePolicy', code: 'IncompleteAnswer' });
  });

  // moto 5.2.1 answers ListTargetsForPolicy in one page whatever MaxResults says: the paging AWS documents is pinned here.
  it('lists a policy’s targets (roots, OUs, accounts) page by page, an empty page with a NextToken included', async () => {
    organizations
      .on(ListTargetsForPolicyCommand, { PolicyId: 'p-guardrails1', MaxResults: 20 })
      .resolves({ Targets: [{ TargetId: 'r-ab12', Type: 'ROOT' }], NextToken: 't1' })
      .on(ListTargetsForPolicyCommand, { PolicyId: 'p-guardrails1', MaxResults: 20, NextToken: 't1' })
      .resolves({ Targets: [], NextToken: 't2' })
      .on(ListTargetsForPolicyCommand, { PolicyId: 'p-guardrails1', MaxResults: 20, NextToken: 't2' })
      .resolves({ Targets: [{ TargetId: 'ou-ab12-payments1', Type: 'ORGANIZATIONAL_UNIT' }, { TargetId: '111122223333', Type: 'ACCOUNT' }] });

    await expect(recordingPolicies().policies.targetsOf('p-guardrails1')).resolves.toEqual(['r-ab12', 'ou-ab12-payments1', '111122223333']);
    expect(calls()).toEqual([
      ['ListTargetsForPolicy', { PolicyId: 'p-guardrails1', MaxResults: 20 }],
      ['ListTargetsForPolicy', { PolicyId: 'p-guardrails1', MaxResults: 20, NextToken: 't1' }],
      ['ListTargetsForPolicy', { PolicyId: 'p-guardrails1', MaxResults: 20, NextToken: 't2' }],
    ]);
  });

  it('walks the tree once, a root or OU at a time, every page followed: each OU and account with its parent', async () => {
    organizations
      .on(ListOrganizationalUnitsForParentCommand, { ParentId: 'r-ab12', MaxResults: 20 })
      .resolves({ OrganizationalUnits: [{ Id: 'ou-ab12-workload' }], NextToken: 'u1' })
      .on(ListOrganizationalUnitsForParentCommand, { ParentId: 'r-ab12', MaxResults: 20, NextToken: 'u1' })
      .resolves({ OrganizationalUnits: [], NextToken: 'u2' })
      .on(ListOrganizationalUnitsForParentCommand, { ParentId: 'r-ab12', MaxResults: 20, NextToken: 'u2' })
      .resolves({ OrganizationalUnits: [{ Id: 'ou-ab12-sandbox1' }] })
      .on(ListAccountsForParentCommand, { ParentId: 'r-ab12', MaxResults: 20 })
      .resolves({ Accounts: [{ Id: '111111111111' }] })
      .on(ListOrganizationalUnitsForParentCommand, { ParentId: 'ou-ab12-workload', MaxResults: 20 })
      .resolves({ OrganizationalUnits: [{ Id: 'ou-ab12-payments' }] })
      .on(ListAccountsForParentCommand, { ParentId: 'ou-ab12-workload', MaxResults: 20 })
      .resolves({ Accounts: [], NextToken: 'a1' })
      .on(ListAccountsForParentCommand, { ParentId: 'ou-ab12-workload', MaxResults: 20, NextToken: 'a1' })
      .resolves({ Accounts: [{ Id: '222222222222' }] })
      .on(ListOrganizationalUnitsForParentCommand, { ParentId: 'ou-ab12-sandbox1', MaxResults: 20 })
      .resolves({})
      .on(ListAccountsForParentCommand, { ParentId: 'ou-ab12-sandbox1', MaxResults: 20 })
      .resolves({ Accounts: [{ Id: '333333333333' }] })
      .on(ListOrganizationalUnitsForParentCommand, { ParentId: 'ou-ab12-payments', MaxResults: 20 })
      .resolves({ OrganizationalUnits: [] })
      .on(ListAccountsForParentCommand, { ParentId: 'ou-ab12-payments', MaxResults: 20 })
      .resolves({ Accounts: [{ Id: '444444444444' }, { Id: '555555555555' }] });

    const parentOf = await recordingPolicies().policies.parentsUnder(['r-ab12']);

    expect(Object.fromEntries(parentOf)).toEqual({
      'ou-ab12-workload': 'r-ab12',
      'ou-ab12-sandbox1': 'r-ab12',
      'ou-ab12-payments': 'ou-ab12-workload',
      '111111111111': 'r-ab12',
      '222222222222': 'ou-ab12-workload',
      '333333333333': 'ou-ab12-sandbox1',
      '444444444444': 'ou-ab12-payments',
      '555555555555': 'ou-ab12-payments',
    });
    expect(calls()).toEqual([
      ['ListOrganizationalUnitsForParent', { ParentId: 'r-ab12', MaxResults: 20 }],
      ['ListOrganizationalUnitsForParent', { ParentId: 'r-ab12', MaxResults: 20, NextToken: 'u1' }],
      ['ListOrganizationalUnitsForParent', { ParentId: 'r-ab12', MaxResults: 20, NextToken: 'u2' }],
      ['ListAccountsForParent', { ParentId: 'r-ab12', MaxResults: 20 }],
      ['ListOrganizationalUnitsForParent', { ParentId: 'ou-ab12-workload', MaxResults: 20 }],
      ['ListAccountsForParent', { ParentId: 'ou-ab12-workload', MaxResults: 20 }],
      ['ListAccountsForParent', { ParentId: 'ou-ab12-workload', MaxResults: 20, NextToken: 'a1' }],
      ['ListOrganizationalUnitsForParent', { ParentId: 'ou-ab12-sandbox1', MaxResults: 20 }],
      ['ListAccountsForParent', { ParentId: 'ou-ab12-sandbox1', MaxResults: 20 }],
      ['ListOrganizationalUnitsForParent', { ParentId: 'ou-ab12-payments', MaxResults: 20 }],
      ['ListAccountsForParent', { ParentId: 'ou-ab12-payments', MaxResults: 20 }],
    ]);
  });

  it('backs off TooManyRequestsException with jittered, doubling pauses, then carries on from the same token', async () => {
    organizations
      .on(ListTargetsForPolicyCommand, { PolicyId: 'p-guardrails1', MaxResults: 20 })
      .resolves({ Targets: [{ TargetId: 'r-ab12' }], NextToken: 't1' })
      .on(ListTargetsForPolicyCommand, { PolicyId: 'p-guardrails1', MaxResults: 20, NextToken: 't1' })
      .rejectsOnce(organizationsError('TooManyRequestsException'))
      .rejectsOnce(organizationsError('TooManyRequestsException'))
      .resolves({ Targets: [{ TargetId: 'ou-ab12-payments1' }] });
    const { policies, sleeps } = recordingPolicies();

    await expect(policies.targetsOf('p-guardrails1')).resolves.toEqual(['r-ab12', 'ou-ab12-payments1']);
    expect(sleeps).toEqual([100, 200]);
    expect(calls()).toEqual([
      ['ListTargetsForPolicy', { PolicyId: 'p-guardrails1', MaxResults: 20 }],
      ['ListTargetsForPolicy', { PolicyId: 'p-guardrails1', MaxResults: 20, NextToken: 't1' }],
      ['ListTargetsForPolicy', { PolicyId: 'p-guardrails1', MaxResults: 20, NextToken: 't1' }],
      ['ListTargetsForPolicy', { PolicyId: 'p-guardrails1', MaxResults: 20, NextToken: 't1' }],
    ]);
  });

  it('gives up a call still throttled after its attempts with an AwsCallError naming it', async () => {
    const throttled = organizationsError('TooManyRequestsException', 400, 'AWS Organizations can not complete your request because another request is in progress.');
    organizations.on(DescribePolicyCommand).rejects(throttled).on(ListPoliciesCommand).resolves({ Policies: [{ Id: 'p-guardrails1' }] });
    const { policies, sleeps } = recordingPolicies({ attempts: 3 });

    const failure = await policies.policies().catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(AwsCallError);
    expect(failure).toMatchObject({
      operation: 'DescribePolicy',
      code: 'TooManyRequestsException',
      transient: true,
      cause: throttled,
      message: 'DescribePolicy failed: TooManyRequestsException (HTTP 400): still throttled after 3 attempts: AWS Organizations can not complete your request because another request is in progress.',
    });
    expect(organizations).toHaveReceivedCommandTimes(DescribePolicyCommand, 3);
    expect(sleeps).toEqual([100, 200]);
  });

  it('says which permission and which account are needed when access is denied, without retrying', async () => {
    organizations.on(ListPoliciesCommand).rejects(organizationsError('AccessDeniedException', 400, 'You don’t have permissions to access this resource.'));
    const { policies, sleeps } = recordingPolicies();

    const failure = await policies.policies().catch((error: unknown) => error);

    expect(failure).toMatchObject({
      name: 'AwsCallError',
      operation: 'ListPolicies',
      code: 'AccessDeniedException',
      transient: false,
      message:
        "ListPolicies failed: AccessDeniedException (HTTP 400): reading the organization's Resource Control Policies needs the management account or a delegated administrator for AWS Organizations, with organizations:ListPolicies allowed: You don’t have permissions to access this resource.",
    });
    expect(organizations).toHaveReceivedCommandTimes(ListPoliciesCommand, 1);
    expect(sleeps).toEqual([]);
  });

  it('throws other failures as they are, and refuses a retry budget without a first attempt', async () => {
    organizations.on(DescribeOrganizationCommand).rejects(organizationsError('AWSOrganizationsNotInUseException'));

    await expect(recordingPolicies().policies.managementAccountId()).rejects.toMatchObject({ name: 'AwsCallError', operation: 'DescribeOrganization', code: 'AWSOrganizationsNotInUseException' });
    expect(() => new OrganizationsResourceControlPolicies(new OrganizationsClient({}), { attempts: 0 })).toThrow(RangeError);
  });
});
