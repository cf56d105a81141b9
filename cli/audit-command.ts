import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalReportSpool } from '../shared/adapters/local-report-spool.js';
import { S3ReportStore } from '../shared/adapters/s3-report-store.js';
import { SnsNotificationPublisher } from '../shared/adapters/sns-notification-publisher.js';
import { compareFindings, isFailing, SEVERITIES, type Finding } from '../shared/audit/finding.js';
import { fixRecordOf, fixTarget } from '../shared/audit/plan-fixes.js';
import { createRegionalKmsClients, createRegionalS3Clients, createSnsClient } from '../shared/aws/aws-clients.js';
import { securityHubImporter } from '../shared/aws/security-hub-importer.js';
import { loadAuditConfig, type AuditRunSettings } from '../shared/config/audit-config.js';
import type { Notification, NotificationPublisher } from '../shared/ports/notification-publisher.js';
import { auditAccount, type AuditOutcome } from '../functions/audit-encryption/audit-account.js';
import { announceOnSns, auditServices, type AccountClients } from '../functions/audit-encryption/audit-services.js';
import type { AuditRecorder } from '../functions/audit-encryption/audit-recorder.js';
import { runOrganizationAudit } from './audit-organization.js';
import { UsageError } from './cli-errors.js';
import { commandEnvironment, connectionOverrides } from './cli-environment.js';
import { DirectoryReportStore, LOCAL_REPORTS } from './directory-report-store.js';
import { HtmlCopyStore } from './html-copy-store.js';
import type { CliIo } from './cli-io.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, parseCommandLine, parseConcurrency } from './cli-options.js';
import { resolveAccountId, withResolvedRegion } from './cli-services.js';
import type { Command } from './command.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { formatCount, renderTable } from './text-table.js';
import { securityHubLine } from './security-hub-outcome.js';

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  json: { type: 'boolean' },
  all: { type: 'boolean' },
  publish: { type: 'boolean' },
  'topic-arn': { type: 'string' },
  'reports-bucket': { type: 'string' },
  'account-id': { type: 'string' },
  'apply-fixes': { type: 'boolean' },
  concurrency: { type: 'string' },
  organization: { type: 'boolean' },
  'role-name': { type: 'string' },
  accounts: { type: 'string' },
  ous: { type: 'string' },
  regions: { type: 'string' },
  'reports-key': { type: 'string' },
  'security-hub': { type: 'boolean' },
  html: { type: 'string' },
} as const;

const HELP = `Usage: enforcer audit [options]

The nightly audit, on demand, with the audit function's own code: bucket default encryption,
bucket policies, notification wiring to the enforcer, and the KMS keys behind them. Prints the
failing findings as a table (all of them with --all), or everything as JSON.

Options:
  --json                  the outcome and every finding as one JSON document
  --all                   list passing and informational findings too
  --publish               send the on-call summary to FINDINGS_TOPIC_ARN (without it, nothing is sent)
  --topic-arn ARN         FINDINGS_TOPIC_ARN, for --publish
  --reports-bucket NAME   write the JSON and Markdown reports there, and compare with its previous
                          report (latest.json, which this run then replaces: the nightly run will
                          compare with it). REPORTS_BUCKET alone is not used by the CLI.
  --apply-fixes           apply the fixes POLICY.audit.fixes turns on, as the nightly run does;
                          without it the audit only reads, and shows each of those fixes as
                          planned on stderr (a bucket policy fix with the exact policy it writes)
  --security-hub          import the findings into Security Hub CSPM in the audited account, in
                          each finding's region (as POLICY.audit.securityHub does for the nightly run)
  --html FILE             write the run's HTML report to FILE too (a self-contained page: no script,
                          no external resource); with --organization, the organization's page
  --account-id ID         the account audited (default: from the credentials, else from KMS aliases)
  --concurrency N         buckets and keys inspected at once, 1-64 (AUDIT_CONCURRENCY, default 8)

Organization (run from the management account or a delegated administrator):
  --organization          audit every ACTIVE account of the organization: list the accounts, audit
                          each with its own credentials (the member role; the caller's own account
                          with the caller's credentials), merge into one report and one summary.
                          Exit 1 also when an account could not be audited.
  --role-name NAME        MEMBER_ROLE_NAME: the member template's audit role (default
                          s3-encryption-enforcer-audit)
  --accounts ID,...       ORGANIZATION_ACCOUNTS: only these accounts
  --ous ID,...            ORGANIZATION_OUS: only the accounts under these OUs (ou-…) or roots (r-…)
  --regions R1,R2,...     AUDIT_REGIONS: where the member template is deployed (default: --region)
  --concurrency N         with --organization: accounts audited at once, 1-64 (default 4)
  --reports-key ARN       with --organization and --reports-bucket: REPORTS_KMS_KEY_ARN, the key
                          reports are encrypted under; without --reports-bucket the run's files go
                          to a temporary directory and are removed
${CONNECTION_HELP}

ENFORCER_QUEUE_ARN, ENFORCER_FUNCTION_ARN and ENFORCER_TOPIC_ARN say where real-time enforcement
listens, as for the audit function. Without --reports-bucket every failing finding counts as new.

Exit codes: 0 no failing findings, 1 failing findings, 2 usage or configuration error,
3 an AWS call failed (the buckets cannot be listed, the summary cannot be published).`;


