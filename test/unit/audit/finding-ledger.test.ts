import { describe, expect, it } from 'vitest';
import { CHECKS, type CheckId } from '../../../shared/audit/checks-catalogue.js';
import { makeFinding } from '../../../shared/audit/checks/make-finding.js';
import { FindingLedger, PreviousFailures, detailsOf, idDigest, previousStateOf, stateDigest, type PreviousFinding } from '../../../shared/audit/diff-findings.js';
import type { Finding } from '../../../shared/audit/finding.js';
import { previousOf as previous } from '../../fixtures/whole-report.js';

const finding = (resource: string, status: Finding['status'], observed = 'o', options: { severity?: Finding['severity']; check?: CheckId } = {}): Finding =>
  makeFinding(CHECKS[options.check ?? 's3-default-encryption-kms'], { resource, region: 'us-east-1', status, observed, expected: 'e', severity: options.severity });


const ledgerOf = (before: readonly Finding[] | undefined, now: readonly Finding[]): FindingLedger => {
  const ledger = new FindingLedger(before ? previousStateOf('2026-03-01T030000Z', before.map(previous)) : undefined);
  now.forEach((item) => ledger.record(item));
  return ledger;
};

const SKETCHED = '(the previous observation could not be read back)';

describe('FindingLedger', () => {
  it('counts every finding by status, failing ones by severity, and each check’s findings and failures', () => {
    const ledger = ledgerOf(undefined, [
      finding('a', 'failed', 'o', { severity: 'critical' }),
      finding('a', 'error', 'o', { check: 's3-tls-only-policy' }),
      finding('b', 'passed', 'o', { check: 's3-tls-only-policy' }),
      finding('c', 'fixed'),
      finding('d', 'informational', 'o', { check: 's3-object-sample' }),
      finding('e', 'failed', 'o', { check: 'kms-key-rotation' }),
    ]);
    const counts = ledger.counts();
    expect(counts.findings).toBe(6);
    expect(counts.byStatus).toEqual({ failed: 2, error: 1, fixed: 1, passed: 1, informational: 1 });
    expect(counts.failingBySeverity).toEqual({ critical: 1, high: 0, medium: 2, low: 0, informational: 0 });
    expect(Object.fromEntries(counts.byCheck)).toEqual({
      's3-default-encryption-kms': { findings: 2, failing: 1 },
      's3-tls-only-policy': { findings: 2, failing: 1 },
      's3-object-sample': { findings: 1, failing: 0 },
      'kms-key-rotation': { findings: 1, failing: 1 },
    });
    // The counts handed out are copies: recording more does not change them.
    ledger.record(finding('f', 'failed'));
    expect(counts.findings).toBe(6);
    expect(ledger.counts().findings).toBe(7);
  });

  it('on a first run, everything failing is new, fixes are fixed, and nothing is needed from a previous report', () => {
    const ledger = ledgerOf(undefined, [finding('a', 'failed'), finding('b', 'passed'), finding('c', 'error'), finding('d', 'fixed')]);
    expect(ledger.previousDetailsNeeded()).toEqual(new Set());
    const changes = ledger.changes(new Map());
    expect(changes).toMatchObject({ firstRun: true, changed: [], resolved: [], unchanged: 0 });
    expect(changes.new.map((item) => item.resource)).toEqual(['a', 'c']);
    expect(changes.fixed.map((item) => item.resource)).toEqual(['d']);
  });

  it('an empty previous report is not a first run', () => {
    const changes = ledgerOf([], [finding('a', 'failed')]).changes(new Map());
    expect(changes.firstRun).toBe(false);
    expect(changes.new.map((item) => item.resource)).toEqual(['a']);
  });

  it('separates new, changed, unchanged (counted only), fixed and resolved', () => {
    const before = [
      finding('known', 'failed'),
      finding('worse', 'failed', 'o', { severity: 'medium' }),
      finding('reworded', 'failed', 'was none'),
      finding('now-failed', 'error'),
      finding('gone', 'failed'),
      finding('better', 'error'),
      finding('fixed-known', 'failed'),
      finding('was-ok', 'passed'),
    ];
    const now = [
      finding('known', 'failed'),
      finding('worse', 'failed', 'o', { severity: 'critical' }),
      finding('reworded', 'failed', 'now SSE-S3'),
      finding('now-failed', 'failed'),
      finding('better', 'passed'),
      finding('fixed-known', 'fixed'),
      finding('fixed-new', 'fixed'),
      finding('was-ok', 'failed'),
      finding('brand-new', 'error'),
    ];
    const ledger = ledgerOf(before, now);
    const changes = ledger.changes(detailsOf(before.map(previous)));
    expect(changes.firstRun).toBe(false);
    // A finding that passed last run is as good as absent: failing now is new.
    expect(changes.new.map((item) => item.resource)).toEqual(['was-ok', 'brand-new']);
    expect(changes.changed.map(({ finding: item, previous: earlier }) => [item.resource, earlier.status, item.status, earlier.severity, item.severity, earlier.observed, item.observed])).toEqual([
      ['worse', 'failed', 'failed', 'medium', 'critical', 'o', 'o'],
      ['reworded', 'failed', 'failed', 'high', 'high', 'was none', 'now SSE-S3'],
      ['now-failed', 'error', 'failed', 'high', 'high', 'o', 'o'],
    ]);
    expect(changes.unchanged).toBe(1);
    expect(changes.fixed.map((item) => item.resource)).toEqual(['fixed-known', 'fixed-new']);
    // Resolved (in the state's order), with this run's finding when the check still ran.
    const resolved = [...changes.resolved].sort((a, b) => (a.previous.resource < b.previous.resource ? -1 : 1));
    expect(resolved.map(({ previous: earlier, current }) => [earlier.resource, earlier.status, current?.status])).toEqual([
      ['better', 'error', 'passed'],
      ['gone', 'failed', undefined],
    ]);
    expect(resolved[1]).not.toHaveProperty('current');
  });

  it('given each id’s digest, as a run takes it once, records and collects exactly as from the ids', () => {
    const before = [finding('known', 'failed'), finding('worse', 'failed', 'was'), finding('gone', 'failed'), finding('better', 'error')];
    const now = [finding('known', 'failed'), finding('worse', 'failed', 'is'), finding('better', 'passed'), finding('brand-new', 'failed')];
    const collector = PreviousFailures.collect();
    before.map(previous).forEach((item) => collector.add(item, idDigest(item.id)));
    const withDigests = new FindingLedger({ runId: 'r', failing: collector.build() });
    now.forEach((item) => withDigests.record(item, idDigest(item.id)));
    const fromIds = ledgerOf(before, now);
    const details = detailsOf(before.map(previous));
    expect(withDigests.changes(details)).toEqual(fromIds.changes(details));
    expect(withDigests.counts()).toEqual(fromIds.counts());
    expect(withDigests.previousDetailsNeeded()).toEqual(fromIds.previousDetailsNeeded());
  });

  it('needs the previous details of the changed and the resolved only, not of the unchanged or the fixed', () => {
    const before = [finding('known', 'failed'), finding('changed', 'error'), finding('gone', 'failed'), finding('better', 'failed'), finding('fixed', 'failed')];
    const ledger = ledgerOf(before, [finding('known', 'failed'), finding('changed', 'failed'), finding('better', 'passed'), finding('fixed', 'fixed')]);
    const ids = (...resources: string[]) => new Set(resources.map((resource) => idDigest(finding(resource, 'failed').id)));
    expect(ledger.previousDetailsNeeded()).toEqual(ids('changed', 'gone', 'better'));
  });

  it('uses the details it is given, and sketches a previous finding it was not given from the state and this run’s finding', () => {
    const changedBefore = finding('changed', 'error', 'could not read', { severity: 'medium' });
    const goneBefore = finding('gone', 'failed', 'unencrypted', { check: 's3-tls-only-policy' });
    const betterBefore = finding('better', 'failed', 'no rule', { check: 'kms-key-rotation' });
    const before = [changedBefore, goneBefore, betterBefore];
    const changedNow = finding('changed', 'failed', 'SSE-S3');
    const betterNow = finding('better', 'passed', 'rotates', { check: 'kms-key-rotation' });
    const ledger = ledgerOf(before, [changedNow, betterNow]);

    const full = ledger.changes(detailsOf(before.map(previous)));
    expect(full.changed.map(({ previous: earlier }) => earlier)).toEqual([previous(changedBefore)]);
    const byResource = <T extends { previous: PreviousFinding }>(items: readonly T[]): T[] => [...items].sort((a, b) => (a.previous.resource < b.previous.resource ? -1 : 1));
    expect(byResource(full.resolved).map(({ previous: earlier }) => earlier)).toEqual([previous(betterBefore), previous(goneBefore)]);

    // Nothing could be read back: status and severity come from the state; what this run knows fills the rest.
    const sketched = ledger.changes(new Map());
    expect(sketched.changed).toEqual([
      {
        finding: changedNow,
        previous: {
          id: changedNow.id,
          check: 's3-default-encryption-kms',
          severity: 'medium',
          status: 'error',
          resource: 'changed',
          region: 'us-east-1',
          title: changedNow.title,
          observed: SKETCHED,
          expected: 'e',
          remediation: changedNow.remediation,
        },
      },
    ]);
    const goneDigest = idDigest(goneBefore.id).toString(16).padStart(12, '0');
    expect([...sketched.resolved].sort((a, b) => (a.current ? 1 : 0) - (b.current ? 1 : 0))).toEqual([
      {
        // The resource is gone and its details could not be read: only the state is left.
        previous: {
          id: `unknown/${goneDigest}`,
          check: 'unknown',
          severity: 'medium',
          status: 'failed',
          resource: '(not recorded)',
          region: '',
          title: 'unknown',
          observed: SKETCHED,
          expected: '',
          remediation: '',
        },
      },
      {
        previous: {
          id: betterBefore.id,
          check: 'kms-key-rotation',
          severity: 'medium',
          status: 'failed',
          resource: 'better',
          region: 'us-east-1',
          title: betterNow.title,
          observed: SKETCHED,
          expected: 'e',
          remediation: betterNow.remediation,
        },
        current: betterNow,
      },
    ]);
  });

  it('compares observations by digest: the same text is unchanged, any other text is a change', () => {
    const long = 'x'.repeat(900);
    const ledger = ledgerOf([finding('same', 'failed', long), finding('other', 'failed', long)], [finding('same', 'failed', long), finding('other', 'failed', `${long}y`)]);
    const changes = ledger.changes(new Map());
    expect(changes.unchanged).toBe(1);
    expect(changes.changed.map(({ finding: item }) => item.resource)).toEqual(['other']);
  });

  it('keeps 14 bytes per previous failure, sorted by id digest, and finds each one again', () => {
    const many = Array.from({ length: 3000 }, (_, index) =>
      previous(finding(`arn:aws:s3:::bucket-${index}`, index % 3 === 0 ? 'passed' : index % 3 === 1 ? 'failed' : 'error', `o${index}`, { severity: index % 2 ? 'high' : 'low' })),
    );
    const failures = PreviousFailures.of(many);
    const failing = many.filter((item) => item.status !== 'passed');
    expect(failures.size).toBe(failing.length);
    for (const item of failing) {
      const index = failures.indexOf(idDigest(item.id));
      expect(index).toBeGreaterThanOrEqual(0);
      expect(failures.stateAt(index)).toBe(stateDigest(item));
      expect([failures.severityAt(index), failures.statusAt(index)]).toEqual([item.severity, item.status]);
    }
    expect(failures.indexOf(idDigest(many[0]?.id ?? ''))).toBe(-1);
    for (let index = 1; index < failures.size; index += 1) expect(failures.idAt(index)).toBeGreaterThan(failures.idAt(index - 1));
  });
});
