import { SNSServiceException } from '@aws-sdk/client-sns';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  AUDIT_CALLS,
  BYSTANDER_ARN,
  CREDENTIALS,
  EVENT,
  POLICY_MARKER,
  REQUIRED,
  TARGET_ARN,
  TARGET_KEY,
  auditContext,
  installWorld,
  loadAuditHandler,
  targetBucketPolicy,
  targetKeyPolicy,
  type AuditCall,
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
 * scheduler's retry runs the audit again; the retry (fault spent) must then succeed.
 */

const SECTION: ReliabilitySectionId = 'audit-fault-injection';

const snsError = (name: string, httpStatusCode: number): SNSServiceException =>
  new SNSServiceException({ name, message: name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode } });
const timeoutError = (): Error => Object.assign(new Error('Connection timed out after 3000 ms'), { name: 'TimeoutError' });

type Service = 's3' | 'kms' | 'sns';
const serviceOf = (call: AuditCall): Service =>
  call === 'Publish' ? 'sns' : call.startsWith('DescribeKey') || call === 'GetKeyRotationStatus' || call === 'GetKeyPolicy' ? 'kms' : 's3';
const operationOf = (call: AuditCall): string => call.split(' ')[0] ?? call;

interface Fault {
  readonly id: string;
  readonly label: string;
  readonly make: (service: Service, call: AuditCall) => Error;
}

const s3NotFound = (call: AuditCall): Error =>
  call === 'HeadObject' ? s3Error('NotFound', 404) : call.startsWith('GetObject') ? s3Error('NoSuchKey', 404) : s3Error('NoSuchBucket', 404);

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

/** KMS answers "no such key" to DescribeKey: a key named but missing is a failed finding, not an error. */
const KMS_NOT_FOUND = new Set(['not-found', 'kms-not-found']);
/** A bare 400 to HeadObject is S3 refusing to describe an SSE-C object. */
const S3_BARE_400 = new Set(['kms-disabled', 'kms-invalid-state', 'kms-not-found']);