/** Keeps what the run found for the CLI to print; reports problems on stderr as they happen. */
const cliRecorder = (warn: (line: string) => void, reportsRequested: boolean) => {
  const collected: { findings: Finding[] } = { findings: [] };
  const recorder: AuditRecorder = {
    findingRecorded(finding) {
      collected.findings.push(finding);
    },
    factsGathered: () => undefined,
    fixAttempted(result) {
      const record = fixRecordOf(result);
      warn(`${record.action} ${fixTarget(result.plan)}: ${record.outcome}${record.error ? ` (${record.error})` : ` (${record.before} → ${record.after})`}`);
      // The exact document, as it is (or would be) written: what a reviewer approves before --apply-fixes.
      if (result.plan.kind === 'put-bucket-policy' && (result.outcome === 'planned' || result.outcome === 'applied')) warn(`  policy: ${result.plan.policy}`);
    },
    previousDetailsUnavailable(reason) {
      warn(`the previous findings that changed or resolved could not be read back (${reason})`);
    },
    previousReportUnavailable(reason) {
      if (reportsRequested) warn(`no previous report to compare with (${reason}): every failing finding counts as new`);
    },
    reportNotWritten(what, error) {
      warn(`${what} not written: ${error instanceof Error ? error.message : String(error)}`);
    },
    securityHubImported(outcome) {
      warn(securityHubLine(outcome));
    },
    runCompleted: () => undefined,
  };
  return { recorder, collected };
};

const summaryLine = (outcome: AuditOutcome, accountId: string, region: string, findings: readonly Finding[]): string => {
  const failing = findings.filter((finding) => isFailing(finding.status));
  const planned = failing.filter((finding) => finding.fix?.outcome === 'planned').length;
  const bySeverity = SEVERITIES.flatMap((severity) => {
    const n = failing.filter((finding) => finding.severity === severity).length;
    return n > 0 ? [`${n} ${severity}`] : [];
  });
  return [
    `Encryption audit of account ${accountId} in ${region}: ${formatCount(outcome.buckets)} bucket(s), ${formatCount(outcome.keys)} key(s)`,
    `${formatCount(failing.length)} failing${bySeverity.length > 0 ? ` (${bySeverity.join(', ')})` : ''} · ${formatCount(outcome.findings.passed)} passed · ${formatCount(outcome.findings.fixed)} fixed · changes: ${outcome.changes.new} new, ${outcome.changes.changed} changed, ${outcome.changes.resolved} resolved`,
    ...(planned > 0 ? [`${formatCount(planned)} failing finding(s) have a fix planned (shown above on stderr): run again with --apply-fixes to apply them`] : []),
  ].join('\n');
};

