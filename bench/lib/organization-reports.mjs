// What an organization's night leaves for the merge, made by the real code's writers: each account's
// JSON report (runAudit's ReportFiles, over the findings of a real audit of a simulated account), its
// result (recordResult) and the run's listing (listOrganizationAccounts). Made once per kind of account
// for a template account; any other account's text is the template's with the account id replaced,
// which `organizationNight` checks against the writers' own output for sample accounts of every kind.
// So a store can make each account's objects when the merge reads them, and the input of ten
// thousand accounts is never held by the process that measures the merge.
import { Buffer } from 'node:buffer';
import { auditServices } from '../../functions/audit-encryption/audit-services.ts';
import { LEFT_TO_THE_MERGE, runAudit } from '../../functions/audit-encryption/audit-run.ts';
import { scanAccount } from '../../functions/audit-encryption/scan-account.ts';
import { recordResult } from '../../functions/audit-member-account/audit-member.ts';
import { LocalReportSpool } from '../../shared/adapters/local-report-spool.ts';
import { latestReportKey, reportLocation } from '../../shared/audit/audit-report.ts';
import { isFailing } from '../../shared/audit/finding.ts';
import { organizationRunLayout } from '../../shared/organization/organization-run.ts';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { simulatedClient } from './simulated-aws.mjs';
import { memberAccountId, memberIndex, memberName, SimulatedOrganization } from './simulated-organization.mjs';
import { SimulatedReportStore } from './simulated-report-store.mjs';

/** @import { AuditRecorder } from '../../functions/audit-encryption/audit-recorder.ts' */
/** @import { Scan } from '../../functions/audit-encryption/audit-run.ts' */
/** @import { AccountScan } from '../../functions/audit-encryption/scan-account.ts' */
/** @import { AccountFinding } from '../../shared/audit/finding.ts' */
/** @import { OrganizationAuditConfig } from '../../shared/config/organization-config.ts' */
/** @import { AccountResult, MemberAccount } from '../../shared/organization/account-result.ts' */
/** @import { OrganizationRun } from '../../shared/organization/organization-run.ts' */

/** The account the templates are made for: twelve digits that appear nowhere else in its texts. */
export const TEMPLATE_ACCOUNT = '987654321098';

/**
 * What the run knows of an account, by its place in the organization. Of every 1,000: 2 closed
 * (skipped by the listing), 2 whose role could not be assumed, 1 that left no result; of the rest,
 * 1 in 10 with changes since the previous night (new, changed and resolved failures), 1 in 50 audited for
 * the first time (every failure new), the others steady (nothing changed).
 * @typedef {'skipped' | 'not-audited' | 'no-result' | 'changed' | 'first' | 'steady'} AccountKind
 */
/** @type {readonly AccountKind[]} */
export const AUDITED_KINDS = ['steady', 'changed', 'first'];
/** @param {number} index @returns {AccountKind} */
export const kindOf = (index) => {
  const place = index % 1000;
  if (place === 499 || place === 999) return 'skipped';
  if (place === 150 || place === 650) return 'not-audited';
  if (place === 777) return 'no-result';
  if (index % 10 === 3) return 'changed';
  if (index % 50 === 7) return 'first';
  return 'steady';
};

/** @param {unknown} value @param {string} from @param {string} to */
const substituted = (value, from, to) => JSON.parse(JSON.stringify(value).split(from).join(to));

const silentRecorder = /** @type {AuditRecorder} */ ({
  findingRecorded: () => undefined,
  factsGathered: () => undefined,
  fixAttempted: () => undefined,
  previousDetailsUnavailable: () => undefined,
  previousReportUnavailable: () => undefined,
  securityHubImported: () => undefined,
  reportNotWritten: (what, error) => {
    throw new Error(`organization-reports: the ${what} was not written (${error instanceof Error ? error.message : String(error)})`);
  },
  runCompleted: () => undefined,
});

/**
 * The findings of a real audit — real inspectors over the SDK clients of a simulated member, no latency —
 * of the template account, the first `findings` of them in the order the audit recorded them, and its scan.
 * @param {{ config: OrganizationAuditConfig, buckets: number, keys: number, findings: number, startedAt: Date }} options
 * @returns {Promise<{ findings: AccountFinding[], scan: AccountScan, buckets: number, recorded: number }>}
 */