const expectedFor = (call: AuditCall, fault: Fault): string => {
  if (call === 'ListBuckets' || call === 'Publish') return 'invocation fails → ok';
  if (call === 'GetObject (previous report)') return fault.id === 'not-found' ? 'ok: taken as first run' : 'ok: previous report unread (warned)';
  if (call === 'PutObject (report)') return 'ok: report not written (said in summary)';
  if (call === 'PutObject (latest.json)') return 'ok: state not saved (pages again)';
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

interface Run {
  readonly world: World;
  readonly first: Captured<unknown>;
  readonly retry?: Captured<unknown>;
}

let previousReport: string | undefined;
let baseline: FindingLine[] = [];

const runCell = async (call: AuditCall | undefined, fault: Fault | undefined, targetPolicy?: string): Promise<Run> => {
  const world = installWorld({
    faulted: call,
    fault: call && fault ? () => fault.make(serviceOf(call), call) : undefined,
    previousReport,
    ...(targetPolicy ? { targetPolicy } : {}),
  });
  const handler = await loadAuditHandler();
  const first = await captureOutput(() => handler(EVENT, auditContext));
  if (!first.error) return { world, first };
  const retry = await captureOutput(() => handler(EVENT, auditContext));
  return { world, first, retry };
};

/** Everything the run let out of the function: logs, thrown errors, alerts, stored reports. */
const everythingOut = (run: Run): string =>
  [
    run.first.text,
    run.first.error ? `${run.first.error.message} ${JSON.stringify(run.first.error)}` : '',
    run.retry?.text ?? '',
    run.retry?.error?.message ?? '',
    ...run.world.published,
    ...run.world.written.values(),
  ].join('\n');

const outcomeOf = (run: Run, call: AuditCall): string => {
  if (run.first.error) return `invocation fails → ${run.retry && !run.retry.error ? 'ok' : 'fails'}`;
  const value = run.first.value as { reportError?: string } | undefined;
  const suffix = value?.reportError ? (value.reportError.includes('state for the next run') ? 'state not saved (pages again)' : 'report not written') : undefined;
  if (call === 'GetObject (previous report)' || call.startsWith('PutObject')) {
    const warned = run.first.lines.some((line) => String(line['message']).startsWith('no previous report to compare with'));
    if (call.startsWith('GetObject')) return warned ? 'ok: previous report unread (warned)' : 'ok: taken as first run';
    const inSummary = run.world.published.some((message) => message.includes('Report: not written'));
    const stateMovedOn = [...run.world.written.keys()].some((key) => key.endsWith('latest.json'));
    return suffix === 'report not written' && inSummary && !stateMovedOn ? 'ok: report not written (said in summary)' : `ok: ${suffix ?? 'written'}`;
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
        ? `failed: ${[...new Set(fresh.filter((finding) => finding.status === 'failed').map((finding) => finding.check))].join(', ')}`
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

afterAll(() => {
  vi.unstubAllEnvs();
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
      'report store and SNS calls are account-wide). Every cell checks that the run finishes and publishes its summary, or that the',
      'invocation throws and the scheduler\'s retry (fault spent) succeeds; that the bystander\'s findings are all still there and it gained',
      'no error finding (the required key\'s DescribeKey excepted: every bucket depends on it); and that no log line, thrown error, SNS',
      'message or stored report carries the marker statement of the long bucket and key policies, or any credential.',
      '',
      `**Cells failing: ${failing} of ${cells.length}.**`,
      '',
      'Legend: `error finding` — the faulted bucket or key gets an `error` finding (observed `<call> failed with <code>`) and the run goes on;',
      '`failed: <check>` — the answer is a fact, not an obstacle (KMS NotFoundException: the key named does not exist; a bare 400 to',
      'HeadObject: an SSE-C object); `ok: object gone` — the sampled object was deleted meanwhile; `invocation fails → ok` — nothing to',
      'audit (ListBuckets) or the summary was not delivered (Publish, after the dated report and before latest.json, so the retry pages',
      'again): the handler throws and the retry succeeds; `ok: taken as first run` — no previous report (NoSuchKey), every failing finding',
      'new; `ok: previous report unread (warned)` — logged, every failing finding new; `ok: report not written (said in summary)` — the run',
      'completes, its outcome carries `reportError`, the summary says "Report: not written" and latest.json is not moved on;',
      '`ok: state not saved (pages again)` — latest.json not written, so the next run pages the same changes again;',
      '`+ report not written` — the required key could not be used, so the report (encrypted under it) is not written.',
      '',
      'Note: the report store failing does **not** fail the invocation: the code deliberately reports it in the summary instead',
      '(`audit-account.ts`), and only a Publish failure throws. S3 404s: `NotFound` to HeadObject, `NoSuchKey` to GetObject, `NoSuchBucket` elsewhere.',
      '',
      markdownTable(['call', ...FAULTS.map((fault) => fault.label)], rows),
      '',
      '### Security (audit)',
      '',
      ...securityChecks.map((check) => `- ${check}`),
    ].join('\n'),
  );
});

describe('audit fault injection: every call × every fault', () => {
  it('baseline: with no fault the run passes its own checks and leaves the state for the next run', async () => {
    const run = await runCell(undefined, undefined);
    expect(run.first.error).toBeUndefined();
    const latest = [...run.world.written.entries()].find(([key]) => key.endsWith('latest.json'));
    expect(latest).toBeDefined();
    previousReport = latest?.[1];
    // Second baseline run: with the previous report read back, nothing is new.
    const again = await runCell(undefined, undefined);
    expect(again.first.error).toBeUndefined();
    expect(again.first.value).toMatchObject({ changes: { new: 0 } });
    baseline = findingsIn(again.first.lines);
    // The bystander has known failing findings (no bucket policy), the target's key an overlap.
    expect(baseline.some((finding) => finding.resource === BYSTANDER_ARN && finding.check === 's3-tls-only-policy' && finding.status === 'failed')).toBe(true);
    expect(baseline.some((finding) => finding.resource === TARGET_KEY && finding.check === 'kms-key-role-separation' && finding.status === 'failed')).toBe(true);
    expect(baseline.filter((finding) => finding.status === 'error')).toEqual([]);
    expect(everythingOut(again)).not.toContain(POLICY_MARKER);
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

          const finished = run.retry ?? run.first;
          expect(finished.error).toBeUndefined();
          // The run went on: the summary went out.
          expect(run.world.published.length).toBeGreaterThan(0);
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

describe('audit security: findings and logs carry no more of a policy than the finding needs', () => {
  it('a long failing bucket policy with a marker statement: the marker and the document stay out of findings, logs and alerts', async () => {
    const policy = targetBucketPolicy(false);
    expect(policy.length).toBeGreaterThan(10_000);
    const run = await runCell(undefined, undefined, policy);
    expect(run.first.error).toBeUndefined();
    const findings = findingsIn(run.first.lines);
    const tls = findings.find((finding) => finding.resource === TARGET_ARN && finding.check === 's3-tls-only-policy');
    expect(tls?.status).toBe('failed');
    const report = [...run.world.written.entries()].find(([key]) => key.endsWith('.json') && !key.endsWith('latest.json'))?.[1];
    expect(report).toBeDefined();
    const stored = (JSON.parse(report ?? '{}') as { findings: { observed: string; expected: string; title: string; remediation: string }[] }).findings;
    expect(stored.length).toBeGreaterThan(0);
    const longest = Math.max(...stored.map((finding) => finding.observed.length + finding.expected.length));
    for (const finding of stored) {
      for (const field of [finding.observed, finding.expected, finding.title, finding.remediation]) {
        expect(field).not.toContain(POLICY_MARKER);
        expect(field).not.toContain(policy);
        expect(field).not.toContain(targetKeyPolicy());
      }
    }
    for (const line of run.first.text.split('\n')) {
      expect(line).not.toContain(POLICY_MARKER);
      expect(line).not.toContain('"Statement"');
    }
    const out = everythingOut(run);
    expect(out).not.toContain(POLICY_MARKER);
    for (const secret of Object.values(CREDENTIALS)) expect(out).not.toContain(secret);
    securityChecks.push(
      `a ${policy.length.toLocaleString('en')}-character failing bucket policy and a ${targetKeyPolicy().length.toLocaleString('en')}-character key policy, each with a marker statement: the marker and the documents appear in no finding's observed, expected, title or remediation (longest observed + expected: ${longest} characters), no log line, no SNS message and no stored report`,
    );
  });

  it('no credential reaches a log line, thrown error, alert or stored report, whatever fails', async () => {
    let runs = 0;
    for (const call of ['ListBuckets', 'GetBucketPolicy', 'GetKeyPolicy', 'PutObject (report)', 'Publish'] as const) {
      const run = await runCell(call, FAULTS.find((fault) => fault.id === 'access-denied'));
      runs += 1;
      const out = everythingOut(run);
      for (const secret of Object.values(CREDENTIALS)) expect(out).not.toContain(secret);
    }
    securityChecks.push(
      `no AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN value in any log line, thrown error, SNS message or stored report: every cell of the table above, plus ${runs} AccessDenied runs (ListBuckets, GetBucketPolicy, GetKeyPolicy, PutObject, Publish)`,
    );
  });
});
