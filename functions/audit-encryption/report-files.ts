import { Buffer } from 'node:buffer';
import { REPORT_JSON_CLOSING, reportJsonFinding, reportJsonOpening, type ReportHeader } from '../../shared/audit/audit-report.js';
import type { FindingChanges, FindingCounts } from '../../shared/audit/diff-findings.js';
import { isFailing, type Finding } from '../../shared/audit/finding.js';
import { markdownCheckHeading, markdownClosing, markdownFindingRow, markdownOpening } from '../../shared/audit/render-report-markdown.js';
import type { ReportSpool, SpoolFile } from '../../shared/ports/report-spool.js';

/** A report's body: pieces read once, in order, and its exact size in bytes. */
export interface ReportBody {
  /** From the start each time it is called. */
  readonly body: () => AsyncIterable<Uint8Array | string>;
  readonly contentLength: number;
}

export type Piece = string | SpoolFile;

export const bodyOf = (pieces: readonly Piece[]): ReportBody => ({
  contentLength: pieces.reduce((sum, piece) => sum + (typeof piece === 'string' ? Buffer.byteLength(piece, 'utf8') : piece.bytes), 0),
  body: async function* () {
    for (const piece of pieces) {
      if (typeof piece === 'string') yield piece;
      else yield* piece.read();
    }
  },
});

/**
 * The report's findings as the audit goes, spooled to files rather than held: the JSON lines (failing
 * first) and each check's Markdown rows (failing first). The header and the opening sections, known
 * only at the end, are put in front when the bodies are made.
 */
export class ReportFiles {
  private readonly jsonFailing: SpoolFile;
  private readonly jsonOther: SpoolFile;
  private jsonFailingCount = 0;
  private jsonOtherCount = 0;
  private readonly checks = new Set<string>();

  constructor(private readonly spool: ReportSpool) {
    this.jsonFailing = spool.file('findings-failing.jsonl');
    this.jsonOther = spool.file('findings-other.jsonl');
  }

  private rows(check: string, failing: boolean): SpoolFile {
    this.checks.add(check);
    return this.spool.file(`rows-${failing ? 'failing' : 'other'}-${check}.md`);
  }

  add(finding: Finding): void {
    const failing = isFailing(finding.status);
    if (failing) this.jsonFailing.append(reportJsonFinding(finding, (this.jsonFailingCount += 1) === 1));
    else this.jsonOther.append(reportJsonFinding(finding, (this.jsonOtherCount += 1) === 1));
    this.rows(finding.check, failing).append(markdownFindingRow(finding));
  }

  json(header: ReportHeader): ReportBody {
    const between = this.jsonFailingCount > 0 && this.jsonOtherCount > 0 ? [',\n'] : [];
    return bodyOf([reportJsonOpening(header), this.jsonFailing, ...between, this.jsonOther, REPORT_JSON_CLOSING]);
  }

  markdown(header: ReportHeader, changes: FindingChanges, counts: FindingCounts, fixes: readonly Finding[]): ReportBody {
    const pieces: Piece[] = [markdownOpening(header, changes)];
    for (const check of [...this.checks].sort()) {
      pieces.push(markdownCheckHeading(check, counts.byCheck.get(check) ?? { findings: 0, failing: 0 }), this.rows(check, true), this.rows(check, false), '\n');
    }
    pieces.push(markdownClosing(fixes, header.scope.exemptBuckets));
    return bodyOf(pieces);
  }
}
