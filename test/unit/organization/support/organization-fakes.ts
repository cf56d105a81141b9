import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeKeyCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  GetBucketEncryptionCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketPolicyCommand,
  ListBucketsCommand,
  S3Client,
  type GetBucketNotificationConfigurationCommandOutput,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { AuditRecorder } from '../../../../functions/audit-encryption/audit-recorder.js';
import { ReportFiles } from '../../../../functions/audit-encryption/report-files.js';
import { buildReportHeader, reportLocation, type ReportHeader } from '../../../../shared/audit/audit-report.js';
import { CHECKS } from '../../../../shared/audit/checks-catalogue.js';
import { makeFinding } from '../../../../shared/audit/checks/make-finding.js';
import { diffFindings, FindingLedger } from '../../../../shared/audit/diff-findings.js';
import type { AccountFinding, Finding, FindingStatus, Severity } from '../../../../shared/audit/finding.js';
import type { AccountClients } from '../../../../functions/audit-encryption/audit-services.js';
import type { AccountAccess, OpenAccountFor } from '../../../../functions/audit-member-account/member-access.js';
import type { MergeRecorder } from '../../../../functions/merge-organization-audit/merge-organization.js';
import { LocalReportSpool } from '../../../../shared/adapters/local-report-spool.js';
import { loadOrganizationAuditConfig, type OrganizationAuditConfig } from '../../../../shared/config/organization-config.js';
import type { MemberDeployment } from '../../../../shared/organization/member-deployment.js';
import type { NotAuditedReason } from '../../../../shared/organization/not-audited-reason.js';
import { organizationRcp, rcpText } from '../../../../shared/prevention/resource-control-policy.js';
import type { MemberDeploymentReader } from '../../../../shared/ports/member-deployment-reader.js';
import type { ReportStore } from '../../../../shared/ports/report-store.js';
import type { OrganizationRoot, ResourceControlPolicies, StoredResourceControlPolicy } from '../../../../shared/ports/resource-control-policies.js';
import { s3Error } from '../../../fixtures/aws-errors.js';
import { previousOf } from '../../../fixtures/whole-report.js';

export const CENTRAL = '999999999999';
export const REPORTS_BUCKET = 'org-reports';
export const REPORTS_KEY = `arn:aws:kms:us-east-1:${CENTRAL}:key/central-reports`;
export const PREFIX = 'encryption-audit/';

/** The organization audit as its functions read it: alias/data is each member's own key. */
export const organizationConfig = (env: Record<string, string> = {}): OrganizationAuditConfig =>
  loadOrganizationAuditConfig(
    {
      AWS_REGION: 'us-east-1',
      REQUIRED_KMS_KEY: 'alias/data',
      REPORTS_BUCKET,
      REPORTS_KMS_KEY_ARN: REPORTS_KEY,
      AUDIT_REGIONS: 'us-east-1,eu-west-1',
      ...env,
    },
    { publishes: false },
  );

export { MemoryReportStore, type StoreEvent } from '../../../fixtures/memory-report-store.js';

let spoolRoot: string | undefined;
/** A spool under this test file's own directory, made on first use. */
export const openSpool = () => new LocalReportSpool({ parent: (spoolRoot ??= mkdtempSync(join(tmpdir(), 'organization-test-'))) });
/** For afterAll: the spools' parent directory, which each run's spool leaves empty. */
export const removeSpools = (): void => {
  if (spoolRoot) rmSync(spoolRoot, { recursive: true, force: true });
  spoolRoot = undefined;
};

export const silentAuditRecorder = (): AuditRecorder => ({
  findingRecorded: () => undefined,
  factsGathered: () => undefined,
  fixAttempted: () => undefined,
  previousReportUnavailable: () => undefined,
  previousDetailsUnavailable: () => undefined,
  reportNotWritten: (what, error) => {
    throw new Error(`${what} not written: ${String(error)}`);
  },
  securityHubImported: () => undefined,
  runCompleted: () => undefined,
});

export interface RecordedMerge extends MergeRecorder {
  readonly notAudited: string[];
  readonly statesNotSaved: string[];
  readonly reportsNotWritten: string[];
}

export const recordingMergeRecorder = (): RecordedMerge => {
  const recorded = { notAudited: [] as string[], statesNotSaved: [] as string[], reportsNotWritten: [] as string[] };
  return {
    ...recorded,
    accountNotAudited: (line) => void recorded.notAudited.push(line.accountId),
    stateNotSaved: (accountId) => void recorded.statesNotSaved.push(accountId),
    reportNotWritten: (what) => void recorded.reportsNotWritten.push(what),
    mergeCompleted: () => undefined,
  };
};

/** Clients that must not be used: the reports owner's, when the store is handed in. */
export const unusedClients: AccountClients = {
  s3In: () => {
    throw new Error('the reports owner’s S3 clients are not used when the store is handed in');
  },
  kmsIn: () => {
    throw new Error('the reports owner’s KMS clients are not used when the store is handed in');
  },
};

