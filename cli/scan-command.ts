import { parseArgs } from 'node:util';
import { describeEncryption } from '../shared/core/encryption-state.js';
import { failureOf } from '../shared/core/object-outcome.js';
import { mapBounded } from '../shared/core/run-bounded.js';
import { assessObject, needsWork, OBJECT_CLASSES, type ObjectAssessment, type ObjectClass } from './assess-object.js';
import { commandEnvironment, connectionOverrides } from './cli-environment.js';
import type { CliIo } from './cli-io.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, parseCommandLine, parseConcurrency, singlePositional } from './cli-options.js';
import { objectServices } from './cli-services.js';
import type { Command } from './command.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { actionLabel } from './object-labels.js';
import { ProgressBar } from './progress-bar.js';
import { readAhead } from './read-ahead.js';
import { parseS3Uri } from './s3-uri.js';
import { formatBytes, formatCount, renderTable } from './text-table.js';

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  mode: { type: 'string' },
  concurrency: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const HELP = `Usage: enforcer scan s3://BUCKET[/PREFIX] [options]

Lists the existing objects under BUCKET/PREFIX that are not encrypted as POLICY requires, and
counts every object by encryption class. Reads only: ListObjectsV2, then one HeadObject per object
(the enforce function's own classification and decision), never a write.

Options:
  --concurrency N         HeadObject calls at once, 1-64 (OBJECT_CONCURRENCY, default 8)
  --mode enforce|report   ENFORCEMENT_MODE: the action shown for each object follows it
  --json                  one JSON object per line: each non-compliant object, then a summary
${CONNECTION_HELP}

A progress bar is drawn on stderr when stderr is a terminal.

Exit codes: 0 every object is compliant (or exempt), 1 non-compliant objects found,
2 usage or configuration error, 3 an AWS call failed (the listing, or objects that could not be
inspected), 130 interrupted.`;

type ScanClass = ObjectClass | 'error';

const CLASS_WIDTH = 22;
const ACTION_WIDTH = 28;

export const scanCommand: Command = {
  name: 'scan',
  summary: 'list objects not encrypted as POLICY requires, with counts by class',
  help: HELP,
  async run(argv: readonly string[], io: CliIo): Promise<ExitCode> {
    const { values, positionals } = parseCommandLine('scan', () => parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true }));
    if (values.help) {
      io.stdout.write(`${HELP}\n`);
      return EXIT.compliant;
    }
    const { bucket, path: prefix } = parseS3Uri(singlePositional('scan', positionals, 's3://BUCKET[/PREFIX]'), 'scan');
    const concurrency = parseConcurrency(values.concurrency, 'scan');
    const env = commandEnvironment(io.env, {
      ...connectionOverrides(values, 'scan', io.cwd),
      ...(concurrency ? { OBJECT_CONCURRENCY: concurrency } : {}),
    });
    const progress = new ProgressBar(io.stderr, `scanning s3://${bucket}/${prefix}`);
    const warn = (line: string): void => progress.around(() => io.stderr.write(`enforcer scan: ${line}\n`));
    const services = await objectServices(env, warn);

    const counts = new Map<ScanClass, number>();
    let listed = 0;
    let done = 0;
    let nonCompliant = 0;
    let errors = 0;
    let headerWritten = false;
    let interrupted = false;
    const stopListening = io.onInterrupt(() => {
      interrupted = true;
    });
    const emit = (line: string): void => progress.around(() => io.stdout.write(`${line}\n`));
    const report = (item: { key: string; sizeBytes?: number | undefined }, assessment: ObjectAssessment | undefined, error: unknown): void => {
      if (values.json) {
        const base = { type: 'object', bucket, key: item.key, sizeBytes: item.sizeBytes };
        if (!assessment) {
          const { code, message } = failureOf(error);
          return emit(JSON.stringify({ ...base, class: 'error', error: { code, message } }));
        }
        const found = assessment.classification?.kind === 'stored' ? describeEncryption(assessment.classification.encryption) : undefined;
        return emit(JSON.stringify({ ...base, class: assessment.objectClass, encryption: found, action: assessment.action }));
      }
      if (!headerWritten) {
        headerWritten = true;
        emit(`${'CLASS'.padEnd(CLASS_WIDTH)} ${'ACTION'.padEnd(ACTION_WIDTH)} ${'SIZE'.padStart(10)}  KEY`);
      }
      const what = assessment ? actionLabel(assessment.action) : `error (${failureOf(error).code})`;
      emit(`${(assessment?.objectClass ?? 'error').padEnd(CLASS_WIDTH)} ${what.padEnd(ACTION_WIDTH)} ${formatBytes(item.sizeBytes).padStart(10)}  ${item.key}`);
    };
    const draw = (listingComplete = false): void =>
      progress.update({ done, listed, listingComplete, detail: `${formatCount(nonCompliant)} non-compliant${errors ? `, ${errors} errors` : ''}` }, listingComplete);

    try {
      for await (const page of readAhead(services.lister.pages(bucket, prefix))) {
        listed += page.length;
        draw();
        await mapBounded(page, services.config.objectConcurrency, async (item) => {
          if (interrupted) return;
          let assessment: ObjectAssessment | undefined;
          let failure: unknown;
          try {
            assessment = await assessObject(bucket, item.key, services.enforcement);
          } catch (error) {
            failure = error;
          }
          const objectClass: ScanClass = assessment?.objectClass ?? 'error';
          counts.set(objectClass, (counts.get(objectClass) ?? 0) + 1);
          if (!assessment) errors += 1;
          else if (needsWork(assessment)) nonCompliant += 1;
          if (!assessment || needsWork(assessment)) report(item, assessment, failure);
          done += 1;
          draw();
        });
        if (interrupted) break;
      }
      draw(true);
    } finally {
      stopListening();
      progress.finish();
      services.close();
    }

    const byClass = Object.fromEntries([...OBJECT_CLASSES, 'error' as const].flatMap((name) => (counts.get(name) ? [[name, counts.get(name)]] : [])));
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ type: 'summary', bucket, prefix, objects: done, nonCompliant, errors, byClass, interrupted })}\n`);
    } else {
      if (headerWritten) io.stdout.write('\n');
      io.stdout.write(
        `s3://${bucket}/${prefix}: ${formatCount(done)} object(s) scanned, ${formatCount(nonCompliant)} not compliant${errors ? `, ${formatCount(errors)} could not be inspected` : ''}${interrupted ? ' (interrupted: the scan is incomplete)' : ''}\n`,
      );
      if (done > 0) {
        io.stdout.write(`\n${renderTable(['CLASS', 'OBJECTS'], Object.entries(byClass).map(([name, count]) => [name, formatCount(count as number)]), { alignRight: [1] })}\n`);
      }
    }
    if (interrupted) return EXIT.interrupted;
    if (nonCompliant > 0) return EXIT.findings;
    return errors > 0 ? EXIT.failure : EXIT.compliant;
  },
};
