import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeEncryption } from '../shared/core/encryption-state.js';
import { failureOf, type ObjectOutcome } from '../shared/core/object-outcome.js';
import { enforceObject } from '../functions/enforce-object-encryption/enforce-object.js';
import { assessObject, needsWork, type ObjectAssessment } from './assess-object.js';
import { backfill, startOf, type BackfillResult } from './backfill.js';
import { UsageError } from './cli-errors.js';
import { commandEnvironment, connectionOverrides } from './cli-environment.js';
import type { CliIo } from './cli-io.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, parseCommandLine, parseConcurrency, singlePositional } from './cli-options.js';
import { objectServices } from './cli-services.js';
import type { Command } from './command.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { actionLabel, encryptionAfter, encryptionBefore, encryptionLabel, leftNonCompliant, outcomeLabel } from './object-labels.js';
import { ProgressBar } from './progress-bar.js';
import { checkpointMismatch, defaultCheckpointPath, readCheckpoint, removeCheckpoint, writeCheckpoint } from './remediation-checkpoint.js';
import type { ListedKey } from './s3-object-lister.js';
import { parseS3Uri } from './s3-uri.js';
import { formatCount, renderTable } from './text-table.js';

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  mode: { type: 'string' },
  concurrency: { type: 'string' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  checkpoint: { type: 'string' },
  'resume-from': { type: 'string' },
  restart: { type: 'boolean' },
} as const;

const HELP = `Usage: enforcer remediate s3://BUCKET[/PREFIX] [options]

Backfill: brings every existing object under BUCKET/PREFIX under the required key, with the
enforce function's own use case (HeadObject, decide, at most one write; compliant objects get no
write). Objects are listed with ListObjectsV2 and handled --concurrency at a time.

Options:
  --dry-run               decide and print what would be done; write nothing (no checkpoint either)
  --concurrency N         objects at once, 1-64 (OBJECT_CONCURRENCY, default 8)
  --mode enforce|report   ENFORCEMENT_MODE: report decides and reports, never writes
  --json                  one JSON object per line: each object, then a summary
  --checkpoint FILE       the checkpoint file (default .enforcer-checkpoint-BUCKET.json here)
  --restart               ignore the checkpoint and start from the first key
  --resume-from KEY       start at KEY (inclusive, in listing order) instead of the checkpoint
${CONNECTION_HELP}

Resuming: the checkpoint records the last key fully processed in listing order (and the keys
after it that finished early). Run the same command again after an interruption and it continues
from there without redoing finished objects; a run that reaches the end removes the checkpoint.
Ctrl-C (SIGINT) or SIGTERM: objects in flight finish, the checkpoint is saved, exit 130. A second
Ctrl-C stops at once; the checkpoint is then at most a second old, and the few objects done after
it are only inspected again (a compliant object gets one HeadObject, no write).

Alerts are printed, not published to SNS.

Exit codes: 0 every object is compliant now (or exempt), 1 objects left non-compliant (could not
or may not be remediated, failed; with --dry-run: objects that need work), 2 usage or configuration
error, 3 the listing failed, 130 interrupted (resumable).`;

interface Tally {
  readonly byOutcome: Map<string, number>;
  leftNonCompliant: number;
}

const outcomeRecord = (bucket: string, key: string, outcome: ObjectOutcome): Record<string, unknown> => {
  const before = encryptionBefore(outcome);
  const after = encryptionAfter(outcome);
  return {
    type: 'object',
    bucket,
    key,
    outcome: outcome.kind,
    ...(outcome.kind === 'remediated' ? { method: outcome.strategy, newVersionId: outcome.newVersionId, priorVersion: outcome.priorVersion } : {}),
    ...(outcome.kind === 'skipped' ? { reason: outcome.reason, detail: outcome.detail, alert: outcome.alert } : {}),
    ...(outcome.kind === 'failed' ? { error: outcome.error } : {}),
    before: before ? describeEncryption(before) : undefined,
    after: after ? describeEncryption(after) : undefined,
  };
};