export interface FakeBucket {
  readonly name: string;
  readonly region: string;
  /** SSE-KMS under the account's key in the bucket's region (alias/data there), or SSE-S3. */
  readonly encryption: 'required-key' | 'sse-s3';
  readonly notifications: Partial<GetBucketNotificationConfigurationCommandOutput>;
}

export const dataKeyArn = (accountId: string, region: string): string => `arn:aws:kms:${region}:${accountId}:key/data-${region}`;

/** The enforcer queue the member stack creates in a region. */
export const enforcerQueueArn = (accountId: string, region: string): string => `arn:aws:sqs:${region}:${accountId}:s3-encryption-enforcer`;

/**
 * One member account behind its own S3 and KMS clients, each mocked as an instance, so that two
 * accounts' answers cannot be mixed up; `alias/data` names the account's key in each region.
 */
export const memberClients = (accountId: string, buckets: readonly FakeBucket[], options: { readonly listBucketsFails?: Error } = {}): AccountClients => {
  const s3 = new S3Client({ region: 'us-east-1' });
  const s3Mock = mockClient(s3);
  if (options.listBucketsFails) s3Mock.on(ListBucketsCommand).rejects(options.listBucketsFails);
  else s3Mock.on(ListBucketsCommand).resolves({ Buckets: buckets.map(({ name, region }) => ({ Name: name, BucketRegion: region })) });
  for (const bucket of buckets) {
    const rule =
      bucket.encryption === 'required-key'
        ? { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' as const, KMSMasterKeyID: dataKeyArn(accountId, bucket.region) }, BucketKeyEnabled: true, BlockedEncryptionTypes: { EncryptionType: ['SSE-C' as const] } }
        : { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' as const } };
    s3Mock.on(GetBucketEncryptionCommand, { Bucket: bucket.name }).resolves({ ServerSideEncryptionConfiguration: { Rules: [rule] } });
    s3Mock.on(GetBucketNotificationConfigurationCommand, { Bucket: bucket.name }).resolves(bucket.notifications);
  }
  s3Mock.on(GetBucketPolicyCommand).rejects(s3Error('NoSuchBucketPolicy', 404));

  const kms = new Map<string, KMSClient>();
  const kmsIn = (region: string): KMSClient => {
    const existing = kms.get(region);
    if (existing) return existing;
    const client = new KMSClient({ region });
    const arn = dataKeyArn(accountId, region);
    mockClient(client)
      .on(DescribeKeyCommand)
      .callsFake(async (input: { KeyId?: string }) => {
        if (input.KeyId !== 'alias/data' && input.KeyId !== arn) throw Object.assign(new Error(`no key ${input.KeyId}`), { name: 'NotFoundException', $metadata: { httpStatusCode: 400 } });
        return { KeyMetadata: { KeyId: `data-${region}`, Arn: arn, AWSAccountId: accountId, KeyState: 'Enabled', KeyManager: 'CUSTOMER', KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', Origin: 'AWS_KMS' } };
      })
      .on(GetKeyRotationStatusCommand)
      .resolves({ KeyRotationEnabled: true, RotationPeriodInDays: 365 })
      .on(GetKeyPolicyCommand)
      .resolves({ Policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'kms:*', Resource: '*' }] }) });
    kms.set(region, client);
    return client;
  };
  return { s3In: () => s3, kmsIn };
};

/** The member stack, as its SSM parameter says, in the regions given; absent everywhere else. */
export const deployedIn = (accountId: string, regions: readonly string[]): MemberDeploymentReader => ({
  deploymentIn: async (region): Promise<MemberDeployment> =>
    regions.includes(region) ? { kind: 'deployed', region, enforcerQueueArn: enforcerQueueArn(accountId, region), requiredKeyArn: dataKeyArn(accountId, region), version: '1.4.0' } : { kind: 'absent', region },
});

/** How the run reaches each account: open ones with their clients (each `close` counted), refused ones with a reason. */
export const accountsOpenedBy = (
  accounts: Readonly<Record<string, { readonly clients: AccountClients; readonly deployments: MemberDeploymentReader } | { readonly refused: NotAuditedReason }>>,
): { openAccount: OpenAccountFor; closed: Map<string, number> } => {
  const closed = new Map<string, number>();
  const openAccount: OpenAccountFor = async (accountId): Promise<AccountAccess> => {
    const account = accounts[accountId];
    if (!account) throw new Error(`no fake for account ${accountId}`);
    if ('refused' in account) return { kind: 'refused', reason: account.refused };
    return { kind: 'open', clients: account.clients, deployments: account.deployments, close: () => void closed.set(accountId, (closed.get(accountId) ?? 0) + 1) };
  };
  return { openAccount, closed };
};

/**
 * An account's report written as the account audit writes it (ReportFiles, through a spool), with
 * the changes against the previous findings given: for tests that need many accounts' reports
 * without auditing each one.
 */
