// What `npm start -- --organization` prints: the estate, each member's enforcer at work, every state
// of the audit with the payload it handed on, the organization report's Markdown and on-call's
// summary as the findings topic delivered it.
import { Buffer } from 'node:buffer';
import { say, table } from '../report.mjs';

/** @import { Message } from '@aws-sdk/client-sqs' */
/** @import { RunResult, TraceEntry } from '../../../tooling/state-machine-driver.mjs' */
/** @import { OrganizationSummary } from '../../../shared/organization/organization-tally.js' */
/** @import { AuditInvocation } from './audit-run.mjs' */
/** @import { Central, Member, OrganizationAccount } from './estate.mjs' */
/** @import { Encryption, MemberEnforcement } from './member-enforcers.mjs' */

/**
 * On-call's document, as the merge publishes it for machines (shared/organization/organization-notification.ts).
 * @typedef {{
 *   summary: OrganizationSummary & { runId: string, runDate: string, report?: { uri: string }, reportError?: string },
 *   notAudited: { accountId: string, name: string, reasonCode?: string, reason: string }[],
 *   changes: { change: string, accountId: string, check: string, severity: string, resource: string, observed: string }[],
 * }} OnCallDocument
 */

export { say };

/** On-call's message lists every change it can hold; the first ones are enough here, the report above has them all. */
const ON_CALL_CHANGES_SHOWN = 8;

/** @param {unknown} value */
const bytes = (value) => Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');

/**
 * A payload in one line: itself when short, else its fields' sizes; always its size.
 * @param {unknown} value
 */
