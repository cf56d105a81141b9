import { isDeepStrictEqual } from 'node:util';
import { CopyObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SecurityHubServiceException } from '@aws-sdk/client-securityhub';
import { SNSServiceException } from '@aws-sdk/client-sns';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { AuditOutcome } from '../../../functions/audit-encryption/audit-account.js';
import { scanPreviousReport, type AuditReport } from '../../../shared/audit/audit-report.js';
import { reportJson } from '../../fixtures/whole-report.js';
import { findingId, type Finding } from '../../../shared/audit/finding.js';
import { RUN_HISTORY_KIND, parseHistoryLine, type RunHistoryEntry } from '../../../shared/audit/run-history.js';
import {
  ACCOUNT,
  AUDIT_CALLS,
  AUDIT_OPERATIONS,
  BYSTANDER_ARN,
  CREDENTIALS,
  EVENT,
  HISTORY_KEY,
  LATEST_KEY,
  POLICY_MARKER,
  REPORTS,
  REPORTS_PREFIX,
  REQUIRED,
  SECURITY_HUB_CALL,
  TARGET_ARN,
  TARGET_KEY,
  auditContext,
  installWorld,
  loadAuditHandler,
  operationOf,
  removeSpoolDirectory,
  s3Mock,
  sentOperations,
  spoolLeftovers,
  targetBucketPolicy,
  targetKeyPolicy,
  type AuditCall,
  type AuditHandler,
  type Upload,
  type World,
} from './support/audit-handler-harness.js';
import { kmsError, networkError, s3Error } from '../../fixtures/aws-errors.js';
import { captureOutput, type Captured, type LogLine } from '../../fixtures/enforce-handler-harness.js';
import { markdownTable, publishReliabilitySection, type ReliabilitySectionId } from '../../fixtures/reliability-report.js';

/**
 * Every AWS call the nightly audit makes × every fault worth expecting, through the real handler
 * (cold start, aws-sdk-client-mock for S3, KMS, SNS and Security Hub). The faulted call fails once,
 * for the target bucket or its key only; the bystander bucket's findings must come through unchanged.
 * A failure the audit cannot turn into a finding (ListBuckets, Publish) must fail the invocation, so
 * that the scheduler's retry runs the audit again; the retry (fault spent) must then succeed. The
 * report store streams: latest.json and the run history are read as streams (latest.json twice when
 * findings changed or were resolved), the four dated reports and the history are uploaded as streams,
 * and latest.json is a server-side copy of the dated JSON report.
 */

const SECTION: ReliabilitySectionId = 'audit-fault-injection';

const snsError = (name: string, httpStatusCode: number): SNSServiceException =>
  new SNSServiceException({ name, message: name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode } });
const timeoutError = (): Error => Object.assign(new Error('Connection timed out after 3000 ms'), { name: 'TimeoutError' });

type Service = 's3' | 'kms' | 'sns';
/** The main table's calls; Security Hub's has a table of its own (below). */
type TableCall = (typeof AUDIT_CALLS)[number];
const serviceOf = (call: TableCall): Service =>
  call === 'Publish' ? 'sns' : call.startsWith('DescribeKey') || call === 'GetKeyRotationStatus' || call === 'GetKeyPolicy' ? 'kms' : 's3';

interface Fault {
  readonly id: string;
  readonly label: string;
  readonly make: (service: Service, call: TableCall) => Error;
}

const s3NotFound = (call: TableCall): Error =>
  call === 'HeadObject'
    ? s3Error('NotFound', 404)
    : call.startsWith('GetObject') || call.startsWith('CopyObject')
      ? s3Error('NoSuchKey', 404)
      : s3Error('NoSuchBucket', 404);

const FAULTS: readonly Fault[] = [
  { id: 'throttling', label: 'throttling', make: (s) => (s === 's3' ? s3Error('SlowDown', 503) : s === 'kms' ? kmsError('ThrottlingException') : snsError('ThrottledException', 429)) },
  { id: 'server-error', label: '500', make: (s) => (s === 's3' ? s3Error('InternalError', 500) : s === 'kms' ? kmsError('KMSInternalException', 500) : snsError('InternalErrorException', 500)) },
  { id: 'access-denied', label: 'AccessDenied', make: (s) => (s === 's3' ? s3Error('AccessDenied', 403) : s === 'kms' ? kmsError('AccessDeniedException') : snsError('AuthorizationErrorException', 403)) },
  { id: 'not-found', label: 'NotFound / 404', make: (s, call) => (s === 's3' ? s3NotFound(call) : s === 'kms' ? kmsError('NotFoundException') : snsError('NotFoundException', 404)) },
  { id: 'kms-disabled', label: 'KMS Disabled', make: (s) => (s === 's3' ? s3Error('KMS.DisabledException', 400) : s === 'kms' ? kmsError('DisabledException') : snsError('KMSDisabledException', 400)) },
  { id: 'kms-invalid-state', label: 'KMS InvalidState', make: (s) => (s === 's3' ? s3Error('KMS.KMSInvalidStateException', 400) : s === 'kms' ? kmsError('KMSInvalidStateException') : snsError('KMSInvalidStateException', 400)) },
  { id: 'kms-not-found', label: 'KMS NotFound', make: (s) => (s === 's3' ? s3Error('KMS.NotFoundException', 400) : s === 'kms' ? kmsError('NotFoundException') : snsError('KMSNotFoundException', 400)) },
  { id: 'timeout', label: 'timeout', make: timeoutError },
  { id: 'econnreset', label: 'ECONNRESET', make: () => networkError('ECONNRESET') },
];
const faultById = (id: string): Fault => FAULTS.find((fault) => fault.id === id) as Fault;

/** KMS answers "no such key" to DescribeKey: a key named but missing is a failed finding, not an error. */
const KMS_NOT_FOUND = new Set(['not-found', 'kms-not-found']);
/** What the report store retries itself (the SDK does not retry a request whose body is a stream). */
const TRANSIENT = new Set(['throttling', 'server-error', 'timeout', 'econnreset']);
/** A bare 400 to HeadObject is S3 refusing to describe an SSE-C object. */
const S3_BARE_400 = new Set(['kms-disabled', 'kms-invalid-state', 'kms-not-found']);

/** The four dated reports, by the ending of their keys: written together, any one failing is the report not written. */
const REPORT_UPLOADS = {
  'PutObject (JSON report)': '.json',
  'PutObject (Markdown report)': '.md',
  'PutObject (HTML report)': '.html',
  'PutObject (OCSF report)': '.ocsf.jsonl',
} as const;
type ReportExtension = (typeof REPORT_UPLOADS)[keyof typeof REPORT_UPLOADS];
const REPORT_EXTENSIONS = Object.values(REPORT_UPLOADS);
const isReportUpload = (call: TableCall): call is keyof typeof REPORT_UPLOADS => call in REPORT_UPLOADS;

const expectedFor = (call: TableCall, fault: Fault): string => {
  if (call === 'ListBuckets' || call === 'Publish') return 'invocation fails → ok';
  if (call === 'GetObject (previous report)') return fault.id === 'not-found' ? 'ok: taken as first run' : 'ok: previous report unread (warned)';
  // The object was there: a stream that breaks is a report that could not be read, whatever the error says.
  if (call === 'GetObject (previous report), body breaks') return 'ok: previous report unread (warned)';
  // NoSuchKey is S3 saying there is no history yet: this run starts one. Any other failure leaves the history as it was.
  if (call === 'GetObject (history)') return fault.id === 'not-found' ? 'ok: no history yet (this run starts it)' : 'ok: history not written (earlier kept)';
  // A history read in part is not the history: writing it back would drop the runs after the break.
  if (call === 'GetObject (history), body breaks') return 'ok: history not written (earlier kept)';
  // latest.json gone between the two reads (NoSuchKey) is warned about like any other failed read.
  if (call === 'GetObject (previous details)') return 'ok: previous details sketched (warned)';
  if (call === 'GetObject (previous details), body breaks') return 'ok: previous details sketched (warned)';
  if (isReportUpload(call)) return TRANSIENT.has(fault.id) ? 'ok: written on a retry' : 'ok: report not written (said in summary)';
  // The history is not the report: the summary still links the report, and latest.json still moves on.
  if (call === 'PutObject (history)') return TRANSIENT.has(fault.id) ? 'ok: history written on a retry' : 'ok: history not written (report linked, state saved)';
  if (call === 'CopyObject (latest.json)') return 'ok: state not saved (pages again)';
  if (call === 'HeadObject' && fault.id === 'not-found') return 'ok: object gone';
  if (call === 'HeadObject' && S3_BARE_400.has(fault.id)) return 'failed: s3-object-sample';
  // The bucket's default names a key that does not exist: the key-state and the bucket's default-encryption findings say so.
  if (call === 'DescribeKey' && KMS_NOT_FOUND.has(fault.id)) return 'failed: kms-key-state, s3-default-encryption-kms';
  if (call === 'DescribeKey (required key)') return KMS_NOT_FOUND.has(fault.id) ? 'failed: kms-key-state + report not written' : 'error finding + report not written';
  return 'error finding';
};

interface FindingLine {
  readonly id: string;
  readonly check: string;
  readonly status: string;
  readonly resource: string;
  readonly observed: string;
}

const findingsIn = (lines: readonly LogLine[]): FindingLine[] => lines.filter((line) => line['message'] === 'finding') as unknown as FindingLine[];
const signature = (finding: FindingLine): string => `${finding.id}|${finding.status}|${finding.observed}`;

