import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../../shared/audit/checks-catalogue.js';
import { findingId } from '../../../shared/audit/finding.js';
import {
  parseRcpCoverage,
  providesAnyGuarantee,
  RCP_COVERAGE_NOT_LISTED,
  rcpCoverageFinding,
  rcpCoverageOf,
  rcpLandscape,
  type GuaranteeingRcp,
  type RcpCoverage,
  type RcpLandscape,
} from '../../../shared/organization/rcp-coverage.js';
import { encryptionDenyStatements, insecureTransportDenyStatement, sseCDenyStatement } from '../../../shared/prevention/guardrail-statements.js';
import { organizationRcp, rcpSemantics } from '../../../shared/prevention/resource-control-policy.js';

const ROOT = 'r-ab12';
const WORKLOADS = 'ou-ab12-workload';
const PAYMENTS = 'ou-ab12-payments';
const MANAGEMENT = '100000000000';
const PAYMENTS_ACCOUNT = '111111111111';
const WORKLOAD_ACCOUNT = '222222222222';
const SANDBOX_ACCOUNT = '333333333333';
const KEY = 'arn:aws:kms:eu-west-1:444444444444:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** root → workloads → payments → 1111…; root → workloads → 2222…; root → 3333… and the management account. */
const TREE = new Map([
  [WORKLOADS, ROOT],
  [PAYMENTS, WORKLOADS],
  [PAYMENTS_ACCOUNT, PAYMENTS],
  [WORKLOAD_ACCOUNT, WORKLOADS],
  [SANDBOX_ACCOUNT, ROOT],
  [MANAGEMENT, ROOT],
]);

const document = (...statements: unknown[]) => ({ Version: '2012-10-17', Statement: statements });
const rcp = (id: string, name: string, content: unknown, targets: readonly string[]): GuaranteeingRcp => ({ id, name, semantics: rcpSemantics(content), targets });

const GUARDRAILS = (targets: readonly string[]) => rcp('p-guardrails', 'guardrails', organizationRcp({ acceptDsseKms: false }), targets);
const TLS_ONLY = (targets: readonly string[]) => rcp('p-tlsonly1', 'tls-only', document(insecureTransportDenyStatement('*')), targets);
/** The encryption Denies without SSE-C. */
const KMS_ONLY = (targets: readonly string[]) => rcp('p-kmsonly1', 'kms-only', document(...encryptionDenyStatements({ resource: '*', acceptDsseKms: false })), targets);
const SSE_C_ONLY = (targets: readonly string[]) => rcp('p-ssecdeny', 'no-sse-c', document(sseCDenyStatement('*')), targets);

const landscape = (...policies: GuaranteeingRcp[]): RcpLandscape => rcpLandscape({ managementAccountId: MANAGEMENT, parentOf: TREE, policies });

const member = (accountId: string) => ({ accountId, name: `team ${accountId}` });

const EXPECTED =
  'RCPs attached to the root, to an OU above the account or to the account itself deny plain HTTP, uploads asking for SSE-S3, uploads under the aws/s3 key and SSE-C uploads';

/** The whole finding, as the merge files it. */
const finding = (accountId: string, fields: { status: string; observed: string; severity?: string; title?: string; remediation?: string }) => ({
  accountId,
  id: findingId('org-rcp-coverage', `AWS::::Account:${accountId}`),
  check: 'org-rcp-coverage',
  severity: fields.severity ?? 'medium',
  status: fields.status,
  resource: `AWS::::Account:${accountId}`,
  resourceType: 'AwsAccount',
  region: 'eu-west-1',
  title: fields.title ?? CHECKS['org-rcp-coverage'].title,
  observed: fields.observed,
  expected: EXPECTED,
  remediation: fields.remediation ?? CHECKS['org-rcp-coverage'].remediation,
  controls: [],
});