export const auditedFindings = async ({ config, buckets, keys, findings: wanted, startedAt }) => {
  const region = config.audit.aws.region;
  const organization = new SimulatedOrganization({
    accounts: 0,
    buckets,
    keys,
    region,
    latencyMs: 0,
    requiredKeyAlias: config.audit.policy.requiredKey,
    parameterName: config.memberParameterName,
  });
  const account = organization.member(TEMPLATE_ACCOUNT);
  const respond = organization.memberRespond(account);
  const s3 = simulatedClient(S3Client, { region, latencyMs: 0, respond });
  const kms = simulatedClient(KMSClient, { region, latencyMs: 0, respond });
  /** @type {AccountFinding[]} */
  const recorded = [];
  const store = new SimulatedReportStore({ latencyMs: 0 });
  const deps = auditServices({
    settings: config.audit,
    audited: { accountId: TEMPLATE_ACCOUNT, clients: { s3In: () => s3, kmsIn: () => kms } },
    reportsOwner: { accountId: TEMPLATE_ACCOUNT, clients: { s3In: () => s3, kmsIn: () => kms } },
    ending: LEFT_TO_THE_MERGE,
    recorder: { ...silentRecorder, findingRecorded: (finding) => void recorded.push(finding) },
    openSpool: () => new LocalReportSpool(),
    enforcer: { queueArns: [account.queueArn], functionArns: [], topicArns: [] },
    reportsKmsKeyArn: config.reportsKmsKeyArn,
    reportStore: store,
  });
  /** @type {AccountScan | undefined} */
  let scan;
  // auditAccount's composition, keeping the scan: its counts and required key are the template's.
  await runAudit(
    { accountId: TEMPLATE_ACCOUNT, homeRegion: region, requiredKeyReference: deps.context.policy.requiredKey, reports: deps.reports, ending: deps.ending, recorder: deps.recorder },
    async (openSink) => (scan = await scanAccount({ sources: deps.sources, writers: deps.writers, recorder: deps.recorder, context: deps.context }, openSink)),
    startedAt,
  );
  s3.destroy();
  kms.destroy();
  if (!scan) throw new Error('organization-reports: the template audit did not scan');
  if (recorded.length < wanted) throw new Error(`organization-reports: the template audit of ${buckets} buckets recorded ${recorded.length} findings, fewer than the ${wanted} wanted`);
  return { findings: recorded.slice(0, wanted), scan, buckets, recorded: recorded.length };
};

/**
 * The previous night of an account of kind `changed`: of tonight's failing findings, the first 3 absent
 * (new tonight), the next 2 observed otherwise (changed), and 2 failing findings that are gone tonight (resolved).
 * @param {readonly AccountFinding[]} tonight
 */
const previousWithChanges = (tonight) => {
  const failing = tonight.filter((finding) => isFailing(finding.status));
  if (failing.length < 7) throw new Error(`organization-reports: ${failing.length} failing findings are too few for an account with changes`);
  const absent = new Set(failing.slice(0, 3));
  const changed = new Set(failing.slice(3, 5));
  const resolved = failing.slice(5, 7).map((finding, index) => ({ ...finding, id: `${finding.id}-gone${index}`, observed: `${finding.observed} (gone since)` }));
  return [...tonight.filter((finding) => !absent.has(finding)).map((finding) => (changed.has(finding) ? { ...finding, observed: `${finding.observed} (the night before)` } : finding)), ...resolved];
};

/**
 * @typedef {object} NightInput
 * @property {OrganizationAuditConfig} config
 * @property {OrganizationRun} run
 * @property {AccountFinding[]} findings The template account's findings.
 * @property {AccountScan} scan The template account's scan.
 */

/**
 * One account's objects as tonight's run leaves them, made by the real writers: its previous night (when its
 * kind has one) reported and saved as latest.json, then tonight's audit of the same findings (runAudit, the
 * merge left to announce), and the result the member's audit records.
 * @param {NightInput} input
 * @param {string} accountId
 * @param {AccountKind} kind
 * @returns {Promise<{ result?: string, report?: string }>}
 */
