import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { CHECKS } from '../../shared/audit/checks-catalogue.js';
import { makeFinding } from '../../shared/audit/checks/make-finding.js';
import type { PreviousFinding } from '../../shared/audit/diff-findings.js';
import type { Finding } from '../../shared/audit/finding.js';
import { archivedAsffFinding, asffRegionOf, toAsffFinding, type AsffContext } from '../../shared/findings-export/asff-finding.js';
import { importInBatches, type RegionImportOutcome } from '../../shared/findings-export/security-hub-export.js';
import type { FindingsImporter } from '../../shared/ports/findings-importer.js';
import type { ReportSpool, SpoolFile } from '../../shared/ports/report-spool.js';

/** The check that reports the import itself; its findings are not imported (they are about the import). */
export const SECURITY_HUB_IMPORT_CHECK = 'securityhub-import';

const linesOf = async function* (file: SpoolFile): AsyncIterable<AwsSecurityFinding> {
  for await (const line of createInterface({ input: Readable.from(file.read()), crlfDelay: Infinity })) {
    if (line !== '') yield JSON.parse(line) as AwsSecurityFinding;
  }
};

/**
 * A run's findings in ASFF, spooled per region as the scan goes (Security Hub takes them at 10
 * calls a second, far slower than a scan makes them), then imported region by region, each into
 * the audited account's own Security Hub in that region.
 */
export class SecurityHubFiles {
  private readonly regions = new Map<string, { file: SpoolFile; findings: number }>();

  constructor(
    private readonly spool: ReportSpool,
    private readonly context: AsffContext,
  ) {}

  private fileFor(region: string): { file: SpoolFile; findings: number } {
    let entry = this.regions.get(region);
    if (!entry) {
      entry = { file: this.spool.file(`asff-${region}.jsonl`), findings: 0 };
      this.regions.set(region, entry);
    }
    return entry;
  }

  private append(region: string, finding: AwsSecurityFinding): void {
    const entry = this.fileFor(region);
    entry.file.append(`${JSON.stringify(finding)}\n`);
    entry.findings += 1;
  }

  /** A finding of this run, first seen when its first sighting says. */
  add(finding: Finding, firstSeen: string): void {
    if (finding.check === SECURITY_HUB_IMPORT_CHECK) return;
    this.append(asffRegionOf(finding, this.context.homeRegion), toAsffFinding(finding, firstSeen, this.context));
  }

  /** A finding of the previous run whose resource or check is gone: sent once more, archived. */
  archive(previous: PreviousFinding, firstSeen: string): void {
    if (previous.check === SECURITY_HUB_IMPORT_CHECK || !(previous.check in CHECKS)) return;
    this.append(asffRegionOf(previous, this.context.homeRegion), archivedAsffFinding(previous, firstSeen, this.context));
  }

  /** Every region's findings imported, one region after another (each has its own rate). */
  async importAll(importer: FindingsImporter): Promise<RegionImportOutcome[]> {
    const outcomes: RegionImportOutcome[] = [];
    for (const [region, { file }] of [...this.regions.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      try {
        outcomes.push(await importInBatches(importer, region, linesOf(file)));
      } catch (error) {
        outcomes.push({ kind: 'interrupted', region, imported: 0, failed: 0, failures: [], error: error instanceof Error ? error.message : String(error) });
      }
    }
    return outcomes;
  }
}

const hubArn = (partition: string, region: string, accountId: string): string => `arn:${partition}:securityhub:${region}:${accountId}:hub/default`;

/**
 * Each region's import as a finding of the audited account: passed when every finding went in;
 * error when Security Hub is not enabled there, refused findings, or stopped — the audit goes on
 * either way, and the report says what did not reach Security Hub.
 */
export const importFindings = (outcomes: readonly RegionImportOutcome[], context: AsffContext): Finding[] =>
  outcomes.map((outcome) => {
    const resource = hubArn(context.partition, outcome.region, context.accountId);
    const base = { resource, region: outcome.region, resourceType: 'AwsAccount' as const, expected: 'every finding imported by BatchImportFindings' };
    const check = CHECKS[SECURITY_HUB_IMPORT_CHECK];
    if (outcome.kind === 'not-enabled') return makeFinding(check, { ...base, status: 'error', observed: outcome.message });
    const refused =
      outcome.failed > 0
        ? `; ${outcome.failed} refused (${outcome.failures
            .slice(0, 5)
            .map((failure) => `${failure.id}: ${failure.code} ${failure.message}`)
            .join('; ')}${outcome.failures.length > 5 ? '; …' : ''})`
        : '';
    if (outcome.kind === 'interrupted') {
      return makeFinding(check, { ...base, status: 'error', observed: `${outcome.imported} imported before the import stopped: ${outcome.error}${refused}` });
    }
    return makeFinding(check, { ...base, status: outcome.failed > 0 ? 'error' : 'passed', observed: `${outcome.imported} imported${refused}` });
  });