export const payloadLine = (value) => {
  const json = JSON.stringify(value) ?? 'nothing';
  if (json.length <= 72) return `${json} (${bytes(value)} B)`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${bytes(value)} B`;
  return `{ ${Object.entries(value).map(([field, inner]) => `${field} ${bytes(inner)} B`).join(', ')} } (${bytes(value)} B)`;
};

/**
 * @param {string} managementId
 * @param {Central} central
 * @param {Member[]} members
 * @param {{ account: OrganizationAccount, reason: string }[]} unreachable
 */
export const printEstate = (managementId, central, members, unreachable) => {
  say('Organization');
  const rows = [
    ['management', managementId, 'central account', `alias/data → ${central.dataKeyArn.split('/').pop()}; reports bucket ${central.reportsBucket} (SSE-KMS, its own key); findings topic → SQS on-call`],
    ...members.map((member) => ['member', member.accountId, member.name, `alias/data → ${member.keyArn.split('/').pop()}; buckets ${member.buckets.compliant} (SSE-KMS), ${member.buckets.nonCompliant} (SSE-S3) → SQS ${member.queue.name}; SSM member parameter`]),
    ...unreachable.map(({ account }) => ['member', account.accountId, account.name, 'LOCKED OUT: every AssumeRole into it is refused (STS proxy); nothing set up']),
  ];
  say(table(['ROLE', 'ACCOUNT', 'NAME', 'HOLDS'], rows));
  for (const { account, reason } of unreachable) say(`  ${account.name}: ${reason}`);
  say('');
};

/** @param {Encryption} encryption @param {string} memberKey */
const encryptionText = (encryption, memberKey) => {
  if (encryption.algorithm === 'AES256') return 'SSE-S3';
  if (encryption.algorithm === 'aws:kms') return `SSE-KMS ${encryption.keyArn === memberKey ? "member's alias/data key" : (encryption.keyArn ?? 'aws/s3')}`;
  return encryption.algorithm ?? 'none';
};

/** @param {MemberEnforcement[]} results */
export const printEnforcement = (results) => {
  say("Each member's enforcer (dist/enforce-object-encryption, with the member's credentials) consuming its own queue:");
  const rows = results.map((result) => [
    result.member.name,
    result.object,
    encryptionText(result.before, result.member.keyArn),
    encryptionText(result.after, result.member.keyArn),
    `${result.outcome}; ${result.figures.messages} message(s), ${result.figures.batches} batch(es)`,
    result.notOk ? `NOT OK: ${result.notOk}` : 'ok',
  ]);
  say(table(['MEMBER', 'OBJECT', 'BEFORE', 'AFTER', 'ENFORCER', 'CHECK'], rows));
  say(`(uploaded with the ${results[0]?.uploadedWith ?? 'AWS CLI'}; CHECK: under the member's own key, bytes unchanged)`);
  for (const result of results) for (const log of result.problems) say(`  [${result.member.name} enforcer] ${JSON.stringify(log)}`);
  say('');
};

/** @param {TraceEntry} entry */
const stateName = (entry) => (entry.map ? `  ${entry.map}[${entry.item}] ${entry.state}` : entry.state);

/** @param {TraceEntry} entry */
const forWhom = (entry) => {
  const account = /** @type {{ account?: { accountId?: string, name?: string } }} */ (entry.input)?.account;
  return account?.accountId ? `${account.accountId} ${account.name ?? ''}`.trim() : '';
};

/** @param {TraceEntry} entry */
const handedOn = (entry) => {
  if (entry.error) return `FAILED ${entry.error.Error}: ${entry.error.Cause.slice(0, 120)}`;
  const caught = entry.caughtBy ? `caught → ${entry.caughtBy}: ` : '';
  return `${caught}${payloadLine(entry.output)}`;
};

/**
 * @param {RunResult} run
 * @param {AuditInvocation[]} invocations
 * @param {boolean} verbose
 */
export const printStates = (run, invocations, verbose) => {
  say(`The organization audit's states, as the definition runs them (execution ${run.executionArn.split(':').pop()}):`);
  const rows = run.trace.map((entry) => [stateName(entry), forWhom(entry), String(entry.attempts?.length ?? '-'), `${bytes(entry.input)} B`, handedOn(entry)]);
  say(table(['STATE', 'ACCOUNT', 'INVOKED', 'INPUT', 'HANDED ON'], rows));
  say(`Execution ${run.status}${run.status === 'FAILED' ? `: ${run.error.Error} ${run.error.Cause}` : ''}.`);
  for (const invocation of invocations) {
    for (const log of invocation.logs) {
      const level = log['level'];
      if (!verbose && level !== 'WARN' && level !== 'ERROR') continue;
      const { message, accountId, reason } = log;
      say(`  [${invocation.bundle}] ${level} ${String(message)}${accountId ? ` ${String(accountId)}` : ''}${reason ? `: ${JSON.stringify(reason)}` : ''}`);
    }
    // Plain text (Powertools' notice of no metrics, say) only when asked, or when the invocation failed.
    if (verbose || invocation.error) for (const line of invocation.text) say(`  [${invocation.bundle}] ${line}`);
    if (invocation.error) say(`  [${invocation.bundle}] failed: ${invocation.error.errorType}: ${invocation.error.errorMessage}`);
  }
  say('');
};

/** @param {string} uri @param {string} markdown */
export const printReport = (uri, markdown) => {
  say(`Organization report, Markdown (${uri}):`);
  say('┌' + '─'.repeat(78));
  for (const line of markdown.trimEnd().split('\n')) say(`│ ${line}`);
  say('└' + '─'.repeat(78));
  say('');
};

/**
 * On-call's summaries, as SNS delivered them to the subscribed queue (the `sqs` part of the message: the document).
 * @param {Message[]} messages
 * @returns {{ subject: string | undefined, document: OnCallDocument }[]}
 */
export const readOnCall = (messages) =>
  messages.map((message) => {
    const envelope = JSON.parse(message.Body ?? '{}');
    return { subject: envelope.Subject, document: JSON.parse(envelope.Message) };
  });

/** @param {{ subject: string | undefined, document: OnCallDocument }[]} summaries */
export const printOnCall = (summaries) => {
  say('On-call summary, as the findings topic delivered it to the on-call SQS queue:');
  if (summaries.length === 0) say('  (nothing arrived)');
  for (const { subject, document } of summaries) {
    const { summary, notAudited, changes } = document;
    const { accounts } = summary;
    say(`  Subject: ${subject}`);
    say(`  ${accounts.listed} account(s): ${accounts.audited} audited, ${accounts.notAudited} not audited, ${accounts.skipped} skipped.`);
    say(`  ${summary.changes.new} new, ${summary.changes.changed} changed, ${summary.changes.fixed} fixed, ${summary.changes.resolved} resolved; ${summary.byStatus.failed + summary.byStatus.error} failing in all; page on-call: ${summary.page ? `yes (${summary.severity})` : 'no'}.`);
    say(`  Report: ${summary.report?.uri ?? `not written (${summary.reportError ?? 'no reason given'})`}`);
    if (notAudited.length > 0) say(`  NOT AUDITED (${notAudited.length})`);
    for (const account of notAudited) say(`  - ${account.accountId} ${account.name} [${account.reasonCode ?? '?'}]: ${account.reason}`);
    const paged = summary.changes.new + summary.changes.changed;
    if (changes.length > 0) say(`  NEW OR CHANGED (${paged})`);
    for (const change of changes.slice(0, ON_CALL_CHANGES_SHOWN)) say(`  - [${change.severity}] ${change.change} ${change.accountId} ${change.check} ${change.resource}: ${change.observed}`);
    if (paged > ON_CALL_CHANGES_SHOWN) say(`  - … and ${paged - ON_CALL_CHANGES_SHOWN} more (${changes.length} in the message, all in the report)`);
  }
  say('');
};