describe('rcpCoverageOf and rcpCoverageFinding', () => {
  it('covers an account below the OU the RCP is attached to: every guarantee, the path and where it is attached', () => {
    const coverage = rcpCoverageOf(PAYMENTS_ACCOUNT, landscape(GUARDRAILS([WORKLOADS])));

    expect(coverage).toEqual({
      kind: 'covered',
      path: [ROOT, WORKLOADS, PAYMENTS, PAYMENTS_ACCOUNT],
      attachments: [{ target: WORKLOADS, policies: ['guardrails (p-guardrails)'] }],
      requiredKeys: [],
    });
    expect(rcpCoverageFinding(member(PAYMENTS_ACCOUNT), coverage, 'eu-west-1')).toEqual(
      finding(PAYMENTS_ACCOUNT, {
        status: 'passed',
        observed:
          'RCPs on the path r-ab12 → ou-ab12-workload → ou-ab12-payments → 111111111111 deny plain HTTP, uploads asking for SSE-S3, uploads under the aws/s3 key and SSE-C uploads (attached at ou-ab12-workload: guardrails (p-guardrails))',
      }),
    );
  });

  it('unites the RCPs of the root and the OUs on the path: partially covered names what is missing and where each RCP is attached', () => {
    const partial = landscape(TLS_ONLY([ROOT]), KMS_ONLY([WORKLOADS]));

    const coverage = rcpCoverageOf(PAYMENTS_ACCOUNT, partial);

    expect(coverage).toEqual({
      kind: 'not-covered',
      path: [ROOT, WORKLOADS, PAYMENTS, PAYMENTS_ACCOUNT],
      attachments: [
        { target: ROOT, policies: ['tls-only (p-tlsonly1)'] },
        { target: WORKLOADS, policies: ['kms-only (p-kmsonly1)'] },
      ],
      missing: ['sse-c-denied'],
    });
    expect(rcpCoverageFinding(member(PAYMENTS_ACCOUNT), coverage, 'eu-west-1')).toEqual(
      finding(PAYMENTS_ACCOUNT, {
        status: 'failed',
        observed:
          'no RCP on the path r-ab12 → ou-ab12-workload → ou-ab12-payments → 111111111111 denies SSE-C uploads (RCPs attached on it: r-ab12: tls-only (p-tlsonly1); ou-ab12-workload: kms-only (p-kmsonly1))',
      }),
    );
    // The sandbox, under the root alone, has only what the root's RCP gives.
    expect(rcpCoverageOf(SANDBOX_ACCOUNT, partial)).toEqual({
      kind: 'not-covered',
      path: [ROOT, SANDBOX_ACCOUNT],
      attachments: [{ target: ROOT, policies: ['tls-only (p-tlsonly1)'] }],
      missing: ['kms-required', 'aws-managed-key-denied', 'sse-c-denied'],
    });
    // The union is what covers: an SSE-C Deny on the payments OU completes it there, and only there.
    const completed = landscape(TLS_ONLY([ROOT]), KMS_ONLY([WORKLOADS]), SSE_C_ONLY([PAYMENTS]));
    expect(rcpCoverageOf(PAYMENTS_ACCOUNT, completed)).toMatchObject({ kind: 'covered' });
    expect(rcpCoverageOf(WORKLOAD_ACCOUNT, completed)).toMatchObject({ kind: 'not-covered', missing: ['sse-c-denied'] });
  });

  it('counts an RCP attached to the account itself, for that account alone, and reports the required key', () => {
    const withKey = rcp('p-withkey1', 'guardrails-with-key', organizationRcp({ requiredKeyArn: KEY, acceptDsseKms: false }), [SANDBOX_ACCOUNT]);

    const coverage = rcpCoverageOf(SANDBOX_ACCOUNT, landscape(withKey));

    expect(coverage).toEqual({ kind: 'covered', path: [ROOT, SANDBOX_ACCOUNT], attachments: [{ target: SANDBOX_ACCOUNT, policies: ['guardrails-with-key (p-withkey1)'] }], requiredKeys: [KEY] });
    expect(rcpCoverageFinding(member(SANDBOX_ACCOUNT), coverage, 'eu-west-1').observed).toBe(
      `RCPs on the path r-ab12 → 333333333333 deny plain HTTP, uploads asking for SSE-S3, uploads under the aws/s3 key and SSE-C uploads (attached at 333333333333: guardrails-with-key (p-withkey1)); uploads naming a key other than ${KEY} are denied`,
    );
    expect(rcpCoverageOf(WORKLOAD_ACCOUNT, landscape(withKey))).toEqual({
      kind: 'not-covered',
      path: [ROOT, WORKLOADS, WORKLOAD_ACCOUNT],
      attachments: [],
      missing: ['tls-only', 'kms-required', 'aws-managed-key-denied', 'sse-c-denied'],
    });
    expect(rcpCoverageFinding(member(WORKLOAD_ACCOUNT), rcpCoverageOf(WORKLOAD_ACCOUNT, landscape(withKey)), 'eu-west-1').observed).toBe(
      'no RCP on the path r-ab12 → ou-ab12-workload → 222222222222 denies plain HTTP, uploads asking for SSE-S3, uploads under the aws/s3 key or SSE-C uploads (no RCP that denies any of them is attached on it)',
    );
  });

  it('never covers the management account, even under an RCP at the root: informational (no RCP could ever fix it), and its buckets rely on bucket policies', () => {
    const coverage = rcpCoverageOf(MANAGEMENT, landscape(GUARDRAILS([ROOT, MANAGEMENT])));

    expect(coverage).toEqual({ kind: 'management-account' });
    expect(rcpCoverageFinding(member(MANAGEMENT), coverage, 'eu-west-1')).toEqual(
      finding(MANAGEMENT, {
        status: 'informational',
        severity: 'informational',
        observed: 'the management account: Resource Control Policies never apply to its resources, whatever is attached to the root or to the account',
        remediation:
          'RCPs cannot protect the management account: its buckets rely on their bucket policies. Give each the Deny statements of s3-policy-denies-wrong-key and s3-tls-only-policy (see their remediation) and block SSE-C (s3-sse-c-blocked), and keep workloads and data out of the management account.',
      }),
    );
    // The management account comes first, whatever else is known.
    expect(rcpCoverageOf(MANAGEMENT, { kind: 'not-enabled', managementAccountId: MANAGEMENT, roots: [ROOT] })).toEqual({ kind: 'management-account' });
    expect(rcpCoverageOf(MANAGEMENT, { kind: 'unreadable', managementAccountId: MANAGEMENT, failure: { operation: 'ListRoots', code: 'AccessDeniedException', message: 'no' } })).toEqual({
      kind: 'management-account',
    });
  });

  it('with RCPs not enabled on the root, fails every member saying so, with how to enable them', () => {
    const coverage = rcpCoverageOf(PAYMENTS_ACCOUNT, { kind: 'not-enabled', managementAccountId: MANAGEMENT, roots: [ROOT] });

    expect(coverage).toEqual({ kind: 'not-enabled', roots: [ROOT] });
    expect(rcpCoverageFinding(member(PAYMENTS_ACCOUNT), coverage, 'eu-west-1')).toEqual(
      finding(PAYMENTS_ACCOUNT, {
        status: 'failed',
        observed: 'Resource Control Policies are not enabled on the root r-ab12: no RCP applies to any account',
        remediation: `Enable RCPs on the root (aws organizations enable-policy-type --root-id r-ab12 --policy-type RESOURCE_CONTROL_POLICY), then p${CHECKS['org-rcp-coverage'].remediation.slice(1)}`,
      }),
    );
  });

  it('when the RCPs could not be read, is an error naming the call and the error, the same text night after night', () => {
    const failure = { operation: 'ListTargetsForPolicy', code: 'TooManyRequestsException', message: 'ListTargetsForPolicy failed: TooManyRequestsException (HTTP 400): still throttled after 8 attempts: Rate exceeded' };

    const coverage = rcpCoverageOf(PAYMENTS_ACCOUNT, { kind: 'unreadable', managementAccountId: MANAGEMENT, failure });

    expect(coverage).toEqual({ kind: 'unreadable', ...failure });
    expect(rcpCoverageFinding(member(PAYMENTS_ACCOUNT), coverage, 'eu-west-1')).toEqual(
      finding(PAYMENTS_ACCOUNT, {
        status: 'error',
        observed: "the organization's RCPs could not be read: ListTargetsForPolicy failed with TooManyRequestsException",
        title: `${CHECKS['org-rcp-coverage'].title}: could not be checked (${failure.message})`,
        remediation:
          "Let the organization audit's list function (or the CLI's caller) call organizations:ListTargetsForPolicy, from the management account or a delegated administrator (it failed with TooManyRequestsException), then the check can run.",
      }),
    );
  });

  it('an account the walk did not find under any root or OU is an error, not a silently uncovered account', () => {
    expect(rcpCoverageOf('555555555555', landscape(GUARDRAILS([ROOT])))).toEqual({
      kind: 'unreadable',
      operation: 'ListAccountsForParent',
      code: 'AccountNotInTree',
      message: 'the account was under no root or OU when the organization was walked (it may have joined or moved meanwhile)',
    });
    const loop = rcpLandscape({ managementAccountId: MANAGEMENT, parentOf: new Map([['666666666666', 'ou-ab12-a'], ['ou-ab12-a', 'ou-ab12-b'], ['ou-ab12-b', 'ou-ab12-a']]), policies: [] });
    expect(rcpCoverageOf('666666666666', loop)).toMatchObject({ kind: 'unreadable', code: 'TreeLoop' });
  });

  it('ignores an RCP that denies nothing (RCPFullAWSAccess), and lists each RCP of a target once, in name order', () => {
    const fullAccess = rcpSemantics(document({ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }));
    expect(providesAnyGuarantee(fullAccess)).toBe(false);
    expect(providesAnyGuarantee(rcpSemantics(document(sseCDenyStatement('*'))))).toBe(true);

    const coverage = rcpCoverageOf(SANDBOX_ACCOUNT, landscape(TLS_ONLY([ROOT, ROOT]), GUARDRAILS([ROOT])));
    expect(coverage).toMatchObject({ kind: 'covered', attachments: [{ target: ROOT, policies: ['guardrails (p-guardrails)', 'tls-only (p-tlsonly1)'] }] });
  });
});