// ---------- the previous report the cells compare with ----------

/** Unicode on purpose: the state is read in uneven chunks, so multi-byte characters are split across them. */
const PREVIOUS_OBSERVED = 'previously: no bucket policy at all — ü 🔐 (drifted since)';
const RETIRED_ARN = 'arn:aws:s3:::retired-bucket';
const RETIRED_OBSERVED = 'previously: the retired bucket had no TLS-only policy — é 🪣';
/** What the changes show when the previous findings could not be read back. */
const SKETCHED = '(the previous observation could not be read back)';
/** The night before the cells' run (EVENT): the previous report's run. */
const PREVIOUS_NIGHT = { runId: '2026-02-28T030000Z', runDate: '2026-02-28', startedAt: '2026-02-28T03:00:00.000Z' } as const;
/** When the bystander's findings were first seen, as the previous report says. */
const BYSTANDER_FIRST_SEEN = '2026-02-14T03:00:00.000Z';

/**
 * The baseline report, drifted: the bystander's failing TLS finding was observed differently last
 * night (so it is `changed` now), and a bucket since deleted had a failing finding (so it is
 * `resolved`). Every cell thereby makes the second read of latest.json, for those two in full. The
 * report is last night's; the bystander's findings were first seen two weeks before, the others'
 * first sighting is not in it (an earlier version wrote it), so theirs is last night's run.
 */
const drift = (baselineReport: string): string => {
  const report = JSON.parse(baselineReport) as AuditReport;
  const tls = report.findings.find((finding) => finding.resource === BYSTANDER_ARN && finding.check === 's3-tls-only-policy' && finding.status === 'failed');
  if (!tls) throw new Error('the baseline report has no failing TLS finding for the bystander');
  const retired: Finding = { ...tls, id: findingId(tls.check, RETIRED_ARN), resource: RETIRED_ARN, observed: RETIRED_OBSERVED };
  // An undefined firstSeen is left out of the report's line, as a report of an earlier version has it.
  const dated = (finding: Finding): Finding => ({ ...finding, firstSeen: finding.resource === BYSTANDER_ARN ? BYSTANDER_FIRST_SEEN : undefined });
  const findings = [...report.findings.map((finding) => (finding.id === tls.id ? { ...finding, observed: PREVIOUS_OBSERVED } : finding)), retired].map(dated);
  return reportJson({ ...report, run: { ...report.run, ...PREVIOUS_NIGHT }, findings });
};

/** When each finding of a previous report was first seen, as the next run must carry it: its own, else that report's start. */
const sightingsIn = (previousReport: string): Map<string, string> => {
  const report = JSON.parse(previousReport) as AuditReport;
  return new Map(report.findings.map((finding) => [finding.id, finding.firstSeen ?? report.run.startedAt]));
};

// ---------- the run history the cells add to ----------

/** A night's entry as an earlier run wrote it. */
const historyLine = (runId: string, startedAt: string, failing: number): string =>
  JSON.stringify({
    kind: RUN_HISTORY_KIND,
    runId,
    startedAt,
    scope: 'account',
    accountId: ACCOUNT,
    findings: 24,
    byStatus: { failed: failing, error: 0, fixed: 0, passed: 24 - failing, informational: 0 },
    failingBySeverity: { critical: 0, high: failing - 1, medium: 1, low: 0, informational: 0 },
    byCheck: { 's3-tls-only-policy': { findings: 3, failing: 2 }, 'kms-key-rotation': { findings: 2, failing: failing - 2 } },
    byAccount: { [ACCOUNT]: { findings: 24, failing } },
  });

/** The two nights before the cells' run. */
const PREVIOUS_HISTORY = [historyLine('2026-02-27T030000Z', '2026-02-27T03:00:00.000Z', 7), historyLine(PREVIOUS_NIGHT.runId, PREVIOUS_NIGHT.startedAt, 6)].map((line) => `${line}\n`).join('');

const historyEntries = (text: string | undefined): RunHistoryEntry[] => (text ?? '').split('\n').flatMap((line) => parseHistoryLine(line) ?? []);

// ---------- running a cell ----------

interface Invocation extends Captured<unknown> {
  readonly number: number;
  /** What was left in the spool directory once the invocation returned. */
  readonly leftovers: readonly string[];
}

interface Run {
  readonly world: World;
  readonly first: Invocation;
  readonly retry?: Invocation;
}

const invoke = async (world: World, handler: AuditHandler, event: unknown = EVENT): Promise<Invocation> => {
  const number = world.beginInvocation();
  const captured = await captureOutput(() => handler(event, auditContext));
  return { ...captured, number, leftovers: spoolLeftovers() };
};

let baselineReport: string | undefined;
let drifted: string | undefined;
let baseline: FindingLine[] = [];

interface CellOptions {
  readonly targetPolicy?: string;
  /** latest.json before the run: the drifted baseline unless said otherwise (undefined: none). */
  readonly previousReport?: string | undefined;
  /** history.jsonl before the run: the two nights before unless said otherwise (undefined: none). */
  readonly history?: string | undefined;
  /** How many times the faulted call fails (default once). */
  readonly times?: number;
  /** The function's environment beyond the harness's (POLICY with Security Hub on). */
  readonly env?: Readonly<Record<string, string>>;
  readonly securityHubRefuses?: { readonly code: string; readonly message: string };
}

const runCell = async (call: AuditCall | undefined, fault: (() => Error) | undefined, options: CellOptions = {}): Promise<Run> => {
  const world = installWorld({
    faulted: call,
    fault,
    previousReport: 'previousReport' in options ? options.previousReport : drifted,
    history: 'history' in options ? options.history : PREVIOUS_HISTORY,
    ...(options.times ? { times: options.times } : {}),
    ...(options.targetPolicy ? { targetPolicy: options.targetPolicy } : {}),
    ...(options.securityHubRefuses ? { securityHubRefuses: options.securityHubRefuses } : {}),
  });
  const handler = await loadAuditHandler(options.env);
  const first = await invoke(world, handler);
  if (!first.error) return { world, first };
  const retry = await invoke(world, handler);
  return { world, first, retry };
};

/** A cell of the main table: `fault` made for the service the call belongs to. */
const runTableCell = (call: TableCall | undefined, fault: Fault | undefined, options: CellOptions = {}): Promise<Run> =>
  runCell(call, call && fault ? () => fault.make(serviceOf(call), call) : undefined, options);

const outcomeIn = (invocation: Invocation): AuditOutcome | undefined => (invocation.error ? undefined : (invocation.value as AuditOutcome));
const entriesOf = (run: Run, invocation: Invocation) => run.world.journal.filter((entry) => entry.invocation === invocation.number);
const publishedIn = (run: Run, invocation: Invocation): string[] =>
  entriesOf(run, invocation).flatMap((entry) => (entry.call === 'Publish' && !entry.failed ? [String(entry.input['Message'])] : []));
const isReportKey = (key: string, extension: ReportExtension): boolean => key.endsWith(extension) && key !== LATEST_KEY && key !== HISTORY_KEY;
const storedIn = (run: Run, invocation: Invocation, extension: ReportExtension): Upload | undefined =>
  run.world.uploads.find((upload) => upload.invocation === invocation.number && upload.stored && isReportKey(upload.key, extension));
const historyUploadsIn = (run: Run, invocation: Invocation): Upload[] => run.world.uploads.filter((upload) => upload.invocation === invocation.number && upload.key === HISTORY_KEY);
/** The history was not written (the failure logged), and the run went on. */
const historyNotWrittenLogged = (invocation: Invocation): boolean =>
  invocation.lines.some((line) => line['message'] === 'audit report not written' && line['what'] === 'history');

/** Everything the run let out of the function: logs, thrown errors, alerts, stored reports, findings sent to Security Hub. */
const everythingOut = (run: Run): string =>
  [
    run.first.text,
    run.first.error ? `${run.first.error.message} ${JSON.stringify(run.first.error)}` : '',
    run.retry?.text ?? '',
    run.retry?.error?.message ?? '',
    ...run.world.published,
    ...run.world.uploads.map((upload) => upload.body),
    ...run.world.objects.values(),
    ...run.world.imported.map((finding) => JSON.stringify(finding)),
  ].join('\n');

const lines = async function* (text: string): AsyncIterable<string> {
  yield* text.split('\n');
};

/** What each key the run uploads is, as its ContentType says. */
const DATED_REPORT_KEY = new RegExp(`^${REPORTS_PREFIX}${ACCOUNT}/\\d{4}-\\d{2}-\\d{2}/encryption-audit-\\d{4}-\\d{2}-\\d{2}T\\d{6}Z\\.(json|md|html|ocsf\\.jsonl)$`);
const contentTypeOf = (key: string): string | undefined => {
  if (key === HISTORY_KEY) return 'application/x-ndjson';
  if (!DATED_REPORT_KEY.test(key)) return undefined;
  if (key.endsWith('.ocsf.jsonl')) return 'application/x-ndjson';
  if (key.endsWith('.html')) return 'text/html; charset=utf-8';
  if (key.endsWith('.md')) return 'text/markdown; charset=utf-8';
  return 'application/json';
};

/**
 * The history an invocation wrote, against the one it read: the earlier entries as they were (a read
 * answered NoSuchKey is no history), then this run's, once, matching its report.
 */