const LABEL_WIDTH = 34;

export const remediateCommand: Command = {
  name: 'remediate',
  summary: 're-encrypt existing objects (backfill): --dry-run, --concurrency, resumable',
  help: HELP,
  async run(argv: readonly string[], io: CliIo): Promise<ExitCode> {
    const { values, positionals } = parseCommandLine('remediate', () => parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true }));
    if (values.help) {
      io.stdout.write(`${HELP}\n`);
      return EXIT.compliant;
    }
    const { bucket, path: prefix } = parseS3Uri(singlePositional('remediate', positionals, 's3://BUCKET[/PREFIX]'), 'remediate');
    const resumeFrom = values['resume-from'];
    if (resumeFrom !== undefined && !resumeFrom.startsWith(prefix)) {
      throw new UsageError(`--resume-from "${resumeFrom}" is not under the prefix "${prefix}"`, 'remediate');
    }
    const dryRun = values['dry-run'] === true;
    const concurrency = parseConcurrency(values.concurrency, 'remediate');
    const checkpointPath = values.checkpoint !== undefined ? resolve(io.cwd, values.checkpoint) : defaultCheckpointPath(io.cwd, bucket);
    const existing = values.restart || resumeFrom !== undefined ? undefined : readCheckpoint(checkpointPath);
    const mismatch = existing && checkpointMismatch(existing, bucket, prefix);
    if (mismatch) throw new UsageError(`${checkpointPath}: ${mismatch}`, 'remediate');

    const env = commandEnvironment(io.env, {
      ...connectionOverrides(values, 'remediate', io.cwd),
      ...(concurrency ? { OBJECT_CONCURRENCY: concurrency } : {}),
    });
    const progress = new ProgressBar(io.stderr, `${dryRun ? 'planning' : 'remediating'} s3://${bucket}/${prefix}`);
    const note = (line: string): void => progress.around(() => io.stderr.write(`enforcer remediate: ${line}\n`));
    const services = await objectServices(env, note);
    const required = services.requiredKeyArn;

    if (existing) {
      note(
        `resuming from ${checkpointPath}: ${formatCount(existing.processed)} object(s) done${existing.lastKey !== undefined ? `, continuing after "${existing.lastKey}"` : ''}`,
      );
    }
    if (values.restart && !dryRun) removeCheckpoint(checkpointPath);

    const tally: Tally = { byOutcome: new Map(), leftNonCompliant: 0 };
    let listed = 0;
    let done = 0;
    let stopping = false;
    const stopListening = io.onInterrupt((signal) => {
      stopping = true;
      note(`${signal}: finishing the objects in flight${dryRun ? '' : ', then saving the checkpoint'} (again to stop at once)`);
      stopListening();
    });
    const emit = (line: string): void => progress.around(() => io.stdout.write(`${line}\n`));
    const count = (label: string, bad: boolean): void => {
      tally.byOutcome.set(label, (tally.byOutcome.get(label) ?? 0) + 1);
      if (bad) tally.leftNonCompliant += 1;
      done += 1;
      progress.update({ done, listed, listingComplete: false, detail: `${formatCount(tally.leftNonCompliant)} ${dryRun ? 'need work' : 'left non-compliant'}` });
    };

    const plan = async ({ key }: ListedKey): Promise<void> => {
      let assessment: ObjectAssessment;
      try {
        assessment = await assessObject(bucket, key, services.enforcement);
      } catch (error) {
        const failure = failureOf(error);
        emit(values.json ? JSON.stringify({ type: 'object', bucket, key, planned: 'error', error: failure }) : `${`error (${failure.code})`.padEnd(LABEL_WIDTH)} ${key}  ${failure.message}`);
        return count(`error (${failure.code})`, true);
      }
      const found = assessment.classification?.kind === 'stored' ? assessment.classification.encryption : undefined;
      const label = assessment.action.kind === 'remediate' ? `would ${assessment.action.method}` : actionLabel(assessment.action);
      emit(
        values.json
          ? JSON.stringify({ type: 'object', bucket, key, planned: assessment.action, class: assessment.objectClass, encryption: found ? describeEncryption(found) : undefined })
          : `${label.padEnd(LABEL_WIDTH)} ${key}  [${encryptionLabel(found, required)}]`,
      );
      count(label, needsWork(assessment));
    };

    const remediate = async ({ key }: ListedKey): Promise<void> => {
      let outcome: ObjectOutcome;
      try {
        outcome = await enforceObject({ bucket, key, eventName: 'enforcer-cli:remediate' }, services.enforcement);
      } catch (error) {
        outcome = { kind: 'failed', error: failureOf(error) };
      }
      const label = outcomeLabel(outcome);
      if (values.json) {
        emit(JSON.stringify(outcomeRecord(bucket, key, outcome)));
      } else {
        const before = encryptionLabel(encryptionBefore(outcome), required);
        const after = encryptionLabel(encryptionAfter(outcome), required);
        const change = outcome.kind === 'remediated' ? `${before} → ${after}` : before;
        const why = outcome.kind === 'skipped' ? `: ${outcome.detail}` : outcome.kind === 'failed' ? `: ${outcome.error.message}` : '';
        const kept = outcome.kind === 'remediated' && outcome.priorVersion ? `; version ${outcome.priorVersion.versionId} ${outcome.priorVersion.disposition}` : '';
        emit(`${label.padEnd(LABEL_WIDTH)} ${key}  [${change}${kept}]${why}`);
      }
      count(label, leftNonCompliant(outcome));
    };

    let result: BackfillResult;
    try {
      result = await backfill({
        bucket,
        prefix,
        concurrency: services.config.objectConcurrency,
        start: startOf(existing, resumeFrom, io.now()),
        listPages: (startAfter) => services.lister.pages(bucket, prefix, startAfter),
        process: dryRun ? plan : remediate,
        save: dryRun ? undefined : (checkpoint) => writeCheckpoint(checkpointPath, checkpoint),
        stopping: () => stopping,
        now: io.now,
        onListed: (added) => {
          listed += added;
        },
      });
    } finally {
      stopListening();
      progress.finish();
      services.close();
    }
    if (result.completed && !dryRun) removeCheckpoint(checkpointPath);

    const byOutcome = Object.fromEntries([...tally.byOutcome.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    if (values.json) {
      io.stdout.write(
        `${JSON.stringify({
          type: 'summary',
          bucket,
          prefix,
          dryRun,
          processed: result.processed,
          alreadyDone: result.alreadyDone,
          byOutcome,
          leftNonCompliant: tally.leftNonCompliant,
          completed: result.completed,
          checkpoint: dryRun || result.completed ? null : checkpointPath,
        })}\n`,
      );
    } else {
      const what = dryRun ? 'need work' : 'left non-compliant';
      const skipped = result.alreadyDone > 0 ? `, ${formatCount(result.alreadyDone)} already done by an earlier run` : '';
      io.stdout.write(`\ns3://${bucket}/${prefix}: ${formatCount(result.processed)} object(s) ${dryRun ? 'planned' : 'processed'}${skipped}, ${formatCount(tally.leftNonCompliant)} ${what}\n`);
      if (result.processed > 0) {
        io.stdout.write(`\n${renderTable([dryRun ? 'PLAN' : 'OUTCOME', 'OBJECTS'], Object.entries(byOutcome).map(([label, n]) => [label, formatCount(n)]), { alignRight: [1] })}\n`);
      }
      if (!result.completed) {
        io.stdout.write(
          dryRun
            ? '\nInterrupted: the dry run is incomplete.\n'
            : `\nInterrupted: run the same command again to resume (checkpoint ${checkpointPath}${result.checkpoint.lastKey !== undefined ? `, after "${result.checkpoint.lastKey}"` : ''}).\n`,
        );
      }
    }
    if (!result.completed) return EXIT.interrupted;
    return tally.leftNonCompliant > 0 ? EXIT.findings : EXIT.compliant;
  },
};
