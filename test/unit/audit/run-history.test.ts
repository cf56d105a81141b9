import { describe, expect, it } from 'vitest';
import { FINDING_STATUSES, SEVERITIES } from '../../../shared/audit/finding.js';
import { boundAccounts, historyText, parseHistoryLine, readHistory, withRun, RUN_HISTORY_KIND, type RunHistoryEntry } from '../../../shared/audit/run-history.js';

const zeros = <K extends string>(keys: readonly K[]): Record<K, number> => Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;

const entry = (day: number, failed = day): RunHistoryEntry => ({
  kind: RUN_HISTORY_KIND,
  runId: `2026-03-${String(day).padStart(2, '0')}T030000Z`,
  startedAt: `2026-03-${String(day).padStart(2, '0')}T03:00:00.000Z`,
  scope: 'account',
  accountId: '123456789012',
  findings: failed + 1,
  byStatus: { ...zeros(FINDING_STATUSES), failed, passed: 1 },
  failingBySeverity: { ...zeros(SEVERITIES), high: failed },
  byCheck: { 's3-default-encryption-kms': { findings: failed + 1, failing: failed } },
  byAccount: { '123456789012': { findings: failed + 1, failing: failed } },
});

const lines = async function* (text: string): AsyncIterable<string> {
  yield* text.split('\n');
};

describe('run history', () => {
  it('reads back what it writes, oldest first, skipping lines that are not entries', async () => {
    const text = `${historyText([entry(2), entry(1)])}not json\n{"kind":"other"}\n`;
    const read = await readHistory(lines(text));
    expect(read.entries.map((item) => item.runId)).toEqual([entry(1).runId, entry(2).runId]);
    expect(read.entries[0]).toEqual(entry(1));
    expect(read.skippedLines).toBe(2);
  });

  it('keeps the newest runs only, however long the stored history', async () => {
    const text = historyText(Array.from({ length: 30 }, (_, index) => entry(index + 1)));
    const read = await readHistory(lines(text), 4);
    expect(read.entries.map((item) => item.runId)).toEqual([27, 28, 29, 30].map((day) => entry(day).runId));
  });

  it('adds a run once: a retried run replaces its own line', () => {
    const history = withRun([entry(1), entry(2)], entry(2, 9));
    expect(history.map((item) => [item.runId, item.byStatus.failed])).toEqual([
      [entry(1).runId, 1],
      [entry(2).runId, 9],
    ]);
  });

  it('drops what is not an entry, and counts that are not whole numbers', () => {
    expect(parseHistoryLine('{"kind":"encryption-audit-run","runId":"r","startedAt":"nope","scope":"account"}')).toBeUndefined();
    expect(parseHistoryLine(JSON.stringify({ ...entry(1), scope: 'galaxy' }))).toBeUndefined();
    expect(parseHistoryLine(JSON.stringify({ ...entry(1), findings: -3 }))?.findings).toBe(0);
  });

  it('bounds an organization’s accounts: the worst by name, the rest summed', () => {
    const accounts = new Map(Array.from({ length: 5 }, (_, index) => [`00000000000${index}`, { findings: 10, failing: index }]));
    expect(boundAccounts(accounts, 2)).toEqual({
      byAccount: { '000000000004': { findings: 10, failing: 4 }, '000000000003': { findings: 10, failing: 3 } },
      otherAccounts: { accounts: 3, findings: 30, failing: 3 },
    });
  });
});