const historyProblems = (stored: Upload, asRead: string | undefined, report: AuditReport): string[] => {
  const problems: string[] = [];
  const thisRun = report.run.runId;
  if (!stored.body.endsWith('\n')) problems.push('the history does not end with a line break');
  const written = stored.body.split('\n').slice(0, -1).map((line) => parseHistoryLine(line));
  if (written.some((entry) => entry === undefined)) problems.push('a line of the history does not read back as an entry');
  const entries = written.filter((entry): entry is RunHistoryEntry => entry !== undefined);
  const earlier = historyEntries(asRead).filter((entry) => entry.runId !== thisRun);
  if (!isDeepStrictEqual(entries.slice(0, -1), earlier)) {
    problems.push(`the history holds ${entries.slice(0, -1).map((entry) => entry.runId).join(', ') || 'nothing'} before this run, not the ${earlier.map((entry) => entry.runId).join(', ') || 'nothing'} it read`);
  }
  const mine = entries.filter((entry) => entry.runId === thisRun);
  const last = entries.at(-1);
  if (mine.length !== 1 || last?.runId !== thisRun) problems.push(`this run (${thisRun}) is in the history ${mine.length} time(s), last: ${last?.runId ?? 'none'}`);
  if (last && (last.startedAt !== report.run.startedAt || last.scope !== 'account' || last.accountId !== ACCOUNT || last.findings !== report.summary.findings || !isDeepStrictEqual(last.byStatus, report.summary.byStatus))) {
    problems.push("this run's history entry does not match its report");
  }
  if (new Set(entries.map((entry) => entry.runId)).size !== entries.length) problems.push('a run is in the history more than once');
  return problems;
};

/**
 * What must hold in every invocation whatever failed: the spool is gone; every upload is streamed with
 * its exact length, has the ContentType of its kind, and is encrypted under the required key; the JSON
 * report is in the line layout the next run reads, carries each finding's first sighting, and the OCSF
 * report has one event a finding; the copy names this run's JSON report, comes only once the four
 * reports are stored and only after the summary went out; the second read of latest.json happens
 * exactly when findings changed or were resolved; the history is read once, written exactly when it
 * was read and the four reports were stored (before the summary), and then holds what it held plus
 * this run, once; each failing finding is logged once; latest.json moves on exactly when the run
 * reports no error; a history no invocation wrote is as it was. Returns what does not hold.
 */
const invariantProblems = async (run: Run): Promise<string[]> => {
  const problems: string[] = [];
  const problem = (invocation: Invocation, text: string): void => void problems.push(`invocation ${invocation.number}: ${text}`);
  for (const operation of new Set(sentOperations())) if (!AUDIT_OPERATIONS.has(operation) && operation !== SECURITY_HUB_CALL) problems.push(`${operation} is sent but has no row in the table`);
  const invocations = [run.first, ...(run.retry ? [run.retry] : [])];
  for (const invocation of invocations) {
    if (invocation.leftovers.length > 0) problem(invocation, `spool left behind: ${invocation.leftovers.join(', ')}`);
    const entries = entriesOf(run, invocation);
    const atStart = run.world.atStart(invocation.number);
    const uploads = run.world.uploads.filter((upload) => upload.invocation === invocation.number);
    for (const upload of uploads) {
      const { input } = upload;
      if (upload.key === LATEST_KEY) problem(invocation, 'latest.json was uploaded, not copied');
      if (!upload.streamed) problem(invocation, `${upload.key}: the Body was not a stream`);
      const droppedMidUpload = !upload.stored && upload.bytes < Number(input['ContentLength']);
      if (!droppedMidUpload && input['ContentLength'] !== upload.bytes) problem(invocation, `${upload.key}: ContentLength ${String(input['ContentLength'])}, body ${upload.bytes} bytes`);
      const contentType = contentTypeOf(upload.key);
      if (contentType === undefined) problem(invocation, `${upload.key}: a key the run does not write`);
      for (const [field, value] of Object.entries({ Bucket: REPORTS, ContentType: contentType, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: REQUIRED, BucketKeyEnabled: true, ExpectedBucketOwner: ACCOUNT })) {
        if (input[field] !== value) problem(invocation, `${upload.key}: ${field} ${String(input[field])}`);
      }
    }
    const sent = new Map<string, string>();
    for (const upload of uploads.filter((item) => item.bytes === Number(item.input['ContentLength']))) {
      if ((sent.get(upload.key) ?? upload.body) !== upload.body) problem(invocation, `${upload.key}: a retried upload sent other bytes`);
      sent.set(upload.key, upload.body);
    }
    const reads = entries.filter((entry) => entry.call.startsWith('GetObject (previous'));
    const stateRead = reads.find((entry) => entry.call.startsWith('GetObject (previous report)'));
    const detailReads = reads.filter((entry) => entry.call.startsWith('GetObject (previous details)'));
    if (reads.length > 2 || detailReads.length > 1) problem(invocation, `latest.json read ${reads.length} times`);
    const state = stateRead && !stateRead.failed ? atStart.latest : undefined;
    const stateWasRead = state !== undefined;
    const json = storedIn(run, invocation, '.json');
    const document = json ? (JSON.parse(json.body) as AuditReport) : undefined;
    if (json && document) {
      const split = json.body.split('\n');
      if (split[1] !== '"findings":[') problem(invocation, 'the JSON report is not in the line layout');
      let scanned = 0;
      const scan = await scanPreviousReport(lines(json.body), () => void (scanned += 1));
      if (scan.kind !== 'found' || scanned !== document.findings.length || document.findings.length !== document.summary.findings) {
        problem(invocation, `the JSON report does not read back: ${scan.kind}, ${scanned} of ${document.findings.length} findings, summary ${document.summary.findings}`);
      }
      // A finding's first sighting is carried from the previous report (its own, else that report's start), else it is this run's start.
      const sightings = state === undefined ? new Map<string, string>() : sightingsIn(state);
      for (const finding of document.findings) {
        const expected = new Date(sightings.get(finding.id) ?? document.run.startedAt).toISOString();
        if (finding.firstSeen !== expected) problem(invocation, `${finding.check} on ${finding.resource}: firstSeen ${String(finding.firstSeen)}, expected ${expected}`);
      }
      const ocsf = storedIn(run, invocation, '.ocsf.jsonl');
      if (ocsf) {
        const events = ocsf.body.split('\n').slice(0, -1);
        if (!ocsf.body.endsWith('\n') || events.length !== document.findings.length) problem(invocation, `the OCSF report has ${events.length} lines for ${document.findings.length} findings`);
        for (const event of events) {
          try {
            JSON.parse(event);
          } catch {
            problem(invocation, 'a line of the OCSF report is not JSON');
          }
        }
      }
      const html = storedIn(run, invocation, '.html');
      if (html && !(html.body.startsWith('<!doctype html>') && html.body.endsWith('</html>\n'))) problem(invocation, 'the HTML report is not a whole page');
    }
    const reportsStored = REPORT_EXTENSIONS.every((extension) => storedIn(run, invocation, extension) !== undefined);
    const copies = entries.filter((entry) => entry.call === 'CopyObject (latest.json)');
    if (copies.length > 1) problem(invocation, `${copies.length} copies to latest.json`);
    for (const copy of copies) {
      const { input } = copy;
      if (!json || input['CopySource'] !== `${REPORTS}/${json.key}`) problem(invocation, `the copy's source ${String(input['CopySource'])} is not this run's stored JSON report`);
      if (!reportsStored) problem(invocation, 'latest.json copied though the four reports were not all stored');
      for (const [field, value] of Object.entries({
        Bucket: REPORTS,
        MetadataDirective: 'COPY',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: REQUIRED,
        BucketKeyEnabled: true,
        ExpectedBucketOwner: ACCOUNT,
        ExpectedSourceBucketOwner: ACCOUNT,
      })) {
        if (input[field] !== value) problem(invocation, `CopyObject: ${field} ${String(input[field])}`);
      }
      const copyAt = run.world.journal.indexOf(copy);
      const published = entries.filter((entry) => entry.call === 'Publish');
      if (published.length === 0 || published.some((entry) => entry.failed || run.world.journal.indexOf(entry) > copyAt)) problem(invocation, 'latest.json copied before the summary went out');
    }

    // The history: read once at the start; never written when that read failed; written once the four reports are stored, before the summary.
    const historyReads = entries.filter((entry) => entry.call.startsWith('GetObject (history)'));
    // NoSuchKey is S3 saying there is no history: a read that found none, not a failed one.
    const historyReadFailed = historyReads.some((entry) => entry.failed && entry.error !== 'NoSuchKey');
    const historyWrites = historyUploadsIn(run, invocation);
    if (historyReads.length !== 1) problem(invocation, `the history read ${historyReads.length} times`);
    if (historyReadFailed && historyWrites.length > 0) problem(invocation, 'the history was written though its read failed');
    if (!reportsStored && historyWrites.length > 0) problem(invocation, 'the history was written though the four reports were not all stored');
    if (!historyReadFailed && reportsStored && historyWrites.length === 0) problem(invocation, 'the history was read and the reports stored, yet the history was not written');
    const lastReportAt = Math.max(-1, ...entries.filter((entry) => entry.call in REPORT_UPLOADS && !entry.failed).map((entry) => run.world.journal.indexOf(entry)));
    const firstPublishAt = Math.min(Number.POSITIVE_INFINITY, ...entries.filter((entry) => entry.call === 'Publish').map((entry) => run.world.journal.indexOf(entry)));
    for (const entry of entries.filter((item) => item.call === 'PutObject (history)')) {
      const at = run.world.journal.indexOf(entry);
      if (at < lastReportAt || at > firstPublishAt) problem(invocation, 'the history was written before the reports were stored or after the summary went out');
    }
    const storedHistory = historyWrites.find((upload) => upload.stored);
    if (storedHistory && document) {
      // A read answered NoSuchKey is no history.
      const asRead = historyReads.some((entry) => entry.failed) ? undefined : atStart.history;
      for (const text of historyProblems(storedHistory, asRead, document)) problem(invocation, text);
    }

    const outcome = outcomeIn(invocation);
    if (!outcome) continue;
    const detailsNeeded = stateWasRead && outcome.changes.changed + outcome.changes.resolved > 0;
    // With Security Hub on, the previous findings no longer reported are read back too (to archive them), changed or not.
    const withSecurityHub = entries.some((entry) => entry.call === SECURITY_HUB_CALL);
    const detailsRead = detailReads.length === 1;
    if (detailsNeeded ? !detailsRead : detailsRead && !withSecurityHub) problem(invocation, `details read ${detailReads.length} time(s), changed ${outcome.changes.changed}, resolved ${outcome.changes.resolved}`);
    const published = publishedIn(run, invocation);
    if (published.length !== outcome.notifications) problem(invocation, `${published.length} of ${outcome.notifications} notifications published`);
    if (detailReads.length === 1 && !detailReads[0]?.failed && published.some((message) => message.includes(SKETCHED))) problem(invocation, 'details were read, yet the summary sketches them');
    const failing = outcome.findings.failed + outcome.findings.error;
    const logged = findingsIn(invocation.lines);
    if (logged.length !== failing || new Set(logged.map((finding) => finding.id)).size !== failing) problem(invocation, `${logged.length} finding lines for ${failing} failing findings`);
    if (document && JSON.stringify(document.summary.byStatus) !== JSON.stringify(outcome.findings)) problem(invocation, 'the report counts differ from the outcome');
    if (outcome.reportError !== undefined && outcome.report !== undefined) problem(invocation, 'an outcome with reportError links a report');
    if (invocation === (run.retry ?? run.first)) {
      const latest = run.world.objects.get(LATEST_KEY);
      if (outcome.reportError === undefined && (latest === undefined || latest !== json?.body)) problem(invocation, 'the run succeeded but latest.json is not its report');
      if (outcome.reportError !== undefined && latest !== run.world.previousReport) problem(invocation, 'the run reported an error but latest.json moved on');
    }
  }
  // A failed run never loses earlier history.
  if (!invocations.some((invocation) => historyUploadsIn(run, invocation).some((upload) => upload.stored)) && run.world.objects.get(HISTORY_KEY) !== run.world.history) {
    problems.push('no invocation wrote the history, yet it is not as it was');
  }
  return problems;
};

