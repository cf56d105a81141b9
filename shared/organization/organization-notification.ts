import type { Notification } from '../ports/notification-publisher.js';
import type { AccountLine, OrganizationChange, OrganizationSummary } from './organization-tally.js';
import type { OrganizationRun } from './organization-run.js';

export interface OrganizationNotificationInput {
  readonly run: OrganizationRun;
  readonly summary: OrganizationSummary;
  readonly changes: readonly OrganizationChange[];
  readonly notAudited: readonly AccountLine[];
  readonly report?: { readonly uri: string; readonly consoleUrl: string; /** The HTML page in the console. */ readonly html?: string | undefined } | undefined;
  readonly reportError?: string | undefined;
  readonly measure: (notification: Notification) => number;
  readonly budgetBytes: number;
}

const FIELD_LIMIT = 300;
const clip = (text: string): string => (text.length <= FIELD_LIMIT ? text : `${text.slice(0, FIELD_LIMIT - 1)}…`);

/** What pages comes first: SNS cuts subjects at 100 characters. */
const subjectOf = ({ run, summary }: OrganizationNotificationInput): string => {
  const { changes, accounts } = summary;
  const notAudited = accounts.notAudited > 0 ? `${accounts.notAudited} not audited, ` : '';
  const severity = summary.page ? ` [${summary.severity}]` : '';
  return `S3 encryption audit ${run.runDate} (org)${severity}: ${notAudited}${changes.new} new, ${changes.changed} changed, ${changes.resolved} resolved`;
};

const textOf = (input: OrganizationNotificationInput, changes: readonly OrganizationChange[], notAudited: readonly AccountLine[]): string => {
  const { run, summary } = input;
  const { accounts } = summary;
  const lines = [
    `S3 encryption audit ${run.runDate} of the organization (run ${run.runId})`,
    `${accounts.listed} account(s): ${accounts.audited} audited, ${accounts.notAudited} not audited, ${accounts.skipped} skipped.`,
    `${summary.changes.new} new, ${summary.changes.changed} changed, ${summary.changes.fixed} fixed, ${summary.changes.resolved} resolved in ${summary.accountsWithChanges} account(s); ` +
      `${summary.byStatus.failed + summary.byStatus.error} failing in all.`,
    input.report ? `Report: ${input.report.uri}\n${input.report.consoleUrl}${input.report.html ? `\nHTML report: ${input.report.html}` : ''}` : `Report: not written${input.reportError ? ` (${input.reportError})` : ''}`,
  ];
  if (!summary.page) lines.push('', 'Nothing new or changed, and every account in scope was audited.');
  if (summary.accounts.notAudited > 0) {
    lines.push('', `NOT AUDITED (${summary.accounts.notAudited})`, ...notAudited.map((account) => `- ${account.accountId} ${account.name}: ${clip(account.reason ?? '')}`));
    if (notAudited.length < summary.accounts.notAudited) lines.push(`- … and ${summary.accounts.notAudited - notAudited.length} more in the report`);
  }
  const paged = summary.changes.new + summary.changes.changed;
  if (changes.length > 0) {
    lines.push('', `NEW OR CHANGED (${paged})`, ...changes.map((change) => `- [${change.severity}] ${change.change} ${change.accountId} ${change.check} ${change.resource}: ${clip(change.observed)}`));
    if (changes.length < paged) lines.push(`- … and ${paged - changes.length} more in the report`);
  }
  return lines.join('\n');
};

const notificationOf = (input: OrganizationNotificationInput, changes: readonly OrganizationChange[], notAudited: readonly AccountLine[]): Notification => ({
  subject: subjectOf(input),
  text: textOf(input, changes, notAudited),
  document: {
    summary: {
      kind: 'organization-encryption-audit',
      runId: input.run.runId,
      runDate: input.run.runDate,
      ...input.summary,
      ...(input.report ? { report: input.report } : {}),
      ...(input.reportError ? { reportError: input.reportError } : {}),
    },
    notAudited: notAudited.map((account) => ({ accountId: account.accountId, name: account.name, reasonCode: account.reasonCode, reason: clip(account.reason ?? '') })),
    changes: changes.map((change) => ({ ...change, observed: clip(change.observed) })),
  },
  attributes: {
    kind: 'organization-encryption-audit',
    page: String(input.summary.page),
    severity: input.summary.severity,
    ...(input.summary.accounts.notAudited > 0 ? { changes: ['not-audited'] } : {}),
  },
});

/**
 * One message for the whole organization, however many accounts: the counts, every account not
 * audited and the most severe changes as far as the channel's limit allows, and the report for the
 * rest. Lists are halved until the message fits.
 */
export const buildOrganizationNotification = (input: OrganizationNotificationInput): Notification => {
  let changes = input.changes;
  let notAudited = input.notAudited;
  let notification = notificationOf(input, changes, notAudited);
  while (input.measure(notification) > input.budgetBytes && changes.length + notAudited.length > 0) {
    changes = changes.slice(0, Math.floor(changes.length / 2));
    notAudited = notAudited.slice(0, Math.floor(notAudited.length / 2));
    notification = notificationOf(input, changes, notAudited);
  }
  return notification;
};
