import type { ReportHeader } from './audit-report.js';
import type { FindingChanges } from './diff-findings.js';
import { CHECKS, type CheckId } from './checks-catalogue.js';
import type { Finding } from './finding.js';

/** Table cells: pipes escaped, line breaks flattened, so a policy fragment cannot break the table. */
const cell = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

const code = (text: string): string => `\`${text.replace(/`/g, "'")}\``;

const findingRow = (finding: Finding): string =>
  `| ${finding.severity} | ${finding.status} | ${code(finding.resource)} | ${finding.region} | ${cell(finding.observed)} | ${cell(finding.expected)} | ${code(finding.id)} |`;

const TABLE_HEAD = ['| severity | status | resource | region | observed | expected | id |', '|---|---|---|---|---|---|---|'];

const changeLine = (finding: Pick<Finding, 'severity' | 'check' | 'resource' | 'observed'>): string =>
  `- **${finding.severity}** ${code(finding.check)} ${code(finding.resource)}: ${finding.observed.replace(/\r?\n/g, ' ')}`;

/** The morning report's opening: the run, the counts, and what changed since the previous run. */
export const markdownOpening = (header: ReportHeader, changes: FindingChanges): string => {
  const { run, summary } = header;
  const lines: string[] = [
    `# S3 encryption audit — ${run.runDate}`,
    '',
    `Account ${run.accountId}, run ${run.runId} from ${run.region}. Required key: ${code(run.requiredKey.arn ?? run.requiredKey.reference)}.`,
    '',
    `${summary.buckets} bucket(s) audited (${summary.bucketsExempt} exempt), ${summary.keys} key(s). ` +
      `${summary.byStatus.failed} failed, ${summary.byStatus.error} could not be checked, ${summary.byStatus.fixed} fixed, ${summary.byStatus.passed} passed, ${summary.byStatus.informational} informational. ` +
      `Highest failing severity: **${summary.highestFailingSeverity}**.`,
    '',
    '## Changes since the previous run',
    '',
  ];
  if (changes.firstRun) lines.push('No previous report: every failing finding is new.', '');
  const section = (title: string, items: string[]): void => {
    lines.push(`### ${title} (${items.length})`, '', ...(items.length > 0 ? items : ['None.']), '');
  };
  section('New', changes.new.map(changeLine));
  section('Changed', changes.changed.map(({ finding }) => changeLine(finding)));
  section('Fixed by this run', changes.fixed.map((finding) => `${changeLine(finding)} → ${finding.fix?.after ?? ''}`));
  section('Resolved', changes.resolved.map(({ previous }) => `${changeLine(previous)} (was ${previous.status})`));
  lines.push('## Findings by check', '', '');
  return lines.join('\n');
};

/** One check's section heading; its rows (failing first) follow. */
export const markdownCheckHeading = (check: string, counts: { readonly findings: number; readonly failing: number }): string => {
  const definition = CHECKS[check as CheckId];
  return [
    `### ${code(check)} — ${definition?.title ?? check}`,
    '',
    `${counts.failing} of ${counts.findings} failing. Controls: ${definition && definition.controls.length > 0 ? definition.controls.join(', ') : 'none'}.`,
    '',
    ...(definition ? [`Remediation: ${definition.remediation}`, ''] : []),
    ...TABLE_HEAD,
    '',
  ].join('\n');
};

export const markdownFindingRow = (finding: Finding): string => `${findingRow(finding)}\n`;

/** After the checks: every fix the run attempted, and the buckets POLICY exempts. */
export const markdownClosing = (fixed: readonly Finding[], exemptBuckets: readonly string[]): string => {
  const lines: string[] = [''];
  const fixes = fixed.flatMap((finding) => (finding.fix ? [{ finding, fix: finding.fix }] : []));
  if (fixes.length > 0) {
    lines.push('## Fixes', '', '| action | resource | outcome | before | after |', '|---|---|---|---|---|');
    for (const { finding, fix } of fixes) {
      lines.push(`| ${fix.action} | ${code(finding.resource)} | ${fix.outcome}${fix.error ? `: ${cell(fix.error)}` : ''} | ${cell(fix.before)} | ${cell(fix.after)} |`);
    }
    lines.push('');
  }
  if (exemptBuckets.length > 0) lines.push('## Exempt buckets', '', ...[...exemptBuckets].sort().map((bucket) => `- ${code(bucket)}`), '');
  return lines.join('\n');
};
