import { describe, expect, it } from 'vitest';
import { idDigest, type PreviousFinding } from '../../../shared/audit/diff-findings.js';
import { PreviousSightings } from '../../../shared/audit/previous-sightings.js';

const previous = (id: string, firstSeen?: string): PreviousFinding => ({
  id,
  check: id.split('/')[0] ?? id,
  severity: 'high',
  status: 'passed',
  resource: `arn:aws:s3:::${id}`,
  region: 'us-east-1',
  title: 't',
  observed: 'o',
  expected: 'e',
  remediation: 'r',
  ...(firstSeen ? { firstSeen } : {}),
});

describe('PreviousSightings', () => {
  it('carries each finding’s first sighting; one reported before findings carried it was first seen when its report’s run started', () => {
    const collector = PreviousSightings.collect();
    collector.add(previous('a/1', '2026-01-05T03:00:00.000Z'));
    collector.add(previous('b/2'));
    collector.add(previous('c/3', 'not a date'));
    const sightings = collector.build('2026-02-01T03:00:00.000Z');
    expect(sightings.sight('a/1')).toBe('2026-01-05T03:00:00.000Z');
    expect(sightings.sight('b/2')).toBe('2026-02-01T03:00:00.000Z');
    expect(sightings.sight('c/3')).toBe('2026-02-01T03:00:00.000Z');
    expect(sightings.sight('d/4')).toBeUndefined();
  });

  it('names the findings not sighted this run, once each, with when they were first seen', () => {
    const collector = PreviousSightings.collect();
    for (const id of ['a/1', 'b/2', 'c/3', 'b/2']) collector.add(previous(id, '2026-01-05T03:00:00.000Z'));
    const sightings = collector.build(undefined);
    expect(sightings.size).toBe(3);
    sightings.sight('a/1');
    expect(sightings.unsighted()).toEqual(new Set([idDigest('b/2'), idDigest('c/3')]));
    expect(sightings.firstSeenOf(idDigest('c/3'))).toBe('2026-01-05T03:00:00.000Z');
    expect(sightings.firstSeenOf(idDigest('z/9'))).toBeUndefined();
  });

  it('sights by the id or by its digest alike, whoever took the digest', () => {
    const collector = PreviousSightings.collect();
    collector.add(previous('a/1', '2026-01-05T03:00:00.000Z'), idDigest('a/1'));
    collector.add(previous('b/2', '2026-01-06T03:00:00.000Z'));
    const sightings = collector.build(undefined);
    expect(sightings.sightDigest(idDigest('a/1'))).toBe('2026-01-05T03:00:00.000Z');
    expect(sightings.sight('b/2')).toBe('2026-01-06T03:00:00.000Z');
    expect(sightings.sightDigest(idDigest('c/3'))).toBeUndefined();
    expect(sightings.unsighted()).toEqual(new Set());
  });

  it('knows nothing on a first run, and no report start leaves a sighting without a date unknown', () => {
    expect(PreviousSightings.NONE.sight('a/1')).toBeUndefined();
    expect(PreviousSightings.NONE.unsighted()).toEqual(new Set());
    const collector = PreviousSightings.collect();
    collector.add(previous('a/1'));
    expect(collector.build(undefined).sight('a/1')).toBeUndefined();
  });
});
