import { CopyObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SNSServiceException } from '@aws-sdk/client-sns';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { AuditOutcome } from '../../../functions/audit-encryption/audit-account.js';
import { scanPreviousReport, type AuditReport } from '../../../shared/audit/audit-report.js';
import { reportJson } from '../../fixtures/whole-report.js';
import { findingId, type Finding } from '../../../shared/audit/finding.js';
import {
  ACCOUNT,
  AUDIT_CALLS,
  AUDIT_OPERATIONS,
  BYSTANDER_ARN,
  CREDENTIALS,
  EVENT,
  LATEST_KEY,
  POLICY_MARKER,
  REPORTS,
  REQUIRED,
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
  type World,
} from '../../fixtures/audit-handler-harness.js';
import { kmsError, networkError, s3Error } from '../../fixtures/aws-errors.js';
import { captureOutput, type Captured, type LogLine } from '../../fixtures/enforce-handler-harness.js';
import { markdownTable, publishReliabilitySection, type ReliabilitySectionId } from '../../fixtures/reliability-report.js';

/**
 * Every AWS call the nightly audit makes × every fault worth expecting, through the real handler
 * (cold start, aws-sdk-client-mock for S3, KMS and SNS). The faulted call fails once, for the target
 * bucket or its key only; the bystander bucket's findings must come through unchanged. A failure the
 * audit cannot turn into a finding (ListBuckets, Publish) must fail the invocation, so that the
 * scheduler's retry runs the audit again; the retry (fault spent) must then succeed. The report store
 * streams: latest.json is read as a stream (twice when findings changed or were resolved), the dated
 * reports are uploaded as streams, and latest.json is a server-side copy of the dated JSON report.
 */

const SECTION: ReliabilitySectionId = 'audit-fault-injection';

const snsError = (name: string, httpStatusCode: number): SNSServiceException =>
  new SNSServiceException({ name, message: name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode } });
const timeoutError = (): Error => Object.assign(new Error('Connection timed out after 3000 ms'), { name: 'TimeoutError' });

type Service = 's3' | 'kms' | 'sns';
const serviceOf = (call: AuditCall): Service =>
  call === 'Publish' ? 'sns' : call.startsWith('DescribeKey') || call === 'GetKeyRotationStatus' || call === 'GetKeyPolicy' ? 'kms' : 's3';

interface Fault {
  readonly id: string;
  readonly label: string;
  readonly make: (service: Service, call: AuditCall) => Error;
}

const s3NotFound = (call: AuditCall): Error =>
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

const expectedFor = (call: AuditCall, fault: Fault): string => {
  if (call === 'ListBuckets' || call === 'Publish') return 'invocation fails → ok';
  if (call === 'GetObject (previous report)') return fault.id === 'not-found' ? 'ok: taken as first run' : 'ok: previous report unread (warned)';
  // The object was there: a stream that breaks is a report that could not be read, whatever the error says.
  if (call === 'GetObject (previous report), body breaks') return 'ok: previous report unread (warned)';
  // latest.json gone between the two reads (NoSuchKey) is warned about like any other failed read.
  if (call === 'GetObject (previous details)') return 'ok: previous details sketched (warned)';
  if (call === 'GetObject (previous details), body breaks') return 'ok: previous details sketched (warned)';
  if (call === 'PutObject (JSON report)' || call === 'PutObject (Markdown report)') return TRANSIENT.has(fault.id) ? 'ok: written on a retry' : 'ok: report not written (said in summary)';
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

/**
 * The baseline report, drifted: the bystander's failing TLS finding was observed differently last
 * night (so it is `changed` now), and a bucket since deleted had a failing finding (so it is
 * `resolved`). Every cell thereby makes the second read of latest.json, for those two in full.
 */
const drift = (baselineReport: string): string => {
  const report = JSON.parse(baselineReport) as AuditReport;
  const tls = report.findings.find((finding) => finding.resource === BYSTANDER_ARN && finding.check === 's3-tls-only-policy' && finding.status === 'failed');
  if (!tls) throw new Error('the baseline report has no failing TLS finding for the bystander');
  const retired: Finding = { ...tls, id: findingId(tls.check, RETIRED_ARN), resource: RETIRED_ARN, observed: RETIRED_OBSERVED };
  const findings = [...report.findings.map((finding) => (finding.id === tls.id ? { ...finding, observed: PREVIOUS_OBSERVED } : finding)), retired];
  return reportJson({ ...report, findings });
};

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
}

