import type { AccountLine, OrganizationChange, OrganizationSummary } from '../../shared/organization/organization-tally.js';
import type { OrganizationRun } from '../../shared/organization/organization-run.js';
import type { ReportSpool, SpoolFile } from '../../shared/ports/report-spool.js';
import { bodyOf, type ReportBody } from '../audit-encryption/report-files.js';

export const ORGANIZATION_REPORT_KIND = 'organization-encryption-audit-report';

export interface OrganizationReportHeader {
  readonly kind: typeof ORGANIZATION_REPORT_KIND;
  readonly schemaVersion: 1;
  readonly run: OrganizationRun & { readonly callerAccountId: string; readonly region: string; readonly mapRunArn?: string | undefined };
  readonly location?:
    | {
        readonly bucket: string;
        readonly jsonKey: string;
        readonly markdownKey: string;
        readonly htmlKey?: string | undefined;
        readonly uri: string;
        readonly consoleUrl: string;
        readonly htmlConsoleUrl?: string | undefined;
      }
    | undefined;
  readonly summary: OrganizationSummary;
}

/** Markdown table cells: pipes escaped and lines flattened, so a name or reason cannot break the table. */
const cell = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const code = (text: string): string => `\`${text.replace(/`/g, "'")}\``;

const accountRow = (line: AccountLine): string => {
  const changes = line.changes ? `${line.changes.new} new, ${line.changes.changed} changed, ${line.changes.resolved} resolved` : '';
  const note = line.reason ?? (line.regionsWithoutEnforcer && line.regionsWithoutEnforcer.length > 0 ? `no member stack in ${line.regionsWithoutEnforcer.join(', ')}` : '');
  return `| ${code(line.accountId)} | ${cell(line.name)} | ${line.status} | ${line.failing ?? ''} | ${changes} | ${cell(note)} | ${line.report ? code(line.report) : ''} |\n`;
};

const changeLine = (change: OrganizationChange): string =>
  `- **${change.severity}** ${change.change} in ${code(change.accountId)}: ${code(change.check)} ${code(change.resource)}: ${cell(change.observed)}`;

/**
 * The organization report as the merge streams it: one line per account and one per finding,
 * spooled to files as they come; the header, known only at the end, is put in front when the
 * bodies are made. JSON: `{header…, "accounts":[…], "findings":[…]}`, one entry a line, the same
 * layout as an account's report. Markdown: the summary, every account, and the changes.
 */
export class OrganizationReportFiles {
  private readonly accountsJson: SpoolFile;
  private readonly findingsJson: SpoolFile;
  private readonly accountRows: SpoolFile;
  private accounts = 0;
  private findings = 0;

  constructor(spool: ReportSpool) {
    this.accountsJson = spool.file('organization-accounts.jsonl');
    this.findingsJson = spool.file('organization-findings.jsonl');
    this.accountRows = spool.file('organization-accounts.md');
  }

  account(line: AccountLine): void {
    this.accountsJson.append(`${(this.accounts += 1) === 1 ? '' : ',\n'}${JSON.stringify(line)}`);
    this.accountRows.append(accountRow(line));
  }

  /** A finding's JSON text, as its account's report has it (with its accountId). */
  findingText(text: string): void {
    this.findingsJson.append(`${(this.findings += 1) === 1 ? '' : ',\n'}${text}`);
  }

  json(header: OrganizationReportHeader): ReportBody {
    return bodyOf([`${JSON.stringify(header).slice(0, -1)},\n"accounts":[\n`, this.accountsJson, '\n],\n"findings":[\n', this.findingsJson, '\n]}\n']);
  }

  markdown(header: OrganizationReportHeader, changes: readonly OrganizationChange[]): ReportBody {
    const { run, summary } = header;
    const { accounts } = summary;
    const opening = [
      `# S3 encryption audit of the organization — ${run.runDate}`,
      '',
      `Run ${run.runId} from account ${run.callerAccountId} in ${run.region}.`,
      '',
      `${accounts.listed} account(s): ${accounts.audited} audited, **${accounts.notAudited} not audited**, ${accounts.skipped} skipped. ` +
        `${summary.byStatus.failed} failed, ${summary.byStatus.error} could not be checked, ${summary.byStatus.fixed} fixed, ${summary.byStatus.passed} passed. ` +
        `Highest failing severity: **${summary.highestFailingSeverity}**.`,
      '',
      `Since each account's previous run: ${summary.changes.new} new, ${summary.changes.changed} changed, ${summary.changes.resolved} resolved, ${summary.changes.fixed} fixed, in ${summary.accountsWithChanges} account(s).`,
      '',
      `## Most severe changes (${changes.length} shown)`,
      '',
      ...(changes.length > 0 ? changes.map(changeLine) : ['None.']),
      '',
      '## Accounts',
      '',
      '| account | name | status | failing | changes | note | report |',
      '|---|---|---|---|---|---|---|',
      '',
    ].join('\n');
    return bodyOf([opening, this.accountRows, '\nEach account’s findings are in its own report, and all of them in the JSON report.\n']);
  }
}
