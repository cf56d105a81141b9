import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import { KmsKeyInspector } from '../../shared/adapters/kms-key-inspector.js';
import { S3BucketEncryptionWriter } from '../../shared/adapters/s3-bucket-encryption-writer.js';
import { S3BucketInspector } from '../../shared/adapters/s3-bucket-inspector.js';
import { S3ReportStore } from '../../shared/adapters/s3-report-store.js';
import { SNS_MESSAGE_BUDGET_BYTES, snsMessageBytes } from '../../shared/adapters/sns-notification-publisher.js';
import type { AuditRunSettings, EnforcerTargets } from '../../shared/config/audit-config.js';
import type { AuditSettings } from '../../shared/config/parse-policy.js';
import type { FindingsImporter } from '../../shared/ports/findings-importer.js';
import type { NotificationPublisher } from '../../shared/ports/notification-publisher.js';
import type { ReportSpool } from '../../shared/ports/report-spool.js';
import type { ReportStore } from '../../shared/ports/report-store.js';
import type { AuditDependencies } from './audit-account.js';
import { announceThrough, type RunEnding } from './audit-run.js';
import type { AuditRecorder } from './audit-recorder.js';

/** One account's clients, per region. */
export interface AccountClients {
  readonly s3In: (region: string) => S3Client;
  readonly kmsIn: (region: string) => KMSClient;
  /** Security Hub CSPM as this account, in each region: needed when POLICY.audit.securityHub is on. */
  readonly securityHub?: FindingsImporter | undefined;
}

export interface AuditServicesInput {
  readonly settings: AuditRunSettings;
  /** The account audited, read (and fixed) with its own clients. */
  readonly audited: { readonly accountId: string; readonly clients: AccountClients };
  /** The account that owns REPORTS_BUCKET: the same one for a single account, another in an organization. */
  readonly reportsOwner: { readonly accountId: string; readonly clients: AccountClients };
  /** How each run ends: a summary to a channel (see `announceOnSns`), or left to the organization's merge. */
  readonly ending: RunEnding;
  readonly recorder: AuditRecorder;
  /** Scratch space for one run's report. */
  readonly openSpool: () => ReportSpool;
  /** The audit's settings as this run applies them. */
  readonly auditSettings?: AuditSettings | undefined;
  /** apply (the default): write the fixes POLICY.audit.fixes turns on; plan: report them as planned, write nothing. */
  readonly fixMode?: 'apply' | 'plan' | undefined;
  /** Where the real-time enforcer listens in the audited account, when it is not what the settings name. */
  readonly enforcer?: EnforcerTargets | undefined;
  /** The key reports are encrypted under, when it is not the audited account's required key. */
  readonly reportsKmsKeyArn?: string | undefined;
  /** Where reports are kept, when not in REPORTS_BUCKET itself (a local directory, for a run from the command line). */
  readonly reportStore?: ReportStore | undefined;
  /** The reports are removed when the run ends: they name no location. */
  readonly transientReports?: boolean | undefined;
}

/** The summary to the findings topic, in parts that fit an SNS message. */
export const announceOnSns = (publisher: NotificationPublisher): RunEnding => announceThrough(publisher, snsMessageBytes, SNS_MESSAGE_BUDGET_BYTES);

/**
 * The audit's sources, writers and report destination for one account, composed in one place for
 * the nightly function and the CLI alike. The clients decide which account is read; the reports
 * store checks the bucket belongs to the reports owner.
 */
export const auditServices = ({ settings, audited, reportsOwner, ending, recorder, openSpool, auditSettings, fixMode, enforcer, reportsKmsKeyArn, reportStore, transientReports }: AuditServicesInput): AuditDependencies => {
  const home = settings.aws.region;
  const keys = new KmsKeyInspector(audited.clients.kmsIn);
  const bucketWriter = new S3BucketEncryptionWriter(audited.clients.s3In, audited.accountId);
  const applied = auditSettings ?? settings.audit;
  const { securityHub } = audited.clients;
  if (applied.securityHub && !securityHub) throw new Error(`Security Hub import is on, but no Security Hub importer was given for account ${audited.accountId}`);
  return {
    sources: { buckets: new S3BucketInspector(audited.clients.s3In, home), keys, concurrency: settings.concurrency },
    writers: { mode: fixMode ?? 'apply', bucketEncryption: bucketWriter, bucketPolicy: bucketWriter, keyRotation: keys },
    reports: settings.reportsBucket
      ? {
          store: reportStore ?? new S3ReportStore(reportsOwner.clients.s3In(home), settings.reportsBucket, reportsOwner.accountId),
          bucket: settings.reportsBucket,
          prefix: settings.reportsPrefix,
          openSpool,
          kmsKeyArn: reportsKmsKeyArn,
          transient: transientReports,
        }
      : undefined,
    securityHub: applied.securityHub && securityHub ? { importer: securityHub, openSpool } : undefined,
    ending,
    recorder,
    context: {
      accountId: audited.accountId,
      homeRegion: home,
      policy: settings.policy,
      settings: applied,
      enforcer: enforcer ?? settings.enforcer,
      reportsBucket: settings.reportsBucket,
    },
  };
};
