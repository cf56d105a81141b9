import { afterAll, describe, expect, it } from 'vitest';
import { readAccountReport, type ReportChanges, type ReportFindingLine } from '../../../functions/merge-organization-audit/read-account-report.js';
import type { AccountFinding } from '../../../shared/audit/finding.js';
import { bucketFinding, MemoryReportStore, removeSpools, writeAccountReport } from './support/organization-fakes.js';

afterAll(removeSpools);

const ACCOUNT = '111111111111';
const RUN = { runId: '2026-03-02T030000Z', runDate: '2026-03-02', startedAt: '2026-03-02T03:00:00.000Z' };

/** Text that would end a line, the findings list or the document if it were not escaped. */
const TRICKY = 'statement "x",\n]}\r\n{"kind":"encryption-audit-report"},\u2028 ü → ✓';

const PREVIOUS = [bucketFinding(ACCOUNT, 'changed', 'failed', 'AES256'), bucketFinding(ACCOUNT, 'steady', 'failed', 'no default encryption')];
const FINDINGS: AccountFinding[] = [
  bucketFinding(ACCOUNT, 'passing', 'passed'),
  bucketFinding(ACCOUNT, 'changed', 'failed', 'aws:kms with another key'),
  bucketFinding(ACCOUNT, 'steady', 'failed', 'no default encryption'),
  bucketFinding(ACCOUNT, 'tricky', 'error', TRICKY, 'critical'),
];

const read = async (lines: AsyncIterable<string>) => {
  const seen: { line: ReportFindingLine; changes: ReportChanges }[] = [];
  const result = await readAccountReport(lines, (line, changes) => seen.push({ line, changes }));
  return { result, seen };
};

const linesOf = (text: string): AsyncIterable<string> =>
  (async function* () {
    yield* text.split('\n');
  })();

const reportText = async (findings: readonly AccountFinding[], previous: readonly AccountFinding[] | undefined = PREVIOUS): Promise<string> => {
  const store = new MemoryReportStore();
  const { reportKey } = await writeAccountReport(store, { accountId: ACCOUNT, run: RUN, findings, previous });
  return store.objects.get(reportKey) ?? '';
};

describe('readAccountReport', () => {
  it('hands on every finding of the report the audit writes, failing first as written, verbatim, with what is new or changed', async () => {
    const text = await reportText(FINDINGS);

    const { result, seen } = await read(linesOf(text));

    expect(result).toEqual({ findings: 4 });
    // ReportFiles writes failing findings first, each in the order found.
    const written = [FINDINGS[1], FINDINGS[2], FINDINGS[3], FINDINGS[0]] as AccountFinding[];
    expect(seen.map(({ line }) => line.finding)).toEqual(written);
    expect(seen.map(({ line }) => line.text)).toEqual(written.map((finding) => JSON.stringify(finding)));
    const changes = seen[0]?.changes;
    expect(changes).toEqual({ new: new Set([FINDINGS[3]?.id]), changed: new Set([FINDINGS[1]?.id]) });
    expect(seen.every((item) => item.changes === changes)).toBe(true);
  });

  it('a report without findings reads as none', async () => {
    await expect(read(linesOf(await reportText([], [])))).resolves.toEqual({ result: { findings: 0 }, seen: [] });
  });

  it('a first run: every failing finding is new', async () => {
    const store = new MemoryReportStore();
    const { reportKey } = await writeAccountReport(store, { accountId: ACCOUNT, run: RUN, findings: FINDINGS });
    const { seen } = await read(linesOf(store.objects.get(reportKey) ?? ''));

    expect(seen[0]?.changes).toEqual({ new: new Set([FINDINGS[1]?.id, FINDINGS[2]?.id, FINDINGS[3]?.id]), changed: new Set() });
  });

  describe('refuses a report laid out otherwise', () => {
    it.each([
      ['pretty-printed', (text: string) => JSON.stringify(JSON.parse(text), null, 2), 'the account report does not open with its header line'],
      ['on one line', (text: string) => JSON.stringify(JSON.parse(text)), 'the account report does not open with its header line'],
      ['empty', () => '', 'the account report does not open with its header line'],
      ['without its findings list where it belongs', (text: string) => text.replace('\n"findings":[\n', '\n"results":[\n'), 'the account report has no findings list where one belongs'],
      ['cut short before its end', (text: string) => text.slice(0, text.lastIndexOf(']}')), 'the account report ends before its findings do'],
      ['cut short after its header', (text: string) => text.split('\n').slice(0, 2).join('\n'), 'the account report ends before its findings do'],
    ])('%s', async (_case, mangle, message) => {
      const text = mangle(await reportText(FINDINGS));
      await expect(read(linesOf(text))).rejects.toThrow(new Error(message));
    });

    it('cut in the middle of a finding', async () => {
      const lines = (await reportText(FINDINGS)).split('\n');
      const cut = [lines[0], lines[1], lines[2]?.slice(0, 40), ']}'].join('\n');
      await expect(read(linesOf(cut))).rejects.toThrow(SyntaxError);
    });

    it('a header that is not JSON', async () => {
      await expect(read(linesOf('{"kind": nope,\n"findings":[\n]}\n'))).rejects.toThrow(SyntaxError);
    });
  });
});