describe('parseRcpCoverage', () => {
  const every: RcpCoverage[] = [
    { kind: 'covered', path: [ROOT, PAYMENTS_ACCOUNT], attachments: [{ target: ROOT, policies: ['guardrails (p-guardrails)'] }], requiredKeys: [KEY] },
    { kind: 'not-covered', path: [ROOT, PAYMENTS_ACCOUNT], attachments: [], missing: ['tls-only', 'sse-c-denied'] },
    { kind: 'management-account' },
    { kind: 'not-enabled', roots: [ROOT] },
    { kind: 'unreadable', operation: 'ListPolicies', code: 'AccessDeniedException', message: 'no' },
  ];

  it('reads back every kind as the listing carries it', () => {
    for (const coverage of every) expect(parseRcpCoverage(JSON.parse(JSON.stringify(coverage)))).toEqual(coverage);
  });

  it('refuses what is not a coverage, so the merge reports the account as not readable instead', () => {
    for (const value of [undefined, null, 'covered', [], { kind: 'covered', path: [ROOT] }, { kind: 'not-covered', path: [], attachments: [], missing: ['everything'] }, { kind: 'unreadable', operation: 'x' }, { kind: 'other' }]) {
      expect(parseRcpCoverage(value), JSON.stringify(value)).toBeUndefined();
    }
    expect(rcpCoverageFinding(member(PAYMENTS_ACCOUNT), RCP_COVERAGE_NOT_LISTED, 'eu-west-1')).toMatchObject({
      status: 'error',
      observed: "the organization's RCPs could not be read: ListAccounts failed with CoverageNotListed",
    });
  });
});
