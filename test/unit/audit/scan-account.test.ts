import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { announceThrough, auditAccount, LEFT_TO_THE_MERGE, type AuditDependencies } from '../../../functions/audit-encryption/audit-account.js';
import type { AuditRecorder } from '../../../functions/audit-encryption/audit-recorder.js';
import { scanAccount, type AccountScan } from '../../../functions/audit-encryption/scan-account.js';
import { LocalReportSpool } from '../../../shared/adapters/local-report-spool.js';
import type { DefaultEncryptionFacts, NotificationFacts, RotationFacts } from '../../../shared/audit/audit-facts.js';
import type { AuditReport } from '../../../shared/audit/audit-report.js';
import type { AccountFinding } from '../../../shared/audit/finding.js';
import type { ObjectInspection } from '../../../shared/core/classify-object.js';
import type { BucketInspector, ListedBucket, ListedObject } from '../../../shared/ports/bucket-inspector.js';
import type { KeyDescriptionFacts, KeyInspector, KeyRotationWriter } from '../../../shared/ports/key-inspector.js';
import type { Notification } from '../../../shared/ports/notification-publisher.js';
import { MemoryReportStore } from '../../fixtures/memory-report-store.js';
import { context } from './fixtures.js';

/**
 * The account audit through its ports, with in-memory accounts: what an organization audit will do
 * once per member, each with that member's own clients. aws-sdk-client-mock mocks a client class,
 * so it cannot tell two accounts' clients apart; these fakes can.
 */

interface FakeBucket {
  readonly name: string;
  readonly region: string;
  readonly encryption: DefaultEncryptionFacts;
}

/** One account: its buckets and its keys (an alias resolves in the account that holds it). */
class FakeAccount implements BucketInspector, KeyRotationWriter {
  readonly calls: string[] = [];
  constructor(
    readonly accountId: string,
    private readonly buckets: readonly FakeBucket[],
    private readonly aliases: Readonly<Record<string, string>>,
  ) {}

  async *bucketPages(): AsyncIterable<readonly ListedBucket[]> {
    this.calls.push('ListBuckets');
    yield this.buckets.map(({ name, region }) => ({ name, region }));
  }
  async regionOf(bucket: string): Promise<string> {
    return this.bucket(bucket).region;
  }
  async defaultEncryption(bucket: string): Promise<DefaultEncryptionFacts> {
    this.calls.push(`GetBucketEncryption ${bucket}`);
    return this.bucket(bucket).encryption;
  }
  async policy(): Promise<string | undefined> {
    return undefined;
  }
  async notifications(): Promise<NotificationFacts> {
    return { eventBridge: true, targets: [] };
  }
  async recentObjects(): Promise<ListedObject[]> {
    return [];
  }
  async inspectObject(): Promise<ObjectInspection> {
    return { kind: 'not-found' };
  }
  async describe(reference: string, region: string): Promise<KeyDescriptionFacts | undefined> {
    this.calls.push(`DescribeKey ${reference}`);
    const arn = this.aliases[reference] ?? (reference.startsWith(`arn:aws:kms:${region}:${this.accountId}:key/`) ? reference : undefined);
    if (!arn) return undefined;
    return {
      arn,
      keyId: arn.split('/')[1] ?? '',
      region,
      accountId: this.accountId,
      state: 'Enabled',
      manager: 'CUSTOMER',
      keySpec: 'SYMMETRIC_DEFAULT',
      keyUsage: 'ENCRYPT_DECRYPT',
      origin: 'AWS_KMS',
    };
  }
  async rotation(): Promise<RotationFacts> {
    return { enabled: true, periodDays: 365 };
  }
  async enableRotation(): Promise<void> {
    throw new Error('no fixes in these tests');
  }
  private bucket(name: string): FakeBucket {
    const found = this.buckets.find((bucket) => bucket.name === name);
    if (!found) throw new Error(`${this.accountId} has no bucket ${name}`);
    return found;
  }
}