const runCell = async (call: AuditCall | undefined, fault: Fault | undefined, options: CellOptions = {}): Promise<Run> => {
  const world = installWorld({
    faulted: call,
    fault: call && fault ? () => fault.make(serviceOf(call), call) : undefined,
    previousReport: 'previousReport' in options ? options.previousReport : drifted,
    ...(options.targetPolicy ? { targetPolicy: options.targetPolicy } : {}),
  });
  const handler = await loadAuditHandler();
  const first = await invoke(world, handler);
  if (!first.error) return { world, first };
  const retry = await invoke(world, handler);
  return { world, first, retry };
};

const outcomeIn = (invocation: Invocation): AuditOutcome | undefined => (invocation.error ? undefined : (invocation.value as AuditOutcome));
const entriesOf = (run: Run, invocation: Invocation) => run.world.journal.filter((entry) => entry.invocation === invocation.number);
const publishedIn = (run: Run, invocation: Invocation): string[] =>
  entriesOf(run, invocation).flatMap((entry) => (entry.call === 'Publish' && !entry.failed ? [String(entry.input['Message'])] : []));
const storedIn = (run: Run, invocation: Invocation, extension: '.json' | '.md') =>
  run.world.uploads.find((upload) => upload.invocation === invocation.number && upload.stored && upload.key.endsWith(extension) && upload.key !== LATEST_KEY);

/** Everything the run let out of the function: logs, thrown errors, alerts, stored reports. */
const everythingOut = (run: Run): string =>
  [
    run.first.text,
    run.first.error ? `${run.first.error.message} ${JSON.stringify(run.first.error)}` : '',
    run.retry?.text ?? '',
    run.retry?.error?.message ?? '',
    ...run.world.published,
    ...run.world.uploads.map((upload) => upload.body),
    ...run.world.objects.values(),
  ].join('\n');

const lines = async function* (text: string): AsyncIterable<string> {
  yield* text.split('\n');
};

/**
 * What must hold in every invocation whatever failed: the spool is gone; reports are streamed with
 * their exact length, encrypted under the required key, in the line layout the next run reads; the
 * copy names this run's JSON report and comes only after the summary went out; the second read of
 * latest.json happens exactly when findings changed or were resolved; each failing finding is logged
 * once; latest.json moves on exactly when the run reports no error. Returns what does not hold.
 */
