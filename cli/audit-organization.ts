import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { LocalReportSpool } from '../shared/adapters/local-report-spool.js';
import { OrganizationsAccountLister } from '../shared/adapters/organizations-account-lister.js';
import { OrganizationsResourceControlPolicies } from '../shared/adapters/organizations-resource-control-policies.js';
import { S3ReportStore } from '../shared/adapters/s3-report-store.js';
import { SNS_MESSAGE_BUDGET_BYTES, SnsNotificationPublisher, snsMessageBytes } from '../shared/adapters/sns-notification-publisher.js';
import { StsRoleAssumer } from '../shared/adapters/sts-role-assumer.js';
import { toAwsCallError } from '../shared/adapters/aws-error.js';
import { consoleHostOf } from '../shared/audit/audit-report.js';
import { fixTarget } from '../shared/audit/plan-fixes.js';
import { compareFindings, isFailing, type AccountFinding } from '../shared/audit/finding.js';
import {
  CLIENT_SETTINGS,
  createRegionalKmsClients,
  createRegionalS3Clients,
  createRegionalSsmClients,
  createSnsClient,
  createStsClient,
} from '../shared/aws/aws-clients.js';
import { securityHubImporter } from '../shared/aws/security-hub-importer.js';
import { loadOrganizationAuditConfig, type OrganizationAuditConfig } from '../shared/config/organization-config.js';
import { NO_FIXES } from '../shared/config/parse-policy.js';
import { partitionOf } from '../shared/core/key-reference.js';
import { mapBounded } from '../shared/core/run-bounded.js';
import { parseMemberAccount, type MemberAccount } from '../shared/organization/account-result.js';
import { organizationRun, organizationRunLayout } from '../shared/organization/organization-run.js';
import type { AccountLine } from '../shared/organization/organization-tally.js';
import type { Notification, NotificationPublisher } from '../shared/ports/notification-publisher.js';
import type { ReportStore } from '../shared/ports/report-store.js';
import type { AuditRecorder } from '../functions/audit-encryption/audit-recorder.js';
import { auditMember, recordResult, type MemberAuditDependencies } from '../functions/audit-member-account/audit-member.js';
import { openAccountWith } from '../functions/audit-member-account/member-access.js';
import { listOrganizationAccounts } from '../functions/list-organization-accounts/list-accounts.js';
import { mergeOrganization, type MergeOutcome, type MergeRecorder } from '../functions/merge-organization-audit/merge-organization.js';
import { DirectoryReportStore, LOCAL_REPORTS } from './directory-report-store.js';
import { HtmlCopyStore } from './html-copy-store.js';
import type { CliIo } from './cli-io.js';
import { UsageError } from './cli-errors.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { ProgressBar } from './progress-bar.js';
import { formatCount, renderTable } from './text-table.js';
import { securityHubLine } from './security-hub-outcome.js';

export interface OrganizationRunOptions {
  readonly json: boolean;
  readonly all: boolean;
  readonly publish: boolean;
  readonly applyFixes: boolean;
  /** Import each account's findings into its own Security Hub CSPM, through the member role. */
  readonly securityHub: boolean;
  /** Where to write the organization's HTML page too. */
  readonly htmlFile?: string | undefined;
  /** Accounts audited at once (the Distributed Map's MaxConcurrency, in process). */
  readonly accountConcurrency: number;
}


const organizationRecorder = (warn: (line: string) => void) => {
  // Findings are read back from the organization report once it is merged, not kept as they come.
  const audit: AuditRecorder = {
    findingRecorded: () => undefined,
    factsGathered: () => undefined,
    fixAttempted: (result) => warn(`fix ${result.outcome}: ${fixTarget(result.plan)}${result.outcome === 'failed' || result.outcome === 'refused' ? ` (${result.error})` : ''}`),
    previousDetailsUnavailable: () => undefined,
    previousReportUnavailable: () => undefined,
    reportNotWritten: (what, error) => warn(`${what} not written: ${error instanceof Error ? error.message : String(error)}`),
    securityHubImported: (outcome) => {
      if (outcome.kind !== 'imported' || outcome.failed > 0) warn(securityHubLine(outcome));
    },
    runCompleted: () => undefined,
  };
  const merge: MergeRecorder = {
    accountNotAudited: () => undefined,
    reportNotWritten: (what, error) => warn(`${what} not written: ${error instanceof Error ? error.message : String(error)}`),
    stateNotSaved: (accountId, error) => warn(`state of ${accountId} not saved: ${error instanceof Error ? error.message : String(error)}`),
    mergeCompleted: () => undefined,
  };
  return { audit, merge };
};