const warnedWith = (invocation: Invocation, text: string): boolean =>
  invocation.lines.some((line) => String(line['message']).startsWith('no previous report to compare with') && String(line['reason']).includes(text));

/** The details read failed: said as such, never as "no previous report" (the state was read). */
const detailsWarned = (invocation: Invocation): boolean =>
  invocation.lines.some((line) => String(line['message']).startsWith('the previous findings that changed or resolved could not be read back')) &&
  !invocation.lines.some((line) => String(line['message']).startsWith('no previous report to compare with'));

const outcomeOf = (run: Run, call: TableCall): string => {
  if (run.first.error) {
    const movedOn = entriesOf(run, run.first).some((entry) => entry.call === 'CopyObject (latest.json)');
    return `invocation fails → ${run.retry && !run.retry.error ? 'ok' : 'fails'}${movedOn ? ' (latest.json moved on before)' : ''}`;
  }
  const value = outcomeIn(run.first);
  const suffix = value?.reportError ? (value.reportError.startsWith('the state for the next run was not saved (') ? 'state not saved (pages again)' : 'report not written') : undefined;
  const published = publishedIn(run, run.first);
  const latestUnchanged = run.world.objects.get(LATEST_KEY) === run.world.previousReport;
  if (call.startsWith('GetObject (previous report)')) {
    const markdown = storedIn(run, run.first, '.md')?.body ?? '';
    const core = warnedWith(run.first, 'the previous report')
      ? 'ok: previous report unread (warned)'
      : markdown.includes('No previous report: every failing finding is new.') && value?.changes.unchanged === 0
        ? 'ok: taken as first run'
        : 'ok: compared with the previous report';
    return suffix ? `${core} + ${suffix}` : core;
  }
  if (call.startsWith('GetObject (previous details)')) {
    const sketched = published.some((message) => message.includes(SKETCHED));
    const full = published.some((message) => message.includes(RETIRED_OBSERVED)) && published.some((message) => message.includes(PREVIOUS_OBSERVED));
    const warned = detailsWarned(run.first);
    const core = sketched && !full ? `ok: previous details sketched${warned ? ' (warned)' : ''}` : full ? 'ok: previous details shown' : 'ok: changes not shown';
    return suffix ? `${core} + ${suffix}` : core;
  }
  const linked = published.some((message) => message.includes(`Report: s3://${REPORTS}/`));
  const historyAttempts = historyUploadsIn(run, run.first);
  const historyKept = run.world.objects.get(HISTORY_KEY) === run.world.history;
  if (call.startsWith('GetObject (history)') || call === 'PutObject (history)') {
    const stored = historyAttempts.find((upload) => upload.stored);
    const warned = historyNotWrittenLogged(run.first);
    const aside = suffix ?? (linked && !latestUnchanged ? undefined : 'report not linked or state not saved');
    let core: string;
    if (stored) {
      const entries = historyEntries(stored.body);
      const retried = historyAttempts.length === 2 && historyAttempts[0]?.stored === false;
      core =
        entries.length === 1 && historyEntries(run.world.history).length > 0
          ? 'ok: no history yet (this run starts it)'
          : retried && !warned
            ? 'ok: history written on a retry'
            : `ok: history written (${historyAttempts.length} attempt(s), ${entries.length} runs)`;
    } else if (warned && historyKept) {
      core = call === 'PutObject (history)' && historyAttempts.length === 1 ? 'ok: history not written (report linked, state saved)' : 'ok: history not written (earlier kept)';
    } else {
      core = `ok: history not written${warned ? '' : ' (not logged)'}${historyKept ? '' : ' (earlier lost)'}`;
    }
    return aside ? `${core} + ${aside}` : core;
  }
  if (isReportUpload(call)) {
    const inSummary = published.some((message) => message.includes('Report: not written'));
    const attempts = run.world.uploads.filter((upload) => upload.invocation === run.first.number && isReportKey(upload.key, REPORT_UPLOADS[call]));
    const retried = attempts.length === 2 && attempts[0]?.stored === false && attempts[1]?.stored === true;
    if (!suffix && retried && !latestUnchanged) return 'ok: written on a retry';
    // A report not written is no run for the history: it keeps what it held.
    const notWritten = suffix === 'report not written' && inSummary && latestUnchanged && historyAttempts.length === 0 && historyKept && attempts.length === 1;
    return notWritten ? 'ok: report not written (said in summary)' : `ok: ${suffix ?? 'written'} (${attempts.length} attempt(s), history ${historyAttempts.length > 0 ? 'written' : 'not written'})`;
  }
  if (call === 'CopyObject (latest.json)') {
    const stored = REPORT_EXTENSIONS.every((extension) => storedIn(run, run.first, extension) !== undefined);
    return suffix === 'state not saved (pages again)' && latestUnchanged && linked && stored ? 'ok: state not saved (pages again)' : `ok: ${suffix ?? 'state saved'}`;
  }
  const onResource = (finding: FindingLine): boolean =>
    call === 'DescribeKey (required key)' ? finding.resource === REQUIRED : finding.resource.startsWith(TARGET_ARN) || finding.resource === TARGET_KEY;
  const known = new Set(baseline.map(signature));
  const fresh = findingsIn(run.first.lines).filter((finding) => onResource(finding) && !known.has(signature(finding)));
  const errors = fresh.filter((finding) => finding.status === 'error' && finding.observed.startsWith(`${operationOf(call)} failed with `));
  const core =
    errors.length > 0
      ? 'error finding'
      : fresh.some((finding) => finding.status === 'failed')
        ? `failed: ${[...new Set(fresh.filter((finding) => finding.status === 'failed').map((finding) => finding.check))].sort().join(', ')}`
        : call === 'HeadObject'
          ? 'ok: object gone'
          : 'no finding';
  return suffix ? `${core} + ${suffix}` : core;
};

interface Cell {
  readonly call: TableCall;
  readonly fault: Fault;
  readonly expected: string;
  readonly observed: string;
  readonly ok: boolean;
}
const cells: Cell[] = [];
const securityChecks: string[] = [];
const storeChecks: string[] = [];

// ---------- Security Hub CSPM (POLICY.audit.securityHub on) ----------

const SECURITY_HUB_ENV = { POLICY: JSON.stringify({ audit: { objectSampleSize: 2, securityHub: true } }) };
const HOME_REGION = 'us-east-1';
const HUB_ARN = `arn:aws:securityhub:${HOME_REGION}:${ACCOUNT}:hub/default`;
const IMPORT_CHECK = 'securityhub-import';
/** How many times the importer tries one batch, the first included. */
const IMPORT_ATTEMPTS = 6;