/** The account's keys as the audit reads them (BucketInspector has a `policy` of its own). */
const keysOf = (account: FakeAccount): KeyInspector => ({
  describe: (reference, region) => account.describe(reference, region),
  rotation: () => account.rotation(),
  policy: async (keyArn) => JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account.accountId}:root` }, Action: 'kms:*', Resource: keyArn }] }),
});

const kmsDefault = (keyReference: string): DefaultEncryptionFacts => ({
  kind: 'configured',
  rules: [{ algorithm: 'aws:kms', kmsKeyReference: keyReference, bucketKeyEnabled: true, blockedEncryptionTypes: ['SSE-C'] }],
});

const ALPHA = '111111111111';
const BETA = '222222222222';

/** The same alias names a different key in each account; each account has its own buckets. */
const alpha = (): FakeAccount =>
  new FakeAccount(ALPHA, [{ name: 'alpha-data', region: 'us-east-1', encryption: kmsDefault(`arn:aws:kms:us-east-1:${ALPHA}:key/a-required`) }], {
    'alias/data': `arn:aws:kms:us-east-1:${ALPHA}:key/a-required`,
  });
const beta = (): FakeAccount =>
  new FakeAccount(BETA, [{ name: 'beta-logs', region: 'us-east-1', encryption: { kind: 'configured', rules: [{ algorithm: 'AES256', kmsKeyReference: undefined, bucketKeyEnabled: false, blockedEncryptionTypes: [] }] } }], {
    'alias/data': `arn:aws:kms:us-east-1:${BETA}:key/b-required`,
  });

const silentRecorder = (findings: AccountFinding[] = []): AuditRecorder => ({
  findingRecorded: (finding) => findings.push(finding),
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

const NO_BUCKET_WRITES = {
  putDefaultEncryption: () => Promise.reject(new Error('no fixes')),
  putEncryptionRules: () => Promise.reject(new Error('no fixes')),
  putBucketPolicy: () => Promise.reject(new Error('no fixes')),
};

const scan = async (account: FakeAccount): Promise<{ scanned: AccountScan; findings: AccountFinding[] }> => {
  const findings: AccountFinding[] = [];
  const scanned = await scanAccount(
    {
      sources: { buckets: account, keys: keysOf(account), concurrency: 2 },
      writers: { mode: 'apply', bucketEncryption: NO_BUCKET_WRITES, bucketPolicy: NO_BUCKET_WRITES, keyRotation: account },
      recorder: silentRecorder(),
      context: { ...context({ policy: { requiredKey: 'alias/data' } }), accountId: account.accountId },
    },
    async () => (finding) => findings.push(finding),
  );
  return { scanned, findings };
};

const spoolRoot = mkdtempSync(join(tmpdir(), 'scan-account-test-'));
afterAll(() => rmSync(spoolRoot, { recursive: true, force: true }));

const auditDeps = (account: FakeAccount, store: MemoryReportStore, published: Notification[]): AuditDependencies => ({
  sources: { buckets: account, keys: keysOf(account), concurrency: 2 },
  writers: { mode: 'apply', bucketEncryption: NO_BUCKET_WRITES, bucketPolicy: NO_BUCKET_WRITES, keyRotation: account },
  reports: { store, bucket: 'org-reports', prefix: 'encryption-audit/', openSpool: () => new LocalReportSpool({ parent: spoolRoot }) },
  ending: announceThrough({ publish: async (notification) => void published.push(notification) }, (notification) => JSON.stringify(notification).length, 200_000),
  recorder: silentRecorder(),
  context: { ...context({ policy: { requiredKey: 'alias/data' } }), accountId: account.accountId },
});

describe('scanAccount, one account at a time through its own ports', () => {
  it('reads only the account it is given, and every finding names that account', async () => {
    const [a, b] = [alpha(), beta()];
    const [fromAlpha, fromBeta] = [await scan(a), await scan(b)];

    expect(new Set(fromAlpha.findings.map((finding) => finding.accountId))).toEqual(new Set([ALPHA]));
    expect(new Set(fromBeta.findings.map((finding) => finding.accountId))).toEqual(new Set([BETA]));
    expect(fromAlpha.findings.some((finding) => finding.resource.includes('beta'))).toBe(false);
    expect(fromBeta.findings.some((finding) => finding.resource.includes('alpha') || finding.resource.includes(ALPHA))).toBe(false);
    // Each account's calls went to its own fake: nothing of alpha's was asked of beta.
    expect(a.calls.filter((call) => call.includes('beta'))).toEqual([]);
    expect(b.calls.filter((call) => call.includes('alpha'))).toEqual([]);
  });

  it('resolves the same alias to each account’s own key, and judges each bucket against it', async () => {
    const [fromAlpha, fromBeta] = [await scan(alpha()), await scan(beta())];

    expect(fromAlpha.scanned.requiredKey).toMatchObject({ kind: 'usable', arn: `arn:aws:kms:us-east-1:${ALPHA}:key/a-required` });
    expect(fromBeta.scanned.requiredKey).toMatchObject({ kind: 'usable', arn: `arn:aws:kms:us-east-1:${BETA}:key/b-required` });
    const defaults = (findings: AccountFinding[]) => findings.filter((finding) => finding.check === 's3-default-encryption-kms').map((finding) => [finding.resource, finding.status]);
    expect(defaults(fromAlpha.findings)).toEqual([['arn:aws:s3:::alpha-data', 'passed']]);
    expect(defaults(fromBeta.findings)).toEqual([['arn:aws:s3:::beta-logs', 'failed']]);
    expect(fromAlpha.scanned).toMatchObject({ accountId: ALPHA, buckets: 1, unreachable: 0, exemptBuckets: [], keys: 1 });
  });
});

describe('auditAccount per account, into one reports bucket', () => {
  it('files each account’s report and state under its own keys, and diffs each account against its own state only', async () => {
    const store = new MemoryReportStore();
    const published: Notification[] = [];
    const night = (day: number) => new Date(`2026-03-0${day}T03:00:00Z`);

    const first = [await auditAccount(auditDeps(alpha(), store, published), night(1)), await auditAccount(auditDeps(beta(), store, published), night(1))];

    expect(first.map((outcome) => [outcome.accountId, outcome.report])).toEqual([
      [ALPHA, `s3://org-reports/encryption-audit/${ALPHA}/2026-03-01/encryption-audit-2026-03-01T030000Z.json`],
      [BETA, `s3://org-reports/encryption-audit/${BETA}/2026-03-01/encryption-audit-2026-03-01T030000Z.json`],
    ]);
    expect([...store.objects.keys()].filter((key) => key.endsWith('latest.json')).sort()).toEqual([
      `encryption-audit/${ALPHA}/latest.json`,
      `encryption-audit/${BETA}/latest.json`,
    ]);
    const alphaReport = JSON.parse(store.objects.get(`encryption-audit/${ALPHA}/latest.json`) ?? '{}') as AuditReport;
    expect(alphaReport.run.accountId).toBe(ALPHA);
    expect(new Set(alphaReport.findings.map((finding) => (finding as AccountFinding).accountId))).toEqual(new Set([ALPHA]));

    // The second night: nothing changed in alpha, so alpha pages nothing, whatever beta's state holds.
    const again = await auditAccount(auditDeps(alpha(), store, published), night(2));
    expect(again.changes).toMatchObject({ new: 0, changed: 0, resolved: 0 });
    expect(again.page).toBe(false);
  });

  it('a run left to the merge writes its report under the reports key, and neither announces nor saves its state', async () => {
    const store = new MemoryReportStore();
    const published: Notification[] = [];
    const REPORTS_KEY = 'arn:aws:kms:us-east-1:999999999999:key/central-reports';
    const base = auditDeps(alpha(), store, published);
    const deps: AuditDependencies = { ...base, ending: LEFT_TO_THE_MERGE, reports: base.reports && { ...base.reports, kmsKeyArn: REPORTS_KEY } };

    const outcome = await auditAccount(deps, new Date('2026-03-01T03:00:00Z'));

    expect(published).toEqual([]);
    expect(outcome).toMatchObject({ accountId: ALPHA, notifications: 0, report: expect.stringContaining(`/${ALPHA}/2026-03-01/`) });
    expect([...store.objects.keys()].some((key) => key.endsWith('latest.json'))).toBe(false);
    // The four reports and the run history, each under the reports key, with its content type.
    const dated = `encryption-audit/${ALPHA}/2026-03-01/encryption-audit-2026-03-01T030000Z`;
    const history = `encryption-audit/${ALPHA}/history.jsonl`;
    expect(Object.fromEntries(store.kmsKeys)).toEqual({
      [`${dated}.json`]: REPORTS_KEY,
      [`${dated}.md`]: REPORTS_KEY,
      [`${dated}.html`]: REPORTS_KEY,
      [`${dated}.ocsf.jsonl`]: REPORTS_KEY,
      [history]: REPORTS_KEY,
    });
    expect(Object.fromEntries(store.contentTypes)).toEqual({
      [`${dated}.json`]: 'application/json',
      [`${dated}.md`]: 'text/markdown; charset=utf-8',
      [`${dated}.html`]: 'text/html; charset=utf-8',
      [`${dated}.ocsf.jsonl`]: 'application/x-ndjson',
      [history]: 'application/x-ndjson',
    });
    // The history is written once the reports are.
    expect(store.events.map((event) => event.key).slice(0, 4).sort()).toEqual([`${dated}.html`, `${dated}.json`, `${dated}.md`, `${dated}.ocsf.jsonl`]);
    expect(store.events.slice(4)).toEqual([{ kind: 'write', key: history }]);
    expect((store.objects.get(history) ?? '').split('\n').map((line) => (line === '' ? line : (JSON.parse(line) as unknown)))).toEqual([
      {
        kind: 'encryption-audit-run',
        runId: '2026-03-01T030000Z',
        startedAt: '2026-03-01T03:00:00.000Z',
        scope: 'account',
        accountId: ALPHA,
        findings: 9,
        byStatus: { failed: 2, error: 0, fixed: 0, passed: 7, informational: 0 },
        failingBySeverity: { critical: 0, high: 0, medium: 2, low: 0, informational: 0 },
        byCheck: {
          'kms-key-role-separation': { findings: 1, failing: 0 },
          'kms-key-rotation': { findings: 1, failing: 0 },
          'kms-key-state': { findings: 1, failing: 0 },
          's3-bucket-key-enabled': { findings: 1, failing: 0 },
          's3-default-encryption-kms': { findings: 1, failing: 0 },
          's3-policy-denies-wrong-key': { findings: 1, failing: 1 },
          's3-realtime-coverage': { findings: 1, failing: 0 },
          's3-sse-c-blocked': { findings: 1, failing: 0 },
          's3-tls-only-policy': { findings: 1, failing: 1 },
        },
        byAccount: { [ALPHA]: { findings: 9, failing: 2 } },
      },
      '',
    ]);
    expect(outcome.findings).toEqual({ failed: 2, error: 0, fixed: 0, passed: 7, informational: 0 });
    // One OCSF event a finding of the report; the page is self-contained.
    const report = JSON.parse(store.objects.get(`${dated}.json`) ?? '{}') as AuditReport;
    const events = (store.objects.get(`${dated}.ocsf.jsonl`) ?? '').split('\n');
    expect(events.pop()).toBe('');
    expect(events.map((line) => (JSON.parse(line) as { finding_info: { uid: string } }).finding_info.uid).sort()).toEqual(report.findings.map((finding) => finding.id).sort());
    expect(events).toHaveLength(9);
    const page = store.objects.get(`${dated}.html`) ?? '';
    expect(page.startsWith('<!doctype html>\n')).toBe(true);
    expect(page).toContain(`Account <code>${ALPHA}</code>`);
    expect(page).not.toMatch(/<script/i);
  });

  it('each finding keeps the night it was first seen: from the previous report, else from when that report’s run started, else tonight', async () => {
    const store = new MemoryReportStore();
    const published: Notification[] = [];
    const night = (day: number) => new Date(`2026-03-0${day}T03:00:00Z`);
    const reportOf = (day: number): AuditReport => JSON.parse(store.objects.get(`encryption-audit/${ALPHA}/2026-03-0${day}/encryption-audit-2026-03-0${day}T030000Z.json`) ?? '{}') as AuditReport;
    const firstSeen = (report: AuditReport) => report.findings.map((finding) => [finding.id, finding.firstSeen]);

    await auditAccount(auditDeps(alpha(), store, published), night(1));
    expect(reportOf(1).findings).toHaveLength(9);
    expect(firstSeen(reportOf(1))).toEqual(reportOf(1).findings.map((finding) => [finding.id, '2026-03-01T03:00:00.000Z']));

    // Carried from the previous report's same finding.
    await auditAccount(auditDeps(alpha(), store, published), night(2));
    expect(reportOf(2).run.startedAt).toBe('2026-03-02T03:00:00.000Z');
    expect(firstSeen(reportOf(2))).toEqual(reportOf(1).findings.map((finding) => [finding.id, '2026-03-01T03:00:00.000Z']));

    // The state as an earlier version wrote it (no first sightings), and a bucket created since.
    const latestKey = `encryption-audit/${ALPHA}/latest.json`;
    const latest = JSON.parse(store.objects.get(latestKey) ?? '{}') as AuditReport;
    store.objects.set(latestKey, JSON.stringify({ ...latest, findings: latest.findings.map(({ firstSeen: _dropped, ...rest }) => rest) }, null, 2));
    const grown = new FakeAccount(
      ALPHA,
      [
        { name: 'alpha-data', region: 'us-east-1', encryption: kmsDefault(`arn:aws:kms:us-east-1:${ALPHA}:key/a-required`) },
        { name: 'alpha-new', region: 'us-east-1', encryption: kmsDefault(`arn:aws:kms:us-east-1:${ALPHA}:key/a-required`) },
      ],
      { 'alias/data': `arn:aws:kms:us-east-1:${ALPHA}:key/a-required` },
    );
    await auditAccount(auditDeps(grown, store, published), night(3));
    const third = reportOf(3);
    const known = new Set(latest.findings.map((finding) => finding.id));
    expect(third.findings.filter((finding) => known.has(finding.id))).toHaveLength(9);
    expect(third.findings.filter((finding) => !known.has(finding.id)).map((finding) => finding.resource)).toEqual(Array.from({ length: 6 }, () => 'arn:aws:s3:::alpha-new'));
    expect(firstSeen(third)).toEqual(third.findings.map((finding) => [finding.id, known.has(finding.id) ? '2026-03-02T03:00:00.000Z' : '2026-03-03T03:00:00.000Z']));
  });

  it('compares with the state kept before reports were filed per account only when that state is the same account’s', async () => {
    const store = new MemoryReportStore();
    const published: Notification[] = [];
    await auditAccount(auditDeps(beta(), store, published), new Date('2026-03-01T03:00:00Z'));
    // Beta's state, left where a single-account version kept it.
    store.objects.set('encryption-audit/latest.json', store.objects.get(`encryption-audit/${BETA}/latest.json`) ?? '');
    store.objects.delete(`encryption-audit/${BETA}/latest.json`);

    const alphaFirst = await auditAccount(auditDeps(alpha(), store, published), new Date('2026-03-02T03:00:00Z'));
    expect(alphaFirst.changes).toMatchObject({ resolved: 0 });
    const betaAgain = await auditAccount(auditDeps(beta(), store, published), new Date('2026-03-02T03:00:00Z'));
    expect(betaAgain).toMatchObject({ page: false, changes: { new: 0, changed: 0, resolved: 0 } });
  });
});
