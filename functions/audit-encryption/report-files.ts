import { Buffer } from 'node:buffer';
import { REPORT_JSON_CLOSING, reportJsonFinding, reportJsonOpening, type ReportHeader } from '../../shared/audit/audit-report.js';
import type { FindingChanges, FindingCounts } from '../../shared/audit/diff-findings.js';
import { isFailing, type AccountFinding, type Finding } from '../../shared/audit/finding.js';
import { markdownCheckHeading, markdownClosing, markdownFindingRow, markdownOpening } from '../../shared/audit/render-report-markdown.js';
import { ocsfLine, type OcsfContext } from '../../shared/findings-export/ocsf-finding.js';
import { accountHtmlClosing, accountHtmlOpening, resourceBlock } from '../../shared/report-html/render-account-html.js';
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

/** Resources whose findings a scan hands on together, bucket by bucket; the others are gathered. */
const arrivesTogether = (finding: Finding): boolean => finding.resourceType === 'AwsS3Bucket' || finding.resourceType === 'AwsS3Object';

/**
 * The report's findings as the audit goes, spooled to files rather than held: the JSON lines (failing
 * first), each check's Markdown rows (failing first), one OCSF event a finding, and the HTML page's
 * blocks, one a resource (failing resources first). The header and the opening sections, known only
 * at the end, are put in front when the bodies are made.
 */
export class ReportFiles {
  private readonly jsonFailing: SpoolFile;
  private readonly jsonOther: SpoolFile;
  private jsonFailingCount = 0;
  private jsonOtherCount = 0;
  /** Each check's Markdown rows, failing and other, by check: opened once, not looked up by name each finding. */
  private readonly rowFiles = new Map<string, { failing?: SpoolFile; other?: SpoolFile }>();
  private readonly ocsf: SpoolFile;
  private readonly htmlFailing: SpoolFile;
  private readonly htmlOther: SpoolFile;
  /** The findings of the bucket (or object) being handed on. */
  private together: Finding[] = [];
  /** Keys' and the account's findings, gathered by resource: a few, handed on at the end of the scan. */
  private readonly gathered = new Map<string, Finding[]>();

  constructor(
    private readonly spool: ReportSpool,
    private readonly ocsfContext: OcsfContext,
  ) {
    this.jsonFailing = spool.file('findings-failing.jsonl');
    this.jsonOther = spool.file('findings-other.jsonl');
    this.ocsf = spool.file('findings.ocsf.jsonl');
    this.htmlFailing = spool.file('resources-failing.html');
    this.htmlOther = spool.file('resources-other.html');
  }

  private writeBlock(findings: readonly Finding[]): void {
    if (findings.length === 0) return;
    (findings.some((finding) => isFailing(finding.status)) ? this.htmlFailing : this.htmlOther).append(resourceBlock(findings));
  }

  private endTogether(): void {
    this.writeBlock(this.together);
    this.together = [];
  }

  private rows(check: string, failing: boolean): SpoolFile {
    let files = this.rowFiles.get(check);
    if (!files) {
      files = {};
      this.rowFiles.set(check, files);
    }
    const kind = failing ? 'failing' : 'other';
    return (files[kind] ??= this.spool.file(`rows-${kind}-${check}.md`));
  }

  add(finding: AccountFinding): void {
    const failing = isFailing(finding.status);
    if (failing) this.jsonFailing.append(reportJsonFinding(finding, (this.jsonFailingCount += 1) === 1));
    else this.jsonOther.append(reportJsonFinding(finding, (this.jsonOtherCount += 1) === 1));
    this.rows(finding.check, failing).append(markdownFindingRow(finding));
    this.ocsf.append(ocsfLine(finding, this.ocsfContext));
    if (arrivesTogether(finding)) {
      if (this.together.length > 0 && this.together[0]?.resource !== finding.resource) this.endTogether();
      this.together.push(finding);
    } else {
      const findings = this.gathered.get(finding.resource) ?? [];
      findings.push(finding);
      this.gathered.set(finding.resource, findings);
    }
  }

  /** One OCSF event a finding, in the order the scan made them. */
  ocsfLines(): ReportBody {
    return bodyOf([this.ocsf]);
  }

  /** The self-contained page: summary, changes, the trend as drawn, then each resource (failing ones first). Once, after the scan. */
  html(header: ReportHeader, changes: FindingChanges, trendMarkup: string, fixes: readonly Finding[]): ReportBody {
    this.endTogether();
    for (const resource of [...this.gathered.keys()].sort()) this.writeBlock(this.gathered.get(resource) ?? []);
    this.gathered.clear();
    return bodyOf([accountHtmlOpening(header, changes, trendMarkup), this.htmlFailing, this.htmlOther, accountHtmlClosing(fixes, header.scope.exemptBuckets)]);
  }

  json(header: ReportHeader): ReportBody {
    const between = this.jsonFailingCount > 0 && this.jsonOtherCount > 0 ? [',\n'] : [];
    return bodyOf([reportJsonOpening(header), this.jsonFailing, ...between, this.jsonOther, REPORT_JSON_CLOSING]);
  }

  markdown(header: ReportHeader, changes: FindingChanges, counts: FindingCounts, fixes: readonly Finding[]): ReportBody {
    const pieces: Piece[] = [markdownOpening(header, changes)];
    for (const check of [...this.rowFiles.keys()].sort()) {
      pieces.push(markdownCheckHeading(check, counts.byCheck.get(check) ?? { findings: 0, failing: 0 }), this.rows(check, true), this.rows(check, false), '\n');
    }
    pieces.push(markdownClosing(fixes, header.scope.exemptBuckets));
    return bodyOf(pieces);
  }
}