const securityHubError = (name: string, httpStatusCode: number): SecurityHubServiceException =>
  new SecurityHubServiceException({ name, message: name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode } });

interface HubFault {
  readonly id: string;
  readonly label: string;
  /** The error BatchImportFindings throws; none: it answers, refusing each finding (`refuses`). */
  readonly make?: () => Error;
  /** How many calls fail (default once). */
  readonly times?: number;
  readonly refuses?: { readonly code: string; readonly message: string };
  readonly expected: string;
}

const IMPORTED_ON_A_RETRY = 'ok: imported on a retry';
const importError = (reason: string): string => `error finding (${HOME_REGION}): ${reason}`;
const HUB_FAULTS: readonly HubFault[] = [
  { id: 'throttling', label: 'throttling (LimitExceededException)', make: () => securityHubError('LimitExceededException', 429), expected: IMPORTED_ON_A_RETRY },
  {
    id: 'throttled-throughout',
    label: 'throttling, every attempt',
    make: () => securityHubError('LimitExceededException', 429),
    times: IMPORT_ATTEMPTS,
    expected: importError(`LimitExceededException after ${IMPORT_ATTEMPTS} attempts`),
  },
  { id: 'server-error', label: '500 (InternalException)', make: () => securityHubError('InternalException', 500), expected: IMPORTED_ON_A_RETRY },
  { id: 'access-denied', label: 'AccessDeniedException', make: () => securityHubError('AccessDeniedException', 403), expected: importError('AccessDeniedException') },
  { id: 'not-found', label: 'NotFound / 404', make: () => securityHubError('ResourceNotFoundException', 404), expected: importError('ResourceNotFoundException') },
  { id: 'not-enabled', label: 'not enabled (InvalidAccessException)', make: () => securityHubError('InvalidAccessException', 401), expected: importError('not enabled') },
  { id: 'invalid-input', label: 'InvalidInputException', make: () => securityHubError('InvalidInputException', 400), expected: importError('InvalidInputException') },
  { id: 'timeout', label: 'timeout', make: timeoutError, expected: IMPORTED_ON_A_RETRY },
  { id: 'econnreset', label: 'ECONNRESET', make: () => networkError('ECONNRESET'), expected: IMPORTED_ON_A_RETRY },
  {
    id: 'refused',
    label: 'every finding refused (FailedFindings)',
    refuses: { code: 'InvalidInput', message: 'Finding does not adhere to the AWS Security Finding Format' },
    expected: importError('every finding refused'),
  },
];

interface HubCell {
  readonly fault: HubFault;
  readonly observed: string;
  readonly ok: boolean;
}
const hubCells: HubCell[] = [];
/** The report's findings with Security Hub on and no fault, the import's own aside. */
let hubBaseline: Set<string> | undefined;

const reportIn = (run: Run, invocation: Invocation): AuditReport | undefined => {
  const json = storedIn(run, invocation, '.json');
  return json ? (JSON.parse(json.body) as AuditReport) : undefined;
};
const hubCallsIn = (run: Run, invocation: Invocation) => entriesOf(run, invocation).filter((entry) => entry.call === SECURITY_HUB_CALL);
const findingsSent = (entry: { readonly input: Record<string, unknown> } | undefined): number => ((entry?.input['Findings'] ?? []) as unknown[]).length;

/** What became of the import, as the report's `securityhub-import` finding says. */
const hubOutcomeOf = (run: Run): string => {
  if (run.first.error) return `invocation fails: ${run.first.error.message}`;
  const imports = (reportIn(run, run.first)?.findings ?? []).filter((finding) => finding.check === IMPORT_CHECK);
  const [finding] = imports;
  if (imports.length !== 1 || !finding) return `${imports.length} ${IMPORT_CHECK} findings in the report`;
  const calls = hubCallsIn(run, run.first);
  const sent = findingsSent(calls[0]);
  if (finding.region !== HOME_REGION || finding.resource !== HUB_ARN) return `${finding.status} for ${finding.resource} in ${finding.region}: ${finding.observed}`;
  if (finding.status === 'passed') {
    if (finding.observed !== `${sent} imported`) return `passed: ${finding.observed}`;
    return calls.length === 2 && calls[0]?.failed === true && calls[1]?.failed === false ? IMPORTED_ON_A_RETRY : `ok: imported (${calls.length} call(s))`;
  }
  if (finding.status !== 'error') return `${finding.status}: ${finding.observed}`;
  const stopped = new RegExp(`^0 imported before the import stopped: ${SECURITY_HUB_CALL} failed: (\\w+)(?: \\(HTTP \\d+\\))?: in ${HOME_REGION}(?:, after (\\d+) attempts)?: `).exec(finding.observed);
  const reason = finding.observed.startsWith(`Security Hub is not enabled in account ${ACCOUNT} region ${HOME_REGION}`)
    ? 'not enabled'
    : finding.observed.startsWith(`0 imported; ${sent} refused (`)
      ? 'every finding refused'
      : stopped
        ? `${stopped[1] ?? ''}${stopped[2] ? ` after ${stopped[2]} attempts` : ''}`
        : finding.observed;
  return importError(reason);
};

/** The line the run logs for the region's import, whatever its outcome. */
const importLogged = (invocation: Invocation): LogLine | undefined =>
  invocation.lines.find((line) => String(line['message']).startsWith('Security Hub') && line['region'] === HOME_REGION);