/** `--html FILE`, relative to the working directory. */
const htmlFileOf = (value: string | undefined, cwd: string): string | undefined => {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new UsageError('--html needs a file name', 'audit');
  return resolve(cwd, value);
};

/** An account's page among the files a run writes. */
const isAccountPage = (key: string): boolean => /\/encryption-audit-[^/]+\.html$/.test(key);


/** The audit's settings, and the topic when the run publishes: FINDINGS_TOPIC_ARN is read, and required, only then. */
const loadForRun = (env: Readonly<Record<string, string | undefined>>, publish: boolean): { config: AuditRunSettings; topicArn: string | undefined } => {
  if (!publish) return { config: loadAuditConfig(env, { publishes: false }), topicArn: undefined };
  const { findingsTopicArn, ...config } = loadAuditConfig(env);
  return { config, topicArn: findingsTopicArn };
};

export const auditCommand: Command = {
  name: 'audit',
  summary: 'the nightly audit, on demand: findings as a table, or --json',
  help: HELP,
  async run(argv: readonly string[], io: CliIo): Promise<ExitCode> {
    const { values } = parseCommandLine('audit', () => parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: false, strict: true }));
    if (values.help) {
      io.stdout.write(`${HELP}\n`);
      return EXIT.compliant;
    }
    const concurrency = parseConcurrency(values.concurrency, 'audit');
    const publish = values.publish === true;
    if (values.organization) {
      const env = commandEnvironment(io.env, {
        ...connectionOverrides(values, 'audit', io.cwd),
        ...(values['topic-arn'] !== undefined ? { FINDINGS_TOPIC_ARN: values['topic-arn'] } : {}),
        REPORTS_BUCKET: values['reports-bucket'],
        REPORTS_KMS_KEY_ARN: values['reports-key'],
        ...(values['role-name'] !== undefined ? { MEMBER_ROLE_NAME: values['role-name'] } : {}),
        ...(values.accounts !== undefined ? { ORGANIZATION_ACCOUNTS: values.accounts } : {}),
        ...(values.ous !== undefined ? { ORGANIZATION_OUS: values.ous } : {}),
        ...(values.regions !== undefined ? { AUDIT_REGIONS: values.regions } : {}),
      });
      const options = {
        json: values.json === true,
        all: values.all === true,
        publish,
        applyFixes: values['apply-fixes'] === true,
        securityHub: values['security-hub'] === true,
        accountConcurrency: Number(concurrency ?? 4),
        htmlFile: htmlFileOf(values.html, io.cwd),
      };
      return runOrganizationAudit(await withResolvedRegion(env), options, io);
    }
    for (const flag of ['role-name', 'accounts', 'ous', 'regions', 'reports-key'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} applies to --organization only`, 'audit');
    }
    const env = commandEnvironment(io.env, {
      ...connectionOverrides(values, 'audit', io.cwd),
      ...(concurrency ? { AUDIT_CONCURRENCY: concurrency } : {}),
      ...(values['topic-arn'] !== undefined ? { FINDINGS_TOPIC_ARN: values['topic-arn'] } : {}),
      REPORTS_BUCKET: values['reports-bucket'],
    });
    const resolved = await withResolvedRegion(env);
    const { config, topicArn } = loadForRun(resolved, publish);
    const htmlFile = htmlFileOf(values.html, io.cwd);
    // --html without a reports bucket: the run files its reports in a temporary directory, removed at the end.
    const localDirectory = htmlFile && !config.reportsBucket ? await mkdtemp(join(tmpdir(), 'enforcer-audit-')) : undefined;
    const s3In = createRegionalS3Clients(config.aws);
    const kmsIn = createRegionalKmsClients(config.aws);
    const sns = topicArn ? createSnsClient(config.aws, topicArn) : undefined;
    const securityHub = securityHubImporter(config.aws);
    const warn = (line: string): void => {
      io.stderr.write(`enforcer audit: ${line}\n`);
    };
    try {
      const home = config.aws.region;
      const accountId = await resolveAccountId(values['account-id'], s3In(home), kmsIn(home));
      const { recorder, collected } = cliRecorder(warn, config.reportsBucket !== undefined);
      const held: Notification[] = [];
      const publisher: NotificationPublisher =
        sns && topicArn
          ? new SnsNotificationPublisher(sns, topicArn)
        : {
            publish: async (notification) => {
              held.push(notification);
            },
          };
      // The CLI audits the account its credentials belong to, and keeps reports there.
      const clients: AccountClients = { s3In, kmsIn, securityHub };
      const bucketStore = config.reportsBucket ? new S3ReportStore(s3In(home), config.reportsBucket, accountId) : undefined;
      const innerStore = localDirectory ? new DirectoryReportStore(localDirectory) : bucketStore;
      const htmlCopy = htmlFile && innerStore ? new HtmlCopyStore(innerStore, isAccountPage, htmlFile) : undefined;
      const deps = auditServices({
        settings: localDirectory ? { ...config, reportsBucket: LOCAL_REPORTS.bucket } : config,
        audited: { accountId, clients },
        reportsOwner: { accountId, clients },
        ending: announceOnSns(publisher),
        recorder,
        openSpool: () => new LocalReportSpool(),
        auditSettings: {
          ...config.audit,
          securityHub: config.audit.securityHub || values['security-hub'] === true,
        },
        // Without --apply-fixes the fixes POLICY turns on are planned and shown, never written.
        fixMode: values['apply-fixes'] ? 'apply' : 'plan',
        reportStore: htmlCopy ?? innerStore,
        ...(localDirectory ? { reportsKmsKeyArn: LOCAL_REPORTS.keyArn, transientReports: true } : {}),
      });
      const outcome = await auditAccount(deps, io.now());
      if (htmlFile && !htmlCopy?.copiedKey) warn(`the HTML report was not written to ${htmlFile}${htmlCopy?.copyError ? ` (${htmlCopy.copyError})` : outcome.reportError ? ` (${outcome.reportError})` : ''}`);
      const findings = [...collected.findings].sort(compareFindings);
      const failing = findings.filter((finding) => isFailing(finding.status));

      if (values.json) {
        const kept = localDirectory ? { ...outcome, report: undefined, reportKey: undefined } : outcome;
        io.stdout.write(`${JSON.stringify({ accountId, region: home, outcome: kept, published: publish ? outcome.notifications : 0, ...(htmlCopy?.copiedKey ? { html: htmlFile } : {}), findings }, null, 2)}\n`);
      } else {
        const shown = values.all ? findings : failing;
        io.stdout.write(`${summaryLine(outcome, accountId, home, findings)}\n`);
        if (shown.length > 0) {
          const rows = shown.map((finding) => [finding.severity, finding.status, finding.check, finding.resource, finding.observed]);
          const maxWidth = io.stdout.isTTY ? io.stdout.columns : undefined;
          io.stdout.write(`\n${renderTable(['SEVERITY', 'STATUS', 'CHECK', 'RESOURCE', 'OBSERVED'], rows, { maxWidth })}\n`);
        }
        io.stdout.write(
          `\n${publish ? `Published ${outcome.notifications} message(s) to ${topicArn}.` : 'Not published: pass --publish to send the on-call summary to FINDINGS_TOPIC_ARN.'}\n`,
        );
        io.stdout.write(
          `${outcome.report && !localDirectory ? `Report: ${outcome.report}` : outcome.reportError ? `Report not written: ${outcome.reportError}` : 'Report not kept: pass --reports-bucket BUCKET to keep one.'}\n`,
        );
        if (htmlCopy?.copiedKey) io.stdout.write(`HTML report: ${htmlFile}\n`);
      }
      return failing.length > 0 ? EXIT.findings : EXIT.compliant;
    } finally {
      sns?.destroy();
      securityHub.destroy();
      if (localDirectory) await rm(localDirectory, { recursive: true, force: true });
    }
  },
};