const invariantProblems = async (run: Run): Promise<string[]> => {
  const problems: string[] = [];
  const problem = (invocation: Invocation, text: string): void => void problems.push(`invocation ${invocation.number}: ${text}`);
  for (const operation of new Set(sentOperations())) if (!AUDIT_OPERATIONS.has(operation)) problems.push(`${operation} is sent but has no row in the table`);
  for (const invocation of [run.first, ...(run.retry ? [run.retry] : [])]) {
    if (invocation.leftovers.length > 0) problem(invocation, `spool left behind: ${invocation.leftovers.join(', ')}`);
    const entries = entriesOf(run, invocation);
    const uploads = run.world.uploads.filter((upload) => upload.invocation === invocation.number);
    for (const upload of uploads) {
      const { input } = upload;
      if (upload.key === LATEST_KEY) problem(invocation, 'latest.json was uploaded, not copied');
      if (!upload.streamed) problem(invocation, `${upload.key}: the Body was not a stream`);
      const droppedMidUpload = !upload.stored && upload.bytes < Number(input['ContentLength']);
      if (!droppedMidUpload && input['ContentLength'] !== upload.bytes) problem(invocation, `${upload.key}: ContentLength ${String(input['ContentLength'])}, body ${upload.bytes} bytes`);
      const contentType = upload.key.endsWith('.md') ? 'text/markdown; charset=utf-8' : 'application/json';
      for (const [field, value] of Object.entries({ Bucket: REPORTS, ContentType: contentType, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: REQUIRED, BucketKeyEnabled: true, ExpectedBucketOwner: ACCOUNT })) {
        if (input[field] !== value) problem(invocation, `${upload.key}: ${field} ${String(input[field])}`);
      }
    }
    const sent = new Map<string, string>();
    for (const upload of uploads.filter((item) => item.bytes === Number(item.input['ContentLength']))) {
      if ((sent.get(upload.key) ?? upload.body) !== upload.body) problem(invocation, `${upload.key}: a retried upload sent other bytes`);
      sent.set(upload.key, upload.body);
    }
    const json = storedIn(run, invocation, '.json');
    if (json) {
      const document = JSON.parse(json.body) as AuditReport;
      const split = json.body.split('\n');
      if (split[1] !== '"findings":[') problem(invocation, 'the JSON report is not in the line layout');
      let scanned = 0;
      const scan = await scanPreviousReport(lines(json.body), () => void (scanned += 1));
      if (scan.kind !== 'found' || scanned !== document.findings.length || document.findings.length !== document.summary.findings) {
        problem(invocation, `the JSON report does not read back: ${scan.kind}, ${scanned} of ${document.findings.length} findings, summary ${document.summary.findings}`);
      }
    }
    const copies = entries.filter((entry) => entry.call === 'CopyObject (latest.json)');
    if (copies.length > 1) problem(invocation, `${copies.length} copies to latest.json`);
    for (const copy of copies) {
      const { input } = copy;
      if (!json || input['CopySource'] !== `${REPORTS}/${json.key}`) problem(invocation, `the copy's source ${String(input['CopySource'])} is not this run's stored JSON report`);
      if (!storedIn(run, invocation, '.md')) problem(invocation, 'latest.json copied though the Markdown report was not stored');
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
    const reads = entries.filter((entry) => entry.call.startsWith('GetObject (previous'));
    const stateRead = reads.find((entry) => entry.call.startsWith('GetObject (previous report)'));
    const detailReads = reads.filter((entry) => entry.call.startsWith('GetObject (previous details)'));
    if (reads.length > 2 || detailReads.length > 1) problem(invocation, `latest.json read ${reads.length} times`);
    const outcome = outcomeIn(invocation);
    if (!outcome) continue;
    const stateWasRead = stateRead !== undefined && !stateRead.failed && run.world.previousReport !== undefined;
    const detailsNeeded = stateWasRead && outcome.changes.changed + outcome.changes.resolved > 0;
    if (detailsNeeded !== (detailReads.length === 1)) problem(invocation, `details read ${detailReads.length} time(s), changed ${outcome.changes.changed}, resolved ${outcome.changes.resolved}`);
    const published = publishedIn(run, invocation);
    if (published.length !== outcome.notifications) problem(invocation, `${published.length} of ${outcome.notifications} notifications published`);
    if (detailReads.length === 1 && !detailReads[0]?.failed && published.some((message) => message.includes(SKETCHED))) problem(invocation, 'details were read, yet the summary sketches them');
    const failing = outcome.findings.failed + outcome.findings.error;
    const logged = findingsIn(invocation.lines);
    if (logged.length !== failing || new Set(logged.map((finding) => finding.id)).size !== failing) problem(invocation, `${logged.length} finding lines for ${failing} failing findings`);
    if (json && JSON.stringify((JSON.parse(json.body) as AuditReport).summary.byStatus) !== JSON.stringify(outcome.findings)) problem(invocation, 'the report counts differ from the outcome');
    if (outcome.reportError !== undefined && outcome.report !== undefined) problem(invocation, 'an outcome with reportError links a report');
    if (invocation === (run.retry ?? run.first)) {
      const latest = run.world.objects.get(LATEST_KEY);
      if (outcome.reportError === undefined && (latest === undefined || latest !== json?.body)) problem(invocation, 'the run succeeded but latest.json is not its report');
      if (outcome.reportError !== undefined && latest !== run.world.previousReport) problem(invocation, 'the run reported an error but latest.json moved on');
    }
  }
  return problems;
};

const warnedWith = (invocation: Invocation, text: string): boolean =>
  invocation.lines.some((line) => String(line['message']).startsWith('no previous report to compare with') && String(line['reason']).includes(text));

/** The details read failed: said as such, never as "no previous report" (the state was read). */
const detailsWarned = (invocation: Invocation): boolean =>
  invocation.lines.some((line) => String(line['message']).startsWith('the previous findings that changed or resolved could not be read back')) &&
  !invocation.lines.some((line) => String(line['message']).startsWith('no previous report to compare with'));

const outcomeOf = (run: Run, call: AuditCall): string => {
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
  if (call.startsWith('PutObject')) {
    const inSummary = published.some((message) => message.includes('Report: not written'));
    const extension = call === 'PutObject (Markdown report)' ? '.md' : '.json';
    const attempts = run.world.uploads.filter((upload) => upload.invocation === run.first.number && upload.key.endsWith(extension));
    const retried = attempts.length === 2 && attempts[0]?.stored === false && attempts[1]?.stored === true;
    if (!suffix && retried && !latestUnchanged) return 'ok: written on a retry';
    return suffix === 'report not written' && inSummary && latestUnchanged && attempts.length === 1 ? 'ok: report not written (said in summary)' : `ok: ${suffix ?? 'written'} (${attempts.length} attempt(s))`;
  }
  if (call === 'CopyObject (latest.json)') {
    const linked = published.some((message) => message.includes(`Report: s3://${REPORTS}/`));
    const stored = storedIn(run, run.first, '.json') !== undefined && storedIn(run, run.first, '.md') !== undefined;
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
  readonly call: AuditCall;
  readonly fault: Fault;
  readonly expected: string;
  readonly observed: string;
  readonly ok: boolean;
}
const cells: Cell[] = [];
const securityChecks: string[] = [];
const storeChecks: string[] = [];

afterAll(() => {
  vi.unstubAllEnvs();
  removeSpoolDirectory();
  if (cells.length !== AUDIT_CALLS.length * FAULTS.length) return;
  const failing = cells.filter((cell) => !cell.ok).length;
  const rows = AUDIT_CALLS.map((call) => [
    call,
    ...FAULTS.map((fault) => {
      const cell = cells.find((item) => item.call === call && item.fault.id === fault.id);
      return cell ? (cell.ok ? cell.observed : `**${cell.observed}** (expected ${cell.expected})`) : '—';
    }),
  ]);
  publishReliabilitySection(
    SECTION,
    [
      '_The nightly audit (`functions/audit-encryption`), by test/unit/reliability/audit-fault-injection.test.ts (`npm run test:unit`)._',
      '',
      `${AUDIT_CALLS.length} calls × ${FAULTS.length} faults = **${cells.length} cells**, each a cold start of the real audit handler with`,
      'aws-sdk-client-mock answering for S3, KMS and SNS, over an account of two buckets: the target (no `BucketRegion`, a default key of its own,',
      'a long bucket policy, a sampled object) and a bystander. The faulted call fails once, for the target bucket or its key only (the',
      'report store and SNS calls are account-wide). latest.json holds the baseline report, drifted so that one bystander finding is',
      '`changed` and one finding of a deleted bucket `resolved`: every run reads latest.json twice (the state, then the details of those two),',
      'both as Node streams in uneven chunks that split lines and multi-byte characters. Every cell checks that the run finishes and',
      'publishes its summary, or that the invocation throws and the scheduler\'s retry (fault spent) succeeds; that the bystander\'s findings',
      'are all still there and it gained no error finding (the required key\'s DescribeKey excepted: every bucket depends on it); and that no',
      'log line, thrown error, SNS message or stored report carries the marker statement of the long bucket and key policies, or any credential.',
      '',
      'Every invocation of every cell also checks: the SDK operations sent are all rows of the table; the report spool (a private TMPDIR) is',
      'empty once the handler returns; each report is a stream Body whose ContentLength is its exact size in bytes, SSE-KMS under the required',
      'key with a bucket key and ExpectedBucketOwner; the JSON report is in the line layout and reads back line by line with every finding;',
      'latest.json is never uploaded, only copied (MetadataDirective COPY, SSE-KMS, ExpectedBucketOwner and ExpectedSourceBucketOwner) from',
      'this run\'s stored JSON report, once both reports are stored and after the summary went out; the details read happens exactly when',
      'findings changed or were resolved, and a summary shows the previous details in full whenever they were read; every failing finding is',
      'logged exactly once; the report\'s counts are the outcome\'s; latest.json moves on exactly when the run reports no `reportError`.',
      '',
      `**Cells failing: ${failing} of ${cells.length}.**`,
      '',
      'Legend: `error finding` — the faulted bucket or key gets an `error` finding (observed `<call> failed with <code>`) and the run goes on;',
      '`failed: <check>` — the answer is a fact, not an obstacle (KMS NotFoundException: the key named does not exist; a bare 400 to',
      'HeadObject: an SSE-C object); `ok: object gone` — the sampled object was deleted meanwhile; `invocation fails → ok` — nothing to',
      'audit (ListBuckets) or the summary was not delivered (Publish, after the dated reports and before latest.json, so the retry pages',
      'again): the handler throws, latest.json has not moved, and the retry succeeds; `ok: taken as first run` — no previous report',
      '(NoSuchKey), every failing finding new; `ok: previous report unread (warned)` — logged, every failing finding new;',
      '`ok: written on a retry` — a transient failure (throttling, 5xx, timeout, reset) of a report\'s PutObject: the report store uploads it',
      'again, the body read from its start (same bytes, same ContentLength), and the run goes on as if nothing happened;',
      '`ok: previous details sketched (warned)` — the state was read but the second read failed: the run succeeds, the changed and resolved',
      'findings are shown with "(the previous observation could not be read back)" (latest.json gone between the reads, NoSuchKey, is not',
      'warned about); `ok: report not written (said in summary)` — the run completes, its outcome carries `reportError`, the summary says',
      '"Report: not written" and latest.json is not moved on; `ok: state not saved (pages again)` — both reports stored and linked in the',
      'summary, but the copy to latest.json failed: the outcome\'s `reportError` says "the state for the next run was not saved", the',
      'invocation succeeds, and the next run pages the same changes again; `+ report not written` — the required key could not be used, so',
      'the report (encrypted under it) is not written. `…, body breaks`: GetObject answers, then its Body stream fails after the first line.',
      'PutObject faults: S3 reads the whole body before answering, except timeout and ECONNRESET, which drop the upload after its first chunk.',
      '',
      'Note: the report store failing does **not** fail the invocation: the code deliberately reports it in the summary instead',
      '(`audit-run.ts`), and only a Publish failure throws. S3 404s: `NotFound` to HeadObject, `NoSuchKey` to GetObject and CopyObject,',
      '`NoSuchBucket` elsewhere. aws-sdk-client-mock replaces the SDK\'s middleware, retries included: each fault here is what reaches the',
      'audit after the SDK gave up. The SDK\'s retry middleware (@smithy/core) does not retry a request whose body is a Node stream, so the',
      'reports\' PutObject is retried by the report store itself (`S3ReportStore.write`, transient errors only): AccessDenied, 404 and KMS',
      'errors are not retried.',
      '',
      markdownTable(['call', ...FAULTS.map((fault) => fault.label)], rows),
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

describe('audit fault injection: every call × every fault', () => {
  it('baseline: with no fault the run passes its own checks and leaves the state for the next run', async () => {
    const first = await runCell(undefined, undefined, { previousReport: undefined });
    expect(first.first.error).toBeUndefined();
    expect(await invariantProblems(first)).toEqual([]);
    // Streamed uploads of both reports, then a server-side copy; no PutObject of latest.json.
    expect(first.world.uploads.map((upload) => upload.key).sort()).toEqual([
      'encryption-audit/123456789012/2026-03-01/encryption-audit-2026-03-01T030000Z.json',
      'encryption-audit/123456789012/2026-03-01/encryption-audit-2026-03-01T030000Z.md',
    ]);
    expect(first.world.journal.filter((entry) => entry.call === 'CopyObject (latest.json)')).toHaveLength(1);
    expect(new Set(sentOperations())).toEqual(AUDIT_OPERATIONS);
    baselineReport = first.world.objects.get(LATEST_KEY);
    expect(baselineReport).toBeDefined();

    // Second baseline run: with the previous report read back, nothing is new and nothing changed, so latest.json is read once.
    const again = await runCell(undefined, undefined, { previousReport: baselineReport });
    expect(again.first.error).toBeUndefined();
    expect(again.first.value).toMatchObject({ changes: { new: 0, changed: 0, resolved: 0 }, page: false });
    expect(again.world.journal.filter((entry) => entry.call.startsWith('GetObject')).map((entry) => entry.call)).toEqual(['GetObject (previous report)']);
    expect(await invariantProblems(again)).toEqual([]);
    baseline = findingsIn(again.first.lines);
    // The bystander has known failing findings (no bucket policy), the target's key an overlap.
    expect(baseline.some((finding) => finding.resource === BYSTANDER_ARN && finding.check === 's3-tls-only-policy' && finding.status === 'failed')).toBe(true);
    expect(baseline.some((finding) => finding.resource === TARGET_KEY && finding.check === 'kms-key-role-separation' && finding.status === 'failed')).toBe(true);
    expect(baseline.filter((finding) => finding.status === 'error')).toEqual([]);
    expect(everythingOut(again)).not.toContain(POLICY_MARKER);

    // The drifted state every cell starts from: one changed, one resolved, both shown in full.
    drifted = drift(again.world.objects.get(LATEST_KEY) ?? '');
    const changed = await runCell(undefined, undefined);
    expect(changed.first.error).toBeUndefined();
    expect(changed.first.value).toMatchObject({ changes: { new: 0, changed: 1, resolved: 1 }, page: true });
    expect(changed.world.journal.filter((entry) => entry.call.startsWith('GetObject')).map((entry) => entry.call)).toEqual([
      'GetObject (previous report)',
      'GetObject (previous details)',
    ]);
    expect(changed.world.published.join('\n')).toContain(PREVIOUS_OBSERVED);
    expect(changed.world.published.join('\n')).toContain(RETIRED_OBSERVED);
    expect(changed.world.published.join('\n')).not.toContain(SKETCHED);
    expect(storedIn(changed, changed.first, '.md')?.body).toContain(RETIRED_OBSERVED);
    expect(await invariantProblems(changed)).toEqual([]);
  });

  for (const call of AUDIT_CALLS) {
    describe(call, () => {
      for (const fault of FAULTS) {
        it(`${fault.label}`, async () => {
          const run = await runCell(call, fault);
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

describe('audit report store: state across runs', () => {
  it('a failed copy leaves latest.json as it was: the invocation succeeds, and the next night pages the same changes again', async () => {
    const world = installWorld({ faulted: 'CopyObject (latest.json)', fault: () => s3Error('AccessDenied', 403), previousReport: drifted });
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
    expect([...tonight.leftovers, ...nextNight.leftovers]).toEqual([]);
    storeChecks.push(
      `a CopyObject to latest.json refused (AccessDenied): the invocation succeeds with \`reportError\` "${first?.reportError?.replace(/ \(.*\)/, ' (…)') ?? ''}", latest.json keeps the previous state, and the next night's run pages the same ${String(first?.changes.changed)} changed and ${String(first?.changes.resolved)} resolved finding(s) again, then saves its state`,
    );
  });

  it('a transient PutObject failure that outlasts the report store\'s attempts: the report is not written, each attempt sent the same bytes', async () => {
    const world = installWorld({ faulted: 'PutObject (JSON report)', fault: () => s3Error('SlowDown', 503), times: 10, previousReport: drifted });
    const handler = await loadAuditHandler();
    const run = await invoke(world, handler);
    const outcome = outcomeIn(run);
    const attempts = world.uploads.filter((upload) => upload.key.endsWith('.json'));
    expect(run.error).toBeUndefined();
    expect(attempts.length).toBeGreaterThan(1);
    expect(attempts.every((upload) => !upload.stored && upload.streamed && upload.bytes === upload.input['ContentLength'])).toBe(true);
    expect(new Set(attempts.map((upload) => upload.body)).size).toBe(1);
    expect(outcome?.reportError).toMatch(/^PutObject: SlowDown: /);
    expect(world.published.join('\n')).toContain('Report: not written');
    expect(world.objects.get(LATEST_KEY)).toBe(drifted);
    expect(run.leftovers).toEqual([]);
    expect(await invariantProblems({ world, first: run })).toEqual([]);
    storeChecks.push(
      `a report's PutObject throttled (SlowDown) on every attempt: the report store makes ${attempts.length} attempts, each a fresh stream of the same ${attempts[0]?.bytes.toLocaleString('en') ?? 0} bytes with the same ContentLength, then gives up; the run succeeds with \`reportError\`, the summary says "Report: not written", latest.json is not moved on`,
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
      `a latest.json pretty-printed by an earlier version (${pretty.split('\n').length.toLocaleString('en')} lines): read as the state and for the details (nothing new; the changed and resolved findings shown in full), and replaced by a report in the line layout`,
    );
  });

  it('a report store that fails every call: the run still audits, publishes and says so', async () => {
    const world = installWorld({ previousReport: drifted });
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
    expect(warnedWith(run, 'the previous report could not be read')).toBe(true);
    expect(outcome?.changes.new).toBe((outcome?.findings.failed ?? 0) + (outcome?.findings.error ?? 0));
    expect(run.leftovers).toEqual([]);
    storeChecks.push(
      'GetObject, PutObject and CopyObject of the reports bucket all refused: the run audits every bucket, takes itself for a first run (warned), publishes a summary that says "Report: not written", succeeds, and leaves latest.json untouched; its spool is gone',
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
    const json = storedIn(run, run.first, '.json');
    const markdown = storedIn(run, run.first, '.md');
    expect(json?.streamed).toBe(true);
    expect(markdown?.streamed).toBe(true);
    const stored = (JSON.parse(json?.body ?? '{}') as { findings: { observed: string; expected: string; title: string; remediation: string }[] }).findings;
    expect(stored.length).toBeGreaterThan(0);
    const longest = Math.max(...stored.map((finding) => finding.observed.length + finding.expected.length));
    for (const finding of stored) {
      for (const field of [finding.observed, finding.expected, finding.title, finding.remediation]) {
        expect(field).not.toContain(POLICY_MARKER);
        expect(field).not.toContain(policy);
        expect(field).not.toContain(targetKeyPolicy());
      }
    }
    for (const text of [json?.body ?? '', markdown?.body ?? '', run.world.objects.get(LATEST_KEY) ?? '']) {
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
      `a ${policy.length.toLocaleString('en')}-character failing bucket policy and a ${targetKeyPolicy().length.toLocaleString('en')}-character key policy, each with a marker statement: the marker and the documents appear in no finding's observed, expected, title or remediation (longest observed + expected: ${longest} characters), no log line, no SNS message, and neither streamed report (JSON and Markdown, as read from the PutObject Body streams) nor the copy in latest.json`,
    );
  });

  it('no credential reaches a log line, thrown error, alert or stored report, whatever fails', async () => {
    const calls = ['ListBuckets', 'GetBucketPolicy', 'GetKeyPolicy', 'GetObject (previous report)', 'GetObject (previous details)', 'PutObject (JSON report)', 'Publish', 'CopyObject (latest.json)'] as const;
    for (const call of calls) {
      const run = await runCell(call, faultById('access-denied'));
      expect(run.world.journal.some((entry) => entry.call === call && entry.failed), call).toBe(true);
      const out = everythingOut(run);
      for (const secret of Object.values(CREDENTIALS)) expect(out, call).not.toContain(secret);
    }
    securityChecks.push(
      `no AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN value in any log line, thrown error, SNS message or stored report (read from the upload streams): every cell of the table above, plus ${calls.length} AccessDenied runs (${calls.join(', ')})`,
    );
  });
});