afterAll(() => {
  vi.unstubAllEnvs();
  removeSpoolDirectory();
  if (cells.length !== AUDIT_CALLS.length * FAULTS.length || hubCells.length !== HUB_FAULTS.length) return;
  const failing = cells.filter((cell) => !cell.ok).length + hubCells.filter((cell) => !cell.ok).length;
  const rows = AUDIT_CALLS.map((call) => [
    call,
    ...FAULTS.map((fault) => {
      const cell = cells.find((item) => item.call === call && item.fault.id === fault.id);
      return cell ? (cell.ok ? cell.observed : `**${cell.observed}** (expected ${cell.expected})`) : '—';
    }),
  ]);
  const hubRows = HUB_FAULTS.map((fault) => {
    const cell = hubCells.find((item) => item.fault.id === fault.id);
    return [fault.label, cell ? (cell.ok ? cell.observed : `**${cell.observed}** (expected ${fault.expected})`) : '—'];
  });
  publishReliabilitySection(
    SECTION,
    [
      '_The nightly audit (`functions/audit-encryption`), by test/unit/reliability/audit-fault-injection.test.ts (`npm run test:unit`)._',
      '',
      `${AUDIT_CALLS.length} calls × ${FAULTS.length} faults = **${cells.length} cells**, and ${hubCells.length} with Security Hub CSPM on (below), each a cold`,
      'start of the real audit handler with aws-sdk-client-mock answering for S3, KMS, SNS and Security Hub, over an account of two buckets:',
      'the target (no `BucketRegion`, a default key of its own, a long bucket policy, a sampled object) and a bystander. The faulted call',
      'fails once, for the target bucket or its key only (the report store, SNS and Security Hub calls are account-wide). latest.json holds',
      'last night\'s report, drifted so that one bystander finding is `changed` and one finding of a deleted bucket `resolved`: every run',
      'reads latest.json twice (the state, then the details of those two), both as Node streams in uneven chunks that split lines and',
      'multi-byte characters. That report gives the bystander\'s findings a first sighting two weeks back and the others none (as an earlier',
      'version wrote them). history.jsonl holds the two nights before. Every cell checks that the run finishes and publishes its summary, or',
      'that the invocation throws and the scheduler\'s retry (fault spent) succeeds; that the bystander\'s findings are all still there and it',
      'gained no error finding (the required key\'s DescribeKey excepted: every bucket depends on it); and that no log line, thrown error,',
      'SNS message, stored report or finding sent to Security Hub carries the marker statement of the long bucket and key policies, or any',
      'credential.',
      '',
      'Every invocation of every cell also checks: the SDK operations sent are all rows of a table; the report spool (a private TMPDIR) is',
      'empty once the handler returns; each upload is a stream Body whose ContentLength is its exact size in bytes, SSE-KMS under the required',
      'key with a bucket key and ExpectedBucketOwner, with the ContentType of its kind (`.json` application/json, `.md` text/markdown,',
      '`.html` text/html, both charset=utf-8; `.ocsf.jsonl` and history.jsonl application/x-ndjson), to a key the run writes; the JSON',
      'report is in the line layout and reads back line by line with every finding; each of its findings carries `firstSeen`: the previous',
      'report\'s for the same finding, else that report\'s start for a finding it has without one, else this run\'s start (whenever the state',
      'was not read); the OCSF report has one JSON line per finding of the JSON report, the HTML report is a whole page; latest.json is never',
      'uploaded, only copied (MetadataDirective COPY, SSE-KMS, ExpectedBucketOwner and ExpectedSourceBucketOwner) from this run\'s stored',
      'JSON report, once the four reports are stored and after the summary went out; the details read happens exactly when findings changed',
      'or were resolved (with Security Hub on, also for findings no longer reported), and a summary shows the previous details in full',
      'whenever they were read; the history is read once; it is never written when that read failed, nor unless the four reports were',
      'stored; it is written whenever it was read and they were, after them and before the summary, and then holds the entries it was read',
      'with (unchanged), then this run\'s, whose counts are the report\'s, one line per run, this run once even when a retry writes it again;',
      'a history no invocation wrote is as it was; every failing finding is logged exactly once; the report\'s counts are the outcome\'s;',
      'latest.json moves on exactly when the run reports no `reportError`.',
      '',
      `**Cells failing: ${failing} of ${cells.length + hubCells.length}.**`,
      '',
      'Legend: `error finding` — the faulted bucket or key gets an `error` finding (observed `<call> failed with <code>`) and the run goes on;',
      '`failed: <check>` — the answer is a fact, not an obstacle (KMS NotFoundException: the key named does not exist; a bare 400 to',
      'HeadObject: an SSE-C object); `ok: object gone` — the sampled object was deleted meanwhile; `invocation fails → ok` — nothing to',
      'audit (ListBuckets) or the summary was not delivered (Publish, after the dated reports and the history and before latest.json, so the',
      'retry pages again and writes the history again with this run once): the handler throws, latest.json has not moved, and the retry',
      'succeeds; `ok: taken as first run` — no previous report (NoSuchKey), every failing finding new; `ok: previous report unread (warned)`',
      '— logged, every failing finding new; `ok: written on a retry` — a transient failure (throttling, 5xx, timeout, reset) of a report\'s',
      'PutObject: the report store uploads it again, the body read from its start (same bytes, same ContentLength), and the run goes on as if',
      'nothing happened; `ok: previous details sketched (warned)` — the state was read but the second read failed: the run succeeds, the',
      'changed and resolved findings are shown with "(the previous observation could not be read back)" (latest.json gone between the reads,',
      'NoSuchKey, is not warned about); `ok: report not written (said in summary)` — any one of the four reports failed: the run completes,',
      'its outcome carries `reportError`, the summary says "Report: not written", latest.json is not moved on and the history is not',
      'written (the reports that were stored stay where they are); `ok: state not saved (pages again)` — the four reports stored and linked',
      'in the summary, but the copy to latest.json failed: the outcome\'s `reportError` says "the state for the next run was not saved", the',
      'invocation succeeds, and the next run pages the same changes again; `+ report not written` — the required key could not be used, so',
      'the report (encrypted under it) is not written; `ok: no history yet (this run starts it)` — S3 answered NoSuchKey for the history,',
      'which is how it says there is none: the run writes a history of this run alone (S3 is strongly consistent, so it does not answer',
      'NoSuchKey for a history that exists; here it does, and the two nights before are replaced); `ok: history not written (earlier',
      'kept)` — the history could not be read, or broke off part way: the run writes its reports, links them and moves latest.json on, logs',
      '"audit report not written" for the history, and leaves the history as it was (this night is not in it); `ok: history written on a',
      'retry` — the report store uploaded it again after a transient failure; `ok: history not written (report linked, state saved)` — the',
      'history\'s PutObject failed: logged, not a `reportError`: the summary links the report, latest.json moves on, the history is as it was.',
      '`…, body breaks`: GetObject answers, then its Body stream fails after the first line. PutObject faults: S3 reads the whole body before',
      'answering, except timeout and ECONNRESET, which drop the upload after its first chunk.',
      '',
      'Note: the report store failing does **not** fail the invocation: the code deliberately reports it in the summary instead',
      '(`audit-run.ts`), and only a Publish failure throws. S3 404s: `NotFound` to HeadObject, `NoSuchKey` to GetObject and CopyObject,',
      '`NoSuchBucket` elsewhere. aws-sdk-client-mock replaces the SDK\'s middleware, retries included: each fault here is what reaches the',
      'audit after the SDK gave up. The SDK\'s retry middleware (@smithy/core) does not retry a request whose body is a Node stream, so the',
      'PutObject of the reports and the history is retried by the report store itself (`S3ReportStore.write`, transient errors only):',
      'AccessDenied, 404 and KMS errors are not retried.',
      '',
      markdownTable(['call', ...FAULTS.map((fault) => fault.label)], rows),
      '',
      '### Security Hub CSPM (audit)',
      '',
      `With POLICY.audit.securityHub on, the same account and previous state: every finding of the run, and the deleted bucket's (archived),`,
      `goes to BatchImportFindings in ${HOME_REGION}, in one batch. The fault hits that call, once unless said otherwise; the importer retries`,
      `throttling, 5xx and network errors itself with backoff, ${IMPORT_ATTEMPTS} attempts in all (the backoff's jitter drawn as 0 where every attempt`,
      'fails, so the cell takes no time). Every cell checks, besides every invariant above: the run completes, its summary links the report',
      `and latest.json moves on; the report holds one \`${IMPORT_CHECK}\` finding, for ${HOME_REGION} and the hub's ARN, logged with the region;`,
      'every other finding is in the report exactly as without the fault, the history has this run.',
      '',
      `Legend: \`${IMPORTED_ON_A_RETRY}\` — the second attempt went in: \`${IMPORT_CHECK}\` passed, "<n> imported"; \`error finding (<region>): <reason>\``,
      `— \`${IMPORT_CHECK}\` is \`error\` (failing, so new and paged) with the region and the reason: AWS's code ("0 imported before the import`,
      'stopped: BatchImportFindings failed: <code> …: in <region>: …"), "not enabled" (with how to enable it), or every finding refused',
      '(with the first refusals\' codes); the run goes on.',
      '',
      markdownTable(['BatchImportFindings fault', 'observed'], hubRows),
      '',
      '### Report store (audit)',
      '',
      ...storeChecks.map((check) => `- ${check}`),
      '',
      '### Security (audit)',
      '',
      ...securityChecks.map((check) => `- ${check}`),
    ].join('\n'),
  );
});

const RUN_KEYS = (date: string, runId: string): string[] => [
  ...['html', 'json', 'md', 'ocsf.jsonl'].map((extension) => `${REPORTS_PREFIX}${ACCOUNT}/${date}/encryption-audit-${runId}.${extension}`),
  HISTORY_KEY,
];
const TONIGHT = { date: '2026-03-01', runId: '2026-03-01T030000Z' } as const;
const latestReads = (run: Run): string[] => run.world.journal.filter((entry) => entry.call.startsWith('GetObject (previous')).map((entry) => entry.call);

describe('audit fault injection: every call × every fault', () => {
  it('baseline: with no fault the run passes its own checks and leaves the state for the next run', async () => {
    const first = await runCell(undefined, undefined, { previousReport: undefined, history: undefined });
    expect(first.first.error).toBeUndefined();
    expect(await invariantProblems(first)).toEqual([]);
    // Streamed uploads of the four reports and the history, then a server-side copy; no PutObject of latest.json.
    expect(first.world.uploads.map((upload) => upload.key).sort()).toEqual(RUN_KEYS(TONIGHT.date, TONIGHT.runId));
    expect(first.world.journal.filter((entry) => entry.call === 'CopyObject (latest.json)')).toHaveLength(1);
    expect(new Set(sentOperations())).toEqual(AUDIT_OPERATIONS);
    // No history yet: this run starts it; every finding is first seen now.
    expect(historyEntries(first.world.objects.get(HISTORY_KEY)).map((entry) => entry.runId)).toEqual([TONIGHT.runId]);
    baselineReport = first.world.objects.get(LATEST_KEY);
    expect(baselineReport).toBeDefined();
    expect(new Set((JSON.parse(baselineReport ?? '{}') as AuditReport).findings.map((finding) => finding.firstSeen))).toEqual(new Set(['2026-03-01T03:00:00.000Z']));

    // Second baseline run: with the previous report read back, nothing is new and nothing changed, so latest.json is read once.
    const again = await runCell(undefined, undefined, { previousReport: baselineReport });
    expect(again.first.error).toBeUndefined();
    expect(again.first.value).toMatchObject({ changes: { new: 0, changed: 0, resolved: 0 }, page: false });
    expect(latestReads(again)).toEqual(['GetObject (previous report)']);
    expect(await invariantProblems(again)).toEqual([]);
    expect(historyEntries(again.world.objects.get(HISTORY_KEY)).map((entry) => entry.runId)).toEqual(['2026-02-27T030000Z', PREVIOUS_NIGHT.runId, TONIGHT.runId]);
    baseline = findingsIn(again.first.lines);
    // The bystander has known failing findings (no bucket policy), the target's key an overlap.
    expect(baseline.some((finding) => finding.resource === BYSTANDER_ARN && finding.check === 's3-tls-only-policy' && finding.status === 'failed')).toBe(true);
    expect(baseline.some((finding) => finding.resource === TARGET_KEY && finding.check === 'kms-key-role-separation' && finding.status === 'failed')).toBe(true);
    expect(baseline.filter((finding) => finding.status === 'error')).toEqual([]);
    expect(everythingOut(again)).not.toContain(POLICY_MARKER);

    // The drifted state every cell starts from: one changed, one resolved, both shown in full; first sightings carried.
    drifted = drift(again.world.objects.get(LATEST_KEY) ?? '');
    const changed = await runCell(undefined, undefined);
    expect(changed.first.error).toBeUndefined();
    expect(changed.first.value).toMatchObject({ changes: { new: 0, changed: 1, resolved: 1 }, page: true });
    expect(latestReads(changed)).toEqual(['GetObject (previous report)', 'GetObject (previous details)']);
    expect(changed.world.published.join('\n')).toContain(PREVIOUS_OBSERVED);
    expect(changed.world.published.join('\n')).toContain(RETIRED_OBSERVED);
    expect(changed.world.published.join('\n')).not.toContain(SKETCHED);
    expect(storedIn(changed, changed.first, '.md')?.body).toContain(RETIRED_OBSERVED);
    const carried = reportIn(changed, changed.first)?.findings ?? [];
    expect(new Set(carried.filter((finding) => finding.resource === BYSTANDER_ARN).map((finding) => finding.firstSeen))).toEqual(new Set([BYSTANDER_FIRST_SEEN]));
    expect(new Set(carried.filter((finding) => finding.resource !== BYSTANDER_ARN).map((finding) => finding.firstSeen))).toEqual(new Set([PREVIOUS_NIGHT.startedAt]));
    expect(await invariantProblems(changed)).toEqual([]);
  });

  for (const call of AUDIT_CALLS) {
    describe(call, () => {
      for (const fault of FAULTS) {
        it(`${fault.label}`, async () => {
          const run = await runTableCell(call, fault);
          const expected = expectedFor(call, fault);
          const observed = outcomeOf(run, call);
          cells.push({ call, fault, expected, observed, ok: observed === expected });
          expect(run.world.journal.some((entry) => entry.call === call && entry.failed), `${call} was reached and faulted`).toBe(true);
          expect(observed).toBe(expected);
          expect(await invariantProblems(run)).toEqual([]);

          const finished = run.retry ?? run.first;
          expect(finished.error).toBeUndefined();
          // The run went on: the summary went out.
          expect(publishedIn(run, finished).length).toBeGreaterThan(0);
          // The bystander's findings are all still there, and it gained no error finding.
          if (call !== 'DescribeKey (required key)') {
            const now = findingsIn(finished.lines);
            const signatures = new Set(now.map(signature));
            for (const finding of baseline.filter((item) => item.resource === BYSTANDER_ARN)) expect(signatures, finding.check).toContain(signature(finding));
            expect(now.filter((finding) => finding.resource === BYSTANDER_ARN && finding.status === 'error')).toEqual([]);
          }
          // Nothing of the policies beyond what a finding needs, and no credential, left the function.
          const out = everythingOut(run);
          expect(out).not.toContain(POLICY_MARKER);
          for (const secret of Object.values(CREDENTIALS)) expect(out).not.toContain(secret);
        });
      }
    });
  }
});

