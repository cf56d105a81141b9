// What the run prints: tables sized for terminals (CJK characters take two columns), encryption in
// words, each object's outcome as the enforce function logged it, and on-call's summary.
import { KEYS } from './sample-estate.mjs';

export const say = (line = '') => process.stdout.write(`${line}\n`);

const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff\uff00-\uff60\uffe0-\uffe6]/u;
const width = (text) => [...text].reduce((sum, character) => sum + (WIDE.test(character) ? 2 : 1), 0);

export const table = (headers, rows) => {
  const widths = headers.map((header, column) => Math.max(width(header), ...rows.map((row) => width(row[column]))));
  const line = (cells) => cells.map((cell, column) => cell + ' '.repeat(widths[column] - width(cell))).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
};

const keyName = (arn, keys) => {
  if (arn === undefined) return 'aws/s3';
  const entry = Object.entries(keys).find(([, keyArn]) => keyArn === arn);
  return entry ? (entry[0] === 'required' ? 'required key' : KEYS[entry[0]].alias.replace('alias/', '')) : arn;
};

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

/** The function's own account of an object, from its log lines: the write if there was one, else the last word. */
export const outcomeText = (object, logs) => {
  const lines = logs.filter((log) => log.bucket === object.bucket && log.key === object.key && log.outcome);
  if (lines.length === 0) return 'no outcome logged for this key';
  const remediated = lines.find((log) => log.outcome === 'remediated');
  const retries = lines.filter((log) => log.outcome === 'failed').length;
  const last = remediated ?? lines.at(-1);
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

/** Notices by S3 event name, from the function's log lines. */
export const eventsHandled = (logs) => {
  const counts = new Map();
  for (const log of logs) {
    const name = log.outcome ? log.eventName : log.message === 'notice acknowledged without work' ? 's3:TestEvent and other non-object notices' : undefined;
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts.size === 0 ? 'none' : [...counts.entries()].map(([name, count]) => `${count} ${name}`).join(', ');
};

export const printOnCall = (messages) => {
  const audit = [];
  const alerts = [];
  for (const message of messages) {
    const envelope = JSON.parse(message.Body);
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
    for (const finding of findings) say(`  - [${finding.severity}] ${finding.change.toUpperCase()} ${finding.check} ${finding.resource}: ${finding.observed}`);
  }
  for (const { subject, document } of alerts) {
    say('');
    say(`  Subject: ${subject} (from the enforce function)`);
    for (const alert of document.alerts) say(`  - [${alert.severity}] ${alert.reason} s3://${alert.bucket}/${alert.key}: ${alert.detail}`);
  }
};
