import type { AuditReport } from './audit-report.js';
import { CHECKS, type CheckId } from './checks-catalogue.js';
import { isFailing, type Finding } from './finding.js';

/** Table cells: pipes escaped, line breaks flattened, so a policy fragment cannot break the table. */
const cell = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

const code = (text: string): string => `\`${text.replace(/`/g, "'")}\``;

const findingRow = (finding: Finding): string =>
  `| ${finding.severity} | ${finding.status} | ${code(finding.resource)} | ${finding.region} | ${cell(finding.observed)} | ${cell(finding.expected)} | ${code(finding.id)} |`;

const TABLE_HEAD = ['| severity | status | resource | region | observed | expected | id |', '|---|---|---|---|---|---|---|'];

const changeLine = (finding: Pick<Finding, 'severity' | 'check' | 'resource' | 'observed'>): string =>
  `- **${finding.severity}** ${code(finding.check)} ${code(finding.resource)}: ${finding.observed.replace(/\r?\n/g, ' ')}`;

/** The morning report for people: what changed first, then every finding by check. */
export const renderReportMarkdown = (report: AuditReport): string => {
  const { run, summary, changes } = report;
  const byId = new Map(report.findings.map((finding) => [finding.id, finding]));
  const pick = (ids: readonly string[]): Finding[] => ids.flatMap((id) => byId.get(id) ?? []);
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
  section('New', pick(changes.new).map(changeLine));
  section('Changed', pick(changes.changed).map(changeLine));
  section('Fixed by this run', pick(changes.fixed).map((finding) => `${changeLine(finding)} → ${finding.fix?.after ?? ''}`));
  section('Resolved', changes.resolved.map((previous) => `${changeLine(previous)} (was ${previous.status})`));

  lines.push('## Findings by check', '');
  const checks = [...new Set(report.findings.map((finding) => finding.check))].sort();
  for (const check of checks) {
    const definition = CHECKS[check as CheckId];
    const findings = report.findings.filter((finding) => finding.check === check);
    const failing = findings.filter((finding) => isFailing(finding.status)).length;
    lines.push(`### ${code(check)} — ${definition?.title ?? check}`, '');
    lines.push(`${failing} of ${findings.length} failing. Controls: ${definition && definition.controls.length > 0 ? definition.controls.join(', ') : 'none'}.`, '');
    if (definition) lines.push(`Remediation: ${definition.remediation}`, '');
    lines.push(...TABLE_HEAD, ...findings.map(findingRow), '');
  }
  const fixes = report.findings.flatMap((finding) => (finding.fix ? [{ finding, fix: finding.fix }] : []));
  if (fixes.length > 0) {
    lines.push('## Fixes', '', '| action | resource | outcome | before | after |', '|---|---|---|---|---|');
    for (const { finding, fix } of fixes) {
      lines.push(`| ${fix.action} | ${code(finding.resource)} | ${fix.outcome}${fix.error ? `: ${cell(fix.error)}` : ''} | ${cell(fix.before)} | ${cell(fix.after)} |`);
    }
    lines.push('');
  }
  if (report.scope.exemptBuckets.length > 0) lines.push('## Exempt buckets', '', ...report.scope.exemptBuckets.map((bucket) => `- ${code(bucket)}`), '');
  return lines.join('\n');
};