describe('audit with Security Hub CSPM on: BatchImportFindings × every fault', () => {
  it('baseline: every finding, and the deleted bucket\'s archived, goes in; the import passes', async () => {
    const run = await runCell(undefined, undefined, { env: SECURITY_HUB_ENV });
    expect(run.first.error).toBeUndefined();
    expect(await invariantProblems(run)).toEqual([]);
    const findings = reportIn(run, run.first)?.findings ?? [];
    const imports = findings.filter((finding) => finding.check === IMPORT_CHECK);
    expect(imports).toMatchObject([{ status: 'passed', region: HOME_REGION, resource: HUB_ARN, observed: `${findings.length} imported` }]);
    // Each finding of the run but the import's own, and the deleted bucket's once more, archived.
    const archived = run.world.imported.filter((finding) => finding.RecordState === 'ARCHIVED');
    expect(archived.map((finding) => finding.Id)).toEqual([findingId('s3-tls-only-policy', RETIRED_ARN)]);
    const active = run.world.imported.filter((finding) => finding.RecordState === 'ACTIVE');
    expect(active.map((finding) => finding.Id).sort()).toEqual(findings.filter((finding) => finding.check !== IMPORT_CHECK).map((finding) => finding.id).sort());
    // Security Hub's first observation is the report's first sighting.
    const firstSeen = new Map(findings.map((finding) => [finding.id, finding.firstSeen]));
    for (const finding of active) expect(finding.FirstObservedAt, finding.Id).toBe(firstSeen.get(finding.Id ?? ''));
    // Into the home region's Security Hub: every finding here is of us-east-1 or of no region.
    expect(new Set(run.world.imported.map((finding) => finding.ProductArn))).toEqual(new Set([`arn:aws:securityhub:${HOME_REGION}:${ACCOUNT}:product/${ACCOUNT}/default`]));
    hubBaseline = new Set(findings.filter((finding) => finding.check !== IMPORT_CHECK).map((finding) => signature(finding)));
  });

  for (const fault of HUB_FAULTS) {
    it(fault.label, async () => {
      // The importer's backoff waits a random share of its bound: drawn as 0 where every attempt fails.
      const random = fault.times ? vi.spyOn(Math, 'random').mockReturnValue(0) : undefined;
      let run: Run;
      try {
        run = await runCell(fault.make ? SECURITY_HUB_CALL : undefined, fault.make, {
          env: SECURITY_HUB_ENV,
          ...(fault.times ? { times: fault.times } : {}),
          ...(fault.refuses ? { securityHubRefuses: fault.refuses } : {}),
        });
      } finally {
        random?.mockRestore();
      }
      const observed = hubOutcomeOf(run);
      hubCells.push({ fault, observed, ok: observed === fault.expected });
      const calls = hubCallsIn(run, run.first);
      expect(calls.length, 'BatchImportFindings calls').toBe(fault.refuses ? 1 : fault.expected === IMPORTED_ON_A_RETRY ? 2 : (fault.times ?? 1));
      expect(observed).toBe(fault.expected);
      expect(await invariantProblems(run)).toEqual([]);

      // The run completes: the summary links the report, latest.json moves on, the history has this run.
      const outcome = outcomeIn(run.first);
      expect(run.retry).toBeUndefined();
      expect(outcome?.reportError).toBeUndefined();
      expect(publishedIn(run, run.first).some((message) => message.includes(`Report: s3://${REPORTS}/`))).toBe(true);
      expect(run.world.objects.get(LATEST_KEY)).toBe(storedIn(run, run.first, '.json')?.body);
      expect(historyEntries(run.world.objects.get(HISTORY_KEY)).at(-1)?.runId).toBe(TONIGHT.runId);
      // Nothing is lost from the report: every other finding as without the fault.
      const findings = reportIn(run, run.first)?.findings ?? [];
      expect(new Set(findings.filter((finding) => finding.check !== IMPORT_CHECK).map((finding) => signature(finding)))).toEqual(hubBaseline);
      // The import's outcome is logged with the region; a failed import is a failing finding, logged as such.
      expect(importLogged(run.first)).toBeDefined();
      if (fault.expected !== IMPORTED_ON_A_RETRY) {
        expect(findingsIn(run.first.lines).filter((finding) => finding.check === IMPORT_CHECK)).toMatchObject([{ status: 'error', resource: HUB_ARN }]);
        expect(outcome?.page).toBe(true);
      }
      const out = everythingOut(run);
      expect(out).not.toContain(POLICY_MARKER);
      for (const secret of Object.values(CREDENTIALS)) expect(out).not.toContain(secret);
    });
  }
});