export const writeAccountReport = async (
  store: ReportStore,
  input: { readonly accountId: string; readonly run: { readonly runId: string; readonly runDate: string; readonly startedAt: string }; readonly findings: readonly AccountFinding[]; readonly previous?: readonly Finding[] | undefined },
): Promise<{ readonly reportKey: string; readonly header: ReportHeader }> => {
  const location = reportLocation(REPORTS_BUCKET, PREFIX, input.run, input.accountId, 'us-east-1', 'aws');
  const changes = diffFindings(input.findings, input.previous?.map(previousOf));
  const ledger = new FindingLedger(undefined);
  input.findings.forEach((finding) => ledger.record(finding));
  const header = buildReportHeader({
    run: { ...input.run, accountId: input.accountId, region: 'us-east-1', requiredKey: { reference: 'alias/data' } },
    location,
    counts: ledger.counts(),
    changes,
    buckets: input.findings.length,
    exemptBuckets: [],
    keys: 0,
  });
  const spool = openSpool();
  try {
    const files = new ReportFiles(spool, { partition: 'aws', time: 0 });
    input.findings.forEach((finding) => files.add(finding));
    await store.write({ key: location.jsonKey, ...files.json(header), contentType: 'application/json', kmsKeyArn: REPORTS_KEY });
  } finally {
    await spool.discard();
  }
  return { reportKey: location.jsonKey, header };
};

export const bucketFinding = (accountId: string, bucket: string, status: FindingStatus, observed = `default encryption of ${bucket}`, severity?: Severity): AccountFinding => ({
  accountId,
  ...makeFinding(CHECKS['s3-default-encryption-kms'], { resource: `arn:aws:s3:::${bucket}`, region: 'us-east-1', status, observed, expected: 'SSE-KMS with the required key', severity }),
});

/** An organization's RCPs and tree as the port answers them; the calls asked of it are kept, and any one can fail. */
export interface FakeRcpOrganization {
  readonly managementAccountId?: string;
  readonly roots?: readonly OrganizationRoot[];
  readonly policies?: readonly (StoredResourceControlPolicy & { readonly targets: readonly string[] })[];
  /** Every OU and account to its parent. */
  readonly parentOf?: Readonly<Record<string, string>>;
  /** The call that fails, and with what. */
  readonly fails?: { readonly call: keyof ResourceControlPolicies; readonly error: Error };
}

export const MANAGEMENT = '100000000000';
export const ROOT = 'r-ab12';

export class FakeResourceControlPolicies implements ResourceControlPolicies {
  readonly calls: string[] = [];
  constructor(private readonly organization: FakeRcpOrganization = {}) {}

  private ask(call: keyof ResourceControlPolicies, argument?: string): void {
    this.calls.push(argument === undefined ? call : `${call} ${argument}`);
    if (this.organization.fails?.call === call) throw this.organization.fails.error;
  }

  async managementAccountId(): Promise<string> {
    this.ask('managementAccountId');
    return this.organization.managementAccountId ?? MANAGEMENT;
  }

  async roots(): Promise<readonly OrganizationRoot[]> {
    this.ask('roots');
    return this.organization.roots ?? [{ id: ROOT, rcpEnabled: true }];
  }

  async policies(): Promise<readonly StoredResourceControlPolicy[]> {
    this.ask('policies');
    return (this.organization.policies ?? []).map(({ id, name, awsManaged, content }) => ({ id, name, awsManaged, content }));
  }

  async targetsOf(policyId: string): Promise<readonly string[]> {
    this.ask('targetsOf', policyId);
    return this.organization.policies?.find((policy) => policy.id === policyId)?.targets ?? [];
  }

  async parentsUnder(rootIds: readonly string[]): Promise<ReadonlyMap<string, string>> {
    this.ask('parentsUnder', rootIds.join(','));
    return new Map(Object.entries(this.organization.parentOf ?? {}));
  }
}

/** Every account straight under the root, RCPs enabled and none with a guarantee attached. */
export const flatOrganization = (accountIds: readonly string[]): FakeResourceControlPolicies =>
  new FakeResourceControlPolicies({ parentOf: Object.fromEntries(accountIds.map((id) => [id, ROOT])) });

/** The organization's RCP, as `enforcer prevention rcp` prints it. */
export const GUARDRAILS_RCP = { id: 'p-guardrails1', name: 's3-encryption-guardrails', awsManaged: false, content: rcpText(organizationRcp({ acceptDsseKms: false })) };

/** Every account straight under the root, the organization's RCP attached to the root: every member covered. */
export const coveredOrganization = (accountIds: readonly string[]): FakeResourceControlPolicies =>
  new FakeResourceControlPolicies({ policies: [{ ...GUARDRAILS_RCP, targets: [ROOT] }], parentOf: Object.fromEntries(accountIds.map((id) => [id, ROOT])) });
