// What the run prints: tables sized for terminals (tooling/text-table.mjs), encryption in words,
// each object's outcome as the enforce function logged it, and on-call's summary.
import { isIgnoredNoticeLine, isObjectLine } from '../../tooling/enforce-log.mjs';
import { renderTable } from '../../tooling/text-table.mjs';
import { KEYS } from './sample-estate.mjs';

/** @import { Message } from '@aws-sdk/client-sqs' */
/** @import { ObjectLogLine } from '../../tooling/enforce-log.mjs' */
/** @import { KeyArns, SampleObject } from './sample-estate.mjs' */
/** @import { ObjectState } from './object-checks.mjs' */
/** @import { NotificationDocument } from '../../shared/audit/audit-notifications.js' */
/** @import { ObjectAlert } from '../../functions/enforce-object-encryption/object-alerts.js' */

export const say = (line = '') => process.stdout.write(`${line}\n`);

/**
 * @param {readonly string[]} headers
 * @param {readonly (readonly string[])[]} rows
 */
export const table = (headers, rows) => renderTable(headers, rows, { headerRule: true });

/**
 * @param {string | undefined} arn
 * @param {KeyArns} keys
 */
const keyName = (arn, keys) => {
  if (arn === undefined) return 'aws/s3';
  const entry = Object.entries(keys).find(([, keyArn]) => keyArn === arn);
  if (!entry) return arn;
  const [name] = entry;
  return name === 'required' ? 'required key' : KEYS[/** @type {keyof typeof KEYS} */ (name)].alias.replace('alias/', '');
};

/**
 * @param {ObjectState} state
 * @param {KeyArns} keys
 * @returns {string}
 */
export const encryptionText = (state, keys) => {
  switch (state.algorithm) {
    case undefined:
      return 'none';
    case 'AES256':
      return 'SSE-S3';
    case 'aws:kms':
      return `SSE-KMS ${keyName(state.keyArn, keys)}`;
    case 'aws:kms:dsse':
      return `DSSE-KMS ${keyName(state.keyArn, keys)}`;
    default:
      return state.algorithm;
  }
};

/**
 * The function's own account of an object, from its log lines: the write if there was one, else the last word.
 * @param {SampleObject} object
 * @param {Record<string, unknown>[]} logs
 */
export const outcomeText = (object, logs) => {
  const lines = logs.filter(isObjectLine).filter((log) => log.bucket === object.bucket && log.key === object.key);
  if (lines.length === 0) return 'no outcome logged for this key';
  const remediated = lines.find((log) => log.outcome === 'remediated');
  const retries = lines.filter((log) => log.outcome === 'failed').length;
  const last = /** @type {ObjectLogLine} */ (remediated ?? lines.at(-1));
  const text =
    last.outcome === 'remediated'
      ? `remediated (${last.strategy})`
      : last.outcome === 'skipped'
        ? `skipped (${last.reason})`
        : last.outcome === 'failed'
          ? `failed (${last.error?.code ?? 'error'})`
          : 'compliant, no write';
  return retries > 0 && last.outcome !== 'failed' ? `${text} after ${retries} failure(s)` : text;
};

/**
 * Notices by S3 event name, from the function's log lines.
 * @param {Record<string, unknown>[]} logs
 */
export const eventsHandled = (logs) => {
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const log of logs) {
    const name = isObjectLine(log) ? log.eventName : isIgnoredNoticeLine(log) ? 's3:TestEvent and other non-object notices' : undefined;
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts.size === 0 ? 'none' : [...counts.entries()].map(([name, count]) => `${count} ${name}`).join(', ');
};

/** @typedef {{ kind: 'object-alerts', alerts: readonly ObjectAlert[] }} ObjectAlertsDocument */

/** @param {Message[]} messages */
export const printOnCall = (messages) => {
  /** @type {{ subject: string | undefined, document: NotificationDocument }[]} */
  const audit = [];
  /** @type {{ subject: string | undefined, document: ObjectAlertsDocument }[]} */
  const alerts = [];
  for (const message of messages) {
    const envelope = JSON.parse(message.Body ?? '{}');
    const document = JSON.parse(envelope.Message);
    if (document.kind === 'object-alerts') alerts.push({ subject: envelope.Subject, document });
    else audit.push({ subject: envelope.Subject, document });
  }
  say('On-call summary, as the findings topic delivered it to a subscribed SQS queue');
  if (audit.length === 0) say('  (no audit summary arrived)');
  for (const { subject, document } of audit) {
    const { summary, findings } = document;
    say(`  Subject: ${subject}`);
    say(`  ${summary.changes.new} new, ${summary.changes.changed} changed, ${summary.changes.resolved} resolved; ${summary.failing} failing in all; page on-call: ${summary.page ? 'yes' : 'no'}`);
    say(`  Report: ${summary.report?.uri ?? `not written${summary.reportError ? ` (${summary.reportError})` : ''}`}`);
    if (summary.report?.html) say(`  HTML report (beside it, .html; OCSF events in .ocsf.jsonl): ${summary.report.html}`);
    for (const finding of findings) say(`  - [${finding.severity}] ${finding.change.toUpperCase()} ${finding.check} ${finding.resource}: ${finding.observed}`);
  }
  for (const { subject, document } of alerts) {
    say('');
    say(`  Subject: ${subject} (from the enforce function)`);
    for (const alert of document.alerts) say(`  - [${alert.severity}] ${alert.reason} s3://${alert.bucket}/${alert.key}: ${alert.detail}`);
  }
};