describe('audit report store: state across runs', () => {
  it('a failed copy leaves latest.json as it was: the invocation succeeds, and the next night pages the same changes again', async () => {
    const world = installWorld({ faulted: 'CopyObject (latest.json)', fault: () => s3Error('AccessDenied', 403), previousReport: drifted, history: PREVIOUS_HISTORY });
    const handler = await loadAuditHandler();
    const tonight = await invoke(world, handler);
    const nextNight = await invoke(world, handler, { ...EVENT, time: '2026-03-02T03:00:00Z' });
    const first = outcomeIn(tonight);
    const second = outcomeIn(nextNight);
    expect(first?.reportError).toMatch(/^the state for the next run was not saved \(CopyObject: AccessDenied: /);
    expect(first?.page).toBe(true);
    expect(second?.reportError).toBeUndefined();
    expect(second?.changes).toEqual(first?.changes);
    expect(second?.page).toBe(true);
    expect(world.objects.get(LATEST_KEY)).toBe(world.written.get('encryption-audit/123456789012/2026-03-02/encryption-audit-2026-03-02T030000Z.json'));
    // The history is not the state: both nights are in it.
    const runs = historyEntries(world.objects.get(HISTORY_KEY)).map((entry) => entry.runId);
    expect(runs).toEqual(['2026-02-27T030000Z', PREVIOUS_NIGHT.runId, TONIGHT.runId, '2026-03-02T030000Z']);
    expect([...tonight.leftovers, ...nextNight.leftovers]).toEqual([]);
    storeChecks.push(
      `a CopyObject to latest.json refused (AccessDenied): the invocation succeeds with \`reportError\` "${first?.reportError?.replace(/ \(.*\)/, ' (…)') ?? ''}", latest.json keeps the previous state, and the next night's run pages the same ${String(first?.changes.changed)} changed and ${String(first?.changes.resolved)} resolved finding(s) again, then saves its state; the history has both nights (${runs.length} runs)`,
    );
  });

  it('a history that cannot be read is left as it was, and the next night adds to it', async () => {
    const world = installWorld({ faulted: 'GetObject (history)', fault: () => s3Error('AccessDenied', 403), previousReport: drifted, history: PREVIOUS_HISTORY });
    const handler = await loadAuditHandler();
    const tonight = await invoke(world, handler);
    const afterTonight = world.objects.get(HISTORY_KEY);
    const nextNight = await invoke(world, handler, { ...EVENT, time: '2026-03-02T03:00:00Z' });
    expect(outcomeIn(tonight)?.reportError).toBeUndefined();
    expect(historyNotWrittenLogged(tonight)).toBe(true);
    expect(afterTonight).toBe(PREVIOUS_HISTORY);
    expect(outcomeIn(nextNight)?.reportError).toBeUndefined();
    const runs = historyEntries(world.objects.get(HISTORY_KEY)).map((entry) => entry.runId);
    expect(runs).toEqual(['2026-02-27T030000Z', PREVIOUS_NIGHT.runId, '2026-03-02T030000Z']);
    expect([...tonight.leftovers, ...nextNight.leftovers]).toEqual([]);
    storeChecks.push(
      'the history\'s GetObject refused (AccessDenied): the run writes and links its four reports and moves latest.json on, logs "audit report not written" for the history, and leaves it byte for byte as it was; the next night reads it and adds itself: the two nights before and the next night are in it, the night whose read failed is not',
    );
  });

  it('a summary not delivered: the retry writes the history again, with the run once', async () => {
    const run = await runTableCell('Publish', faultById('throttling'));
    expect(run.retry?.error).toBeUndefined();
    const written = [run.first, ...(run.retry ? [run.retry] : [])].map((invocation) => historyUploadsIn(run, invocation).filter((upload) => upload.stored).length);
    expect(written).toEqual([1, 1]);
    expect(historyEntries(run.world.objects.get(HISTORY_KEY)).map((entry) => entry.runId)).toEqual(['2026-02-27T030000Z', PREVIOUS_NIGHT.runId, TONIGHT.runId]);
    expect(await invariantProblems(run)).toEqual([]);
    storeChecks.push(
      'Publish throttled: the history was written with this run before the summary failed; the scheduler\'s retry reads it back, replaces the run\'s entry and writes it again: the run is in the history once, after the two nights before',
    );
  });

  it('a transient PutObject failure that outlasts the report store\'s attempts: the report is not written, each attempt sent the same bytes', async () => {
    const world = installWorld({ faulted: 'PutObject (JSON report)', fault: () => s3Error('SlowDown', 503), times: 10, previousReport: drifted, history: PREVIOUS_HISTORY });
    const handler = await loadAuditHandler();
    const run = await invoke(world, handler);
    const outcome = outcomeIn(run);
    const attempts = world.uploads.filter((upload) => isReportKey(upload.key, '.json'));
    expect(run.error).toBeUndefined();
    expect(attempts.length).toBeGreaterThan(1);
    expect(attempts.every((upload) => !upload.stored && upload.streamed && upload.bytes === upload.input['ContentLength'])).toBe(true);
    expect(new Set(attempts.map((upload) => upload.body)).size).toBe(1);
    expect(outcome?.reportError).toMatch(/^PutObject: SlowDown: /);
    expect(world.published.join('\n')).toContain('Report: not written');
    expect(world.objects.get(LATEST_KEY)).toBe(drifted);
    expect(world.objects.get(HISTORY_KEY)).toBe(PREVIOUS_HISTORY);
    expect(run.leftovers).toEqual([]);
    expect(await invariantProblems({ world, first: run })).toEqual([]);
    storeChecks.push(
      `a report's PutObject throttled (SlowDown) on every attempt: the report store makes ${attempts.length} attempts, each a fresh stream of the same ${attempts[0]?.bytes.toLocaleString('en') ?? 0} bytes with the same ContentLength, then gives up; the run succeeds with \`reportError\`, the summary says "Report: not written", latest.json is not moved on and the history is not written`,
    );
  }, 20_000);

  it('a previous report written by an earlier version (pretty-printed JSON) is still the state, read in one piece', async () => {
    const pretty = JSON.stringify(JSON.parse(drifted ?? '{}'), null, 2);
    const run = await runCell(undefined, undefined, { previousReport: pretty });
    const outcome = outcomeIn(run.first);
    expect(outcome?.changes).toMatchObject({ new: 0, changed: 1, resolved: 1 });
    expect(warnedWith(run.first, '')).toBe(false);
    expect(run.world.published.join('\n')).toContain(RETIRED_OBSERVED);
    expect(await invariantProblems(run)).toEqual([]);
    expect((run.world.objects.get(LATEST_KEY) ?? '').split('\n')[1]).toBe('"findings":[');
    storeChecks.push(
      `a latest.json pretty-printed by an earlier version (${pretty.split('\n').length.toLocaleString('en')} lines): read as the state and for the details (nothing new; the changed and resolved findings shown in full; first sightings carried), and replaced by a report in the line layout`,
    );
  });

  it('a report store that fails every call: the run still audits, publishes and says so', async () => {
    const world = installWorld({ previousReport: drifted, history: PREVIOUS_HISTORY });
    const handler = await loadAuditHandler();
    // Everything the report store does fails, every time.
    s3Mock.on(GetObjectCommand).rejects(s3Error('AccessDenied', 403));
    s3Mock.on(PutObjectCommand).rejects(s3Error('AccessDenied', 403));
    s3Mock.on(CopyObjectCommand).rejects(s3Error('AccessDenied', 403));
    const run = await invoke(world, handler);
    const outcome = outcomeIn(run);
    expect(run.error).toBeUndefined();
    expect(outcome?.reportError).toMatch(/^PutObject: AccessDenied: /);
    expect(outcome?.report).toBeUndefined();
    expect(world.published.join('\n')).toContain('Report: not written');
    expect(world.objects.get(LATEST_KEY)).toBe(drifted);
    expect(world.objects.get(HISTORY_KEY)).toBe(PREVIOUS_HISTORY);
    expect(warnedWith(run, 'the previous report could not be read')).toBe(true);
    expect(outcome?.changes.new).toBe((outcome?.findings.failed ?? 0) + (outcome?.findings.error ?? 0));
    expect(run.leftovers).toEqual([]);
    storeChecks.push(
      'GetObject, PutObject and CopyObject of the reports bucket all refused: the run audits every bucket, takes itself for a first run (warned), publishes a summary that says "Report: not written", succeeds, and leaves latest.json and the history untouched; its spool is gone',
    );
  });
});

describe('audit security: findings and logs carry no more of a policy than the finding needs', () => {
  it('a long failing bucket policy with a marker statement: the marker and the document stay out of findings, logs, alerts and the streamed reports', async () => {
    const policy = targetBucketPolicy(false);
    expect(policy.length).toBeGreaterThan(10_000);
    const run = await runCell(undefined, undefined, { targetPolicy: policy });
    expect(run.first.error).toBeUndefined();
    expect(await invariantProblems(run)).toEqual([]);
    const findings = findingsIn(run.first.lines);
    const tls = findings.find((finding) => finding.resource === TARGET_ARN && finding.check === 's3-tls-only-policy');
    expect(tls?.status).toBe('failed');
    // The reports as S3 received them: read from the PutObject Body streams.
    const reports = REPORT_EXTENSIONS.map((extension) => storedIn(run, run.first, extension));
    expect(reports.every((report) => report?.streamed === true)).toBe(true);
    const stored = (JSON.parse(storedIn(run, run.first, '.json')?.body ?? '{}') as { findings: { observed: string; expected: string; title: string; remediation: string }[] }).findings;
    expect(stored.length).toBeGreaterThan(0);
    const longest = Math.max(...stored.map((finding) => finding.observed.length + finding.expected.length));
    for (const finding of stored) {
      for (const field of [finding.observed, finding.expected, finding.title, finding.remediation]) {
        expect(field).not.toContain(POLICY_MARKER);
        expect(field).not.toContain(policy);
        expect(field).not.toContain(targetKeyPolicy());
      }
    }
    for (const text of [...reports.map((report) => report?.body ?? ''), run.world.objects.get(LATEST_KEY) ?? '', run.world.objects.get(HISTORY_KEY) ?? '']) {
      expect(text.length).toBeGreaterThan(0);
      expect(text).not.toContain(POLICY_MARKER);
      expect(text).not.toContain('"Statement"');
    }
    for (const line of run.first.text.split('\n')) {
      expect(line).not.toContain(POLICY_MARKER);
      expect(line).not.toContain('"Statement"');
    }
    const out = everythingOut(run);
    expect(out).not.toContain(POLICY_MARKER);
    for (const secret of Object.values(CREDENTIALS)) expect(out).not.toContain(secret);
    securityChecks.push(
      `a ${policy.length.toLocaleString('en')}-character failing bucket policy and a ${targetKeyPolicy().length.toLocaleString('en')}-character key policy, each with a marker statement: the marker and the documents appear in no finding's observed, expected, title or remediation (longest observed + expected: ${longest} characters), no log line, no SNS message, none of the four streamed reports (JSON, Markdown, HTML and OCSF, as read from the PutObject Body streams), the history, nor the copy in latest.json`,
    );
  });

  it('no credential reaches a log line, thrown error, alert or stored report, whatever fails', async () => {
    const calls = ['ListBuckets', 'GetBucketPolicy', 'GetKeyPolicy', 'GetObject (previous report)', 'GetObject (previous details)', 'GetObject (history)', 'PutObject (JSON report)', 'PutObject (history)', 'Publish', 'CopyObject (latest.json)'] as const;
    for (const call of calls) {
      const run = await runTableCell(call, faultById('access-denied'));
      expect(run.world.journal.some((entry) => entry.call === call && entry.failed), call).toBe(true);
      const out = everythingOut(run);
      for (const secret of Object.values(CREDENTIALS)) expect(out, call).not.toContain(secret);
    }
    securityChecks.push(
      `no AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN value in any log line, thrown error, SNS message, stored report (read from the upload streams) or finding sent to Security Hub: every cell of the tables above, plus ${calls.length} AccessDenied runs (${calls.join(', ')})`,
    );
  });
});