/** Every account line and every finding of the organization report, read back from where the merge wrote it. */
const readOrganizationReport = async (store: ReportStore, key: string): Promise<{ accounts: AccountLine[]; findings: AccountFinding[] }> => {
  const lines = await store.readLines(key);
  if (!lines) return { accounts: [], findings: [] };
  const accounts: AccountLine[] = [];
  const findings: AccountFinding[] = [];
  let section: 'header' | 'accounts' | 'findings' = 'header';
  for await (const line of lines) {
    if (line === '"accounts":[') section = 'accounts';
    else if (line === '"findings":[') section = 'findings';
    else if (line.startsWith('{') && section !== 'header') {
      const value = JSON.parse(line.endsWith(',') ? line.slice(0, -1) : line) as AccountLine & AccountFinding;
      if (section === 'accounts') accounts.push(value);
      else findings.push(value);
    }
  }
  return { accounts, findings };
};

/**
 * `enforcer audit --organization`: the organization audit's steps in process — list the accounts,
 * audit each (a bounded number at once) with that account's own clients, merge — with the
 * caller's standard credential chain, which must be the management account or a delegated
 * administrator. Exit 1 when anything fails, an account not audited included.
 */
export const runOrganizationAudit = async (env: Record<string, string | undefined>, options: OrganizationRunOptions, io: CliIo): Promise<ExitCode> => {
  const warn = (line: string): void => void io.stderr.write(`enforcer audit: ${line}\n`);
  const localDirectory = env['REPORTS_BUCKET'] ? undefined : await mkdtemp(join(tmpdir(), 'enforcer-organization-'));
  if (!localDirectory && !env['REPORTS_KMS_KEY_ARN']) throw new UsageError('--reports-bucket needs --reports-key ARN: the KMS key the reports bucket encrypts reports under', 'audit');
  const config: OrganizationAuditConfig = loadOrganizationAuditConfig(
    localDirectory ? { ...env, REPORTS_BUCKET: LOCAL_REPORTS.bucket, REPORTS_KMS_KEY_ARN: LOCAL_REPORTS.keyArn } : env,
    { publishes: options.publish },
  );
  // As for one account, the CLI only reads unless asked to apply the fixes POLICY turns on.
  const settings = {
    ...config,
    audit: {
      ...config.audit,
      audit: { ...config.audit.audit, fixes: options.applyFixes ? config.audit.audit.fixes : NO_FIXES, securityHub: config.audit.audit.securityHub || options.securityHub },
    },
  };
  const { aws } = config.audit;
  const home = aws.region;
  const caller = { s3In: createRegionalS3Clients(aws), kmsIn: createRegionalKmsClients(aws), ssmIn: createRegionalSsmClients(aws), securityHub: securityHubImporter(aws) };
  const sts = createStsClient(aws);
  const organizations = new OrganizationsClient({ region: home, ...CLIENT_SETTINGS, maxAttempts: 1 });
  const sns = options.publish && config.findingsTopicArn ? createSnsClient(aws, config.findingsTopicArn) : undefined;
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({})).catch((error: unknown) => {
      throw toAwsCallError('GetCallerIdentity', error);
    });
    const callerAccountId = identity.Account ?? '';
    const run = organizationRun(io.now());
    const filed: ReportStore = localDirectory ? new DirectoryReportStore(localDirectory) : new S3ReportStore(caller.s3In(home), config.reportsBucket, callerAccountId);
    const pageKey = organizationRunLayout(config.audit.reportsPrefix, run).reportHtmlKey;
    const htmlCopy = options.htmlFile ? new HtmlCopyStore(filed, (key) => key === pageKey, options.htmlFile) : undefined;
    const store: ReportStore = htmlCopy ?? filed;
    const recorders = organizationRecorder(warn);

    const listing = await listOrganizationAccounts(
      {
        lister: new OrganizationsAccountLister(organizations),
        resourceControlPolicies: new OrganizationsResourceControlPolicies(organizations),
        partition: partitionOf(home),
        store,
        reportsBucket: config.reportsBucket,
        reportsPrefix: config.audit.reportsPrefix,
        reportsKmsKeyArn: config.reportsKmsKeyArn,
        scope: config.scope,
      },
      run,
    );
    // The accounts as the Distributed Map reads them.
    const items: string[] = [];
    for await (const line of (await store.readLines(listing.accounts.key)) ?? []) items.push(line);
    const accounts = (JSON.parse(items.join('\n')) as unknown[]).map(parseMemberAccount);

    const deps: MemberAuditDependencies = {
      config: settings,
      reportsOwner: { accountId: callerAccountId, clients: caller },
      openAccount: openAccountWith({
        aws,
        callerAccountId,
        callerClients: caller,
        assumer: new StsRoleAssumer(sts, { roleName: config.memberRoleName, partition: partitionOf(home), sessionName: 'enforcer-cli-audit' }),
        parameterName: config.memberParameterName,
      }),
      store,
      recorder: recorders.audit,
      openSpool: () => new LocalReportSpool(),
    };
    const progress = new ProgressBar(io.stderr, 'auditing accounts');
    let done = 0;
    let notAudited = 0;
    await mapBounded(accounts, options.accountConcurrency, async (account: MemberAccount) => {
      const result = await auditMember(deps, run, account);
      await recordResult(deps, run, result);
      done += 1;
      if (result.status === 'not-audited') notAudited += 1;
      progress.update({ done, listed: accounts.length, listingComplete: true, detail: notAudited > 0 ? `${notAudited} not audited` : '' });
    });
    progress.finish();

    const held: Notification[] = [];
    const publisher: NotificationPublisher = sns && config.findingsTopicArn ? new SnsNotificationPublisher(sns, config.findingsTopicArn) : { publish: async (notification) => void held.push(notification) };
    const outcome: MergeOutcome = await mergeOrganization(
      {
        store,
        reports: { bucket: config.reportsBucket, prefix: config.audit.reportsPrefix, kmsKeyArn: config.reportsKmsKeyArn, consoleHost: consoleHostOf(partitionOf(home)) },
        callerAccountId,
        homeRegion: home,
        publisher,
        measure: snsMessageBytes,
        budgetBytes: SNS_MESSAGE_BUDGET_BYTES,
        recorder: recorders.merge,
        openSpool: () => new LocalReportSpool(),
        concurrency: config.audit.concurrency,
      },
      run,
    );
    const report = await readOrganizationReport(store, organizationRunLayout(config.audit.reportsPrefix, run).reportJsonKey);
    const findings = report.findings.sort(compareFindings);
    const failing = findings.filter((finding) => isFailing(finding.status));
    const kept = localDirectory ? undefined : outcome.report;

    if (options.json) {
      const document = {
        organization: { runId: run.runId, callerAccountId, region: home, ...(kept ? { report: kept } : {}) },
        accounts: report.accounts.map((line) => ({ accountId: line.accountId, name: line.name, status: line.status, ...(line.status !== 'audited' && line.reason ? { reason: line.reason } : {}), ...(line.reasonCode ? { reasonCode: line.reasonCode } : {}) })),
        findings,
        outcome: { ...outcome, ...(kept ? {} : { report: undefined }), published: options.publish ? outcome.notifications : 0 },
      };
      io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    } else {
      const { accounts: counts } = outcome;
      io.stdout.write(
        `Encryption audit of the organization from account ${callerAccountId} in ${home}: ${formatCount(counts.listed)} account(s), ${formatCount(counts.audited)} audited, ${formatCount(counts.notAudited)} not audited, ${formatCount(counts.skipped)} skipped\n` +
          `${formatCount(failing.length)} failing finding(s) in all\n`,
      );
      const unaudited = report.accounts.filter((line) => line.status !== 'audited');
      if (unaudited.length > 0) {
        const maxWidth = io.stdout.isTTY ? io.stdout.columns : undefined;
        io.stdout.write(`\n${renderTable(['ACCOUNT', 'NAME', 'STATUS', 'REASON'], unaudited.map((line) => [line.accountId, line.name, line.status, line.reason ?? '']), { maxWidth })}\n`);
      }
      const shown = options.all ? findings : failing;
      if (shown.length > 0) {
        const maxWidth = io.stdout.isTTY ? io.stdout.columns : undefined;
        io.stdout.write(`\n${renderTable(['ACCOUNT', 'SEVERITY', 'STATUS', 'CHECK', 'RESOURCE', 'OBSERVED'], shown.map((finding) => [finding.accountId, finding.severity, finding.status, finding.check, finding.resource, finding.observed]), { maxWidth })}\n`);
      }
      io.stdout.write(`\n${options.publish ? `Published ${outcome.notifications} message(s) to ${config.findingsTopicArn}.` : 'Not published: pass --publish to send the on-call summary to FINDINGS_TOPIC_ARN.'}\n`);
      io.stdout.write(`${kept ? `Report: ${kept}` : 'Report not kept: pass --reports-bucket BUCKET and --reports-key ARN to keep it and compare with the next run.'}\n`);
      if (htmlCopy?.copiedKey) io.stdout.write(`HTML report: ${options.htmlFile}\n`);
    }
    if (options.htmlFile && !htmlCopy?.copiedKey) warn(`the organization's HTML report was not written to ${options.htmlFile}${htmlCopy?.copyError ? ` (${htmlCopy.copyError})` : outcome.reportError ? ` (${outcome.reportError})` : ''}`);
    return failing.length > 0 || outcome.accounts.notAudited > 0 ? EXIT.findings : EXIT.compliant;
  } finally {
    sns?.destroy();
    sts.destroy();
    caller.securityHub.destroy();
    organizations.destroy();
    if (localDirectory) await rm(localDirectory, { recursive: true, force: true });
  }
};
