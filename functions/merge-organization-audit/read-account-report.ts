import type { AccountFinding, FindingStatus, Severity } from '../../shared/audit/finding.js';

/** The parts of an account report's opening line the merge needs: which findings are new or changed. */
export interface ReportChanges {
  readonly new: ReadonlySet<string>;
  readonly changed: ReadonlySet<string>;
}

/** A finding line as it is in the account's report: its text, kept verbatim, and what is counted. */
export interface ReportFindingLine {
  readonly text: string;
  readonly finding: Pick<AccountFinding, 'id' | 'accountId' | 'check' | 'resource' | 'region' | 'observed'> & { readonly status: FindingStatus; readonly severity: Severity };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const ids = (value: unknown): Set<string> => new Set(Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string') : []);

/**
 * Reads an account's JSON report as the audit writes it — the header on the first line, then one
 * finding a line — handing each finding on as it is read: memory holds one line. Throws on a
 * report laid out otherwise; the merge then reports the account's report as unreadable.
 */
export const readAccountReport = async (
  lines: AsyncIterable<string>,
  onFinding: (line: ReportFindingLine, changes: ReportChanges) => void,
): Promise<{ readonly findings: number }> => {
  let changes: ReportChanges | undefined;
  let findings = 0;
  let lineNumber = 0;
  let closed = false;
  for await (const line of lines) {
    lineNumber += 1;
    if (lineNumber === 1) {
      if (!line.startsWith('{') || !line.endsWith(',')) throw new Error('the account report does not open with its header line');
      const header: unknown = JSON.parse(`${line.slice(0, -1)}}`);
      const reported = isRecord(header) && isRecord(header['changes']) ? header['changes'] : {};
      changes = { new: ids(reported['new']), changed: ids(reported['changed']) };
      continue;
    }
    if (lineNumber === 2) {
      if (line !== '"findings":[') throw new Error('the account report has no findings list where one belongs');
      continue;
    }
    if (line === ']}') {
      closed = true;
      continue;
    }
    if (closed || line.trim() === '') continue;
    const text = line.endsWith(',') ? line.slice(0, -1) : line;
    const finding = JSON.parse(text) as ReportFindingLine['finding'];
    findings += 1;
    onFinding({ text, finding }, changes as ReportChanges);
  }
  if (!closed) throw new Error('the account report ends before its findings do');
  return { findings };
};