export const accountNight = async ({ config, run, findings: templateFindings, scan: templateScan }, accountId, kind) => {
  if (kind === 'skipped' || kind === 'no-result') return {};
  const { audit } = config;
  const region = audit.aws.region;
  const store = new SimulatedReportStore({ latencyMs: 0 });
  /** @type {MemberAccount} */
  const account = { accountId, name: memberName(accountId) };
  if (kind === 'not-audited') {
    const roleArn = `arn:aws:iam::${accountId}:role/${config.memberRoleName}`;
    const detail = `${roleArn} could not be assumed (AccessDenied): the role does not exist in account ${accountId}, or its trust policy does not allow the audit's role to assume it; AWS answers both the same way. AWS said: User is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`;
    await recordResult({ config, store }, run, { ...account, status: 'not-audited', reason: { code: 'role-not-assumable', detail } });
    return { result: store.text(organizationRunLayout(audit.reportsPrefix, run).accountResultKey(accountId)) };
  }
  const findings = /** @type {AccountFinding[]} */ (substituted(templateFindings, TEMPLATE_ACCOUNT, accountId));
  const scan = /** @type {AccountScan} */ (substituted(templateScan, TEMPLATE_ACCOUNT, accountId));
  const reports = { store, bucket: config.reportsBucket, prefix: audit.reportsPrefix, openSpool: () => new LocalReportSpool(), kmsKeyArn: config.reportsKmsKeyArn };
  const runDeps = { accountId, homeRegion: region, requiredKeyReference: audit.policy.requiredKey, reports, recorder: silentRecorder };
  /** @param {readonly AccountFinding[]} found @returns {Scan} */
  const scanOf = (found) => async (openSink) => {
    const sink = await openSink();
    for (const finding of found) sink(finding);
    return scan;
  };
  if (kind !== 'first') {
    const previousNight = new Date(Date.parse(run.startedAt) - 86_400_000);
    const saved = { savesState: true, announce: async () => 0 };
    await runAudit({ ...runDeps, ending: saved }, scanOf(kind === 'changed' ? previousWithChanges(findings) : findings), previousNight);
    if (!store.objects.has(latestReportKey(audit.reportsPrefix, accountId))) throw new Error('organization-reports: the previous night saved no state');
  }
  const outcome = await runAudit({ ...runDeps, ending: LEFT_TO_THE_MERGE }, scanOf(findings), new Date(run.startedAt));
  // The result as functions/audit-member-account/audit-member.ts makes it from the outcome: the member stack deployed in the home region.
  /** @type {AccountResult} */
  const result = {
    ...account,
    status: 'audited',
    buckets: outcome.buckets,
    keys: outcome.keys,
    findings: outcome.findings,
    changes: outcome.changes,
    page: outcome.page,
    ...(outcome.reportKey ? { reportKey: outcome.reportKey } : {}),
    ...(outcome.reportError ? { reportError: outcome.reportError } : {}),
    regions: { deployed: [...config.auditRegions], absent: [], unreadable: [] },
  };
  await recordResult({ config, store }, run, result);
  const reportKey = reportLocation(config.reportsBucket, audit.reportsPrefix, run, accountId, region, 'aws').jsonKey;
  if (outcome.reportKey !== reportKey) throw new Error(`organization-reports: the report was written at ${outcome.reportKey}, not ${reportKey}`);
  return { result: store.text(organizationRunLayout(audit.reportsPrefix, run).accountResultKey(accountId)), report: store.text(reportKey) };
};

/**
 * Tonight's objects for every account of the organization, each made when it is asked for from its
 * kind's template (the texts split at the template account's id). Checked first: for two accounts of
 * each kind, the template's text with the id replaced is exactly what the writers make for that account.
 * @param {NightInput} input
 */
export const organizationNight = async (input) => {
  const { config, run } = input;
  const prefix = config.audit.reportsPrefix;
  /** @type {Map<AccountKind, { result?: string[], report?: string[], reportBytes: number }>} */
  const templates = new Map();
  for (const kind of /** @type {AccountKind[]} */ (['not-audited', ...AUDITED_KINDS])) {
    const made = await accountNight(input, TEMPLATE_ACCOUNT, kind);
    templates.set(kind, { result: made.result?.split(TEMPLATE_ACCOUNT), report: made.report?.split(TEMPLATE_ACCOUNT), reportBytes: Buffer.byteLength(made.report ?? '', 'utf8') });
  }
  /** @param {string} accountId @param {'result' | 'report'} what */
  const textOf = (accountId, what) => {
    const index = memberIndex(accountId);
    if (index < 0) return undefined;
    return templates.get(kindOf(index))?.[what]?.join(accountId);
  };
  const checked = [];
  for (const kind of templates.keys()) {
    const samples = [];
    for (let index = 0; samples.length < 2; index += 1) if (kindOf(index) === kind) samples.push(index);
    for (const index of samples) {
      const accountId = memberAccountId(index);
      const made = await accountNight(input, accountId, kind);
      if (made.result !== textOf(accountId, 'result') || made.report !== textOf(accountId, 'report')) {
        throw new Error(`organization-reports: the template of kind ${kind} does not make what the writers make for account ${accountId}`);
      }
      checked.push(accountId);
    }
  }
  const layout = organizationRunLayout(prefix, run);
  const escaped = (/** @type {string} */ text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const resultKey = new RegExp(`^${escaped(layout.base)}accounts/(\\d{12})\\.json$`);
  const reportKey = new RegExp(`^${escaped(prefix)}(\\d{12})/${escaped(run.runDate)}/encryption-audit-${escaped(run.runId)}\\.json$`);
  /** @param {string} key @returns {{ accountId: string, what: 'result' | 'report' } | undefined} */
  const objectAt = (key) => {
    const result = resultKey.exec(key);
    if (result?.[1]) return { accountId: result[1], what: 'result' };
    const report = reportKey.exec(key);
    return report?.[1] ? { accountId: report[1], what: 'report' } : undefined;
  };
  return {
    templates,
    checked,
    /** The text of tonight's object at `key`, when the night has one there. @param {string} key */
    synthesize: (key) => {
      const object = objectAt(key);
      return object ? textOf(object.accountId, object.what) : undefined;
    },
    /** @param {string} key */
    synthesizes: (key) => {
      const object = objectAt(key);
      if (!object) return false;
      const index = memberIndex(object.accountId);
      return index >= 0 && templates.get(kindOf(index))?.[object.what] !== undefined;
    },
    /** Whether `key` is an account's result (one read per account in the listing, skipped ones aside). @param {string} key */
    isResult: (key) => resultKey.test(key),
  };
};
