import { parseArgs } from 'node:util';
import { updateBlocker } from '../shared/core/decide-object-action.js';
import { describeEncryption } from '../shared/core/encryption-state.js';
import type { EnforcerSettings } from '../shared/config/enforcer-config.js';
import type { UpdateCapability } from '../functions/enforce-object-encryption/update-capability.js';
import { assessObject, needsWork, type ObjectAssessment } from './assess-object.js';
import { UsageError } from './cli-errors.js';
import { commandEnvironment, connectionOverrides } from './cli-environment.js';
import type { CliIo } from './cli-io.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, parseCommandLine, singlePositional } from './cli-options.js';
import { objectServices } from './cli-services.js';
import type { Command } from './command.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { parseS3Uri } from './s3-uri.js';
import { formatBytes } from './text-table.js';

const OPTIONS = {
  ...CONNECTION_OPTIONS,
  mode: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const HELP = `Usage: enforcer explain s3://BUCKET/KEY [options]

Shows what the enforcer decides for the current version of one object, and why: what HeadObject
reports, its encryption class, what POLICY requires of it, the action and the remediation method.
Reads only (one DescribeKey per key POLICY names, one HeadObject); the key is taken literally.

Options:
  --mode enforce|report   ENFORCEMENT_MODE: explain the decision under this mode
  --json                  the same as one JSON document
${CONNECTION_HELP}

Exit codes: 0 compliant or exempt, 1 not compliant (the enforcer would write, or alert),
2 usage or configuration error, 3 the object does not exist or an AWS call failed.`;

export interface Explanation {
  readonly object: string;
  readonly versionId?: string | undefined;
  readonly found?:
    | { readonly encryption: string; readonly sizeBytes: number | undefined; readonly storageClass: string; readonly tagCount: number }
    | undefined;
  readonly class: string;
  readonly requirement: string;
  readonly decision: string;
  readonly why: readonly string[];
  readonly mode: string;
  readonly strategy: string;
}

interface ExplainContext {
  readonly config: EnforcerSettings;
  readonly requiredKeyArn: string;
  readonly update: Pick<UpdateCapability, 'available' | 'reason'>;
}

const requirementText = (assessment: ObjectAssessment, context: ExplainContext): string => {
  const { requirement } = assessment;
  if (requirement.kind === 'exempt') return `nothing: exempt by POLICY.exemptions (bucket ${requirement.rule.bucket}, prefix "${requirement.rule.prefix}")`;
  const source = requirement.keyArn === context.requiredKeyArn ? `REQUIRED_KMS_KEY ${context.config.policy.requiredKey}` : 'a POLICY.overrides rule for this bucket or prefix';
  return `SSE-KMS under ${requirement.keyArn}, bucket key ${requirement.bucketKey ? 'on' : 'off'}${requirement.acceptDsseKms ? '; DSSE-KMS under it also accepted' : ''} (${source})`;
};

const decisionText = (assessment: ObjectAssessment): string => {
  const { action } = assessment;
  switch (action.kind) {
    case 'compliant':
      return 'compliant: no write';
    case 'skip':
      return `skip (${action.reason})`;
    case 'alert':
      return `alert (${action.reason}): not remediated, reported`;
    case 'remediate':
      return `remediate by ${action.method} to ${action.target.algorithm} under ${action.target.keyArn}${action.target.algorithm === 'aws:kms' ? `, bucket key ${action.target.bucketKeyEnabled ? 'on' : 'off'}` : ''}`;
  }
};

const CLASS_REASONS: Readonly<Record<string, string>> = {
  unencrypted: 'the object has no server-side encryption',
  'sse-s3': 'SSE-S3 (AES256): S3 holds the key; no key policy or key audit trail applies',
  'sse-c': 'SSE-C: encrypted with a key only the uploader holds',
};

/** Why the decision is what it is, in the order the enforcer weighs it. */
export const reasonsFor = (assessment: ObjectAssessment, context: ExplainContext): string[] => {
  const { action, classification } = assessment;
  if (action.kind === 'skip') return [action.detail];
  if (classification?.kind !== 'stored') return ['HeadObject found no current version'];
  const { encryption } = classification;
  const seen = describeEncryption(encryption);
  if (action.kind === 'compliant') {
    const dsse = encryption.kind === 'dsse-kms' ? ' (DSSE-KMS, accepted by POLICY.acceptDsseKms)' : '';
    return [`${seen} is under the required key${dsse}: the enforcer makes one HeadObject and no write`];
  }
  const notCompliant = CLASS_REASONS[encryption.kind] ?? `${seen} is not under the required key`;
  if (action.kind === 'alert') return [notCompliant, action.detail];

  const reasons = [notCompliant];
  if (action.target.algorithm === 'aws:kms:dsse') reasons.push('it stays DSSE-KMS under the new key: remediation never lowers protection');
  if (action.method === 'update-in-place') {
    reasons.push('UpdateObjectEncryption re-wraps the data key in place: no data moves; metadata, ETag, LastModified, tags and ACL stay');
    reasons.push('if S3 refuses it for this object, the object is copied instead');
    return reasons;
  }
  if (context.config.policy.strategy === 'copy') reasons.push('UpdateObjectEncryption is not used: POLICY.strategy is "copy"');
  else if (!context.update.available) reasons.push(`UpdateObjectEncryption is not used: ${context.update.reason ?? 'not available'}`);
  else reasons.push(updateBlocker(classification) ?? 'UpdateObjectEncryption cannot take this object');
  const size = formatBytes(classification.sizeBytes);
  const limit = formatBytes(context.config.copyLimitBytes);
  reasons.push(
    action.method === 'multipart-copy'
      ? `${size} is more than COPY_LIMIT_BYTES (${limit}): copied onto itself in parts (UploadPartCopy), every header carried`
      : `${size} fits one CopyObject (COPY_LIMIT_BYTES ${limit}): copied onto itself from this version, guarded by its ETag`,
  );
  reasons.push('the copy keeps bytes, metadata, tags and ACL; it gets a new LastModified (and a new version in a versioned bucket)');
  return reasons;
};

export const explain = (assessment: ObjectAssessment, context: ExplainContext): Explanation => {
  const object = `s3://${assessment.bucket}/${assessment.key}`;
  const inspection = assessment.inspection;
  const snapshot = inspection?.kind === 'found' ? inspection.object : undefined;
  const encryption = assessment.classification?.kind === 'stored' ? assessment.classification.encryption : undefined;
  return {
    object,
    ...(snapshot?.versionId && snapshot.versionId !== 'null' ? { versionId: snapshot.versionId } : {}),
    ...(encryption
      ? {
          found: {
            encryption: describeEncryption(encryption),
            sizeBytes: snapshot?.sizeBytes,
            storageClass: snapshot ? (snapshot.storageClass ?? 'STANDARD') : 'unknown',
            tagCount: snapshot?.tagCount ?? 0,
          },
        }
      : {}),
    class: assessment.objectClass,
    requirement: requirementText(assessment, context),
    decision: decisionText(assessment),
    why: reasonsFor(assessment, context),
    mode: context.config.mode,
    strategy: context.config.policy.strategy,
  };
};

const LABEL_WIDTH = 13;

export const renderExplanation = (explanation: Explanation): string => {
  const row = (label: string, text: string): string => `  ${label.padEnd(LABEL_WIDTH)} ${text}`;
  const found = explanation.found;
  const lines = [
    explanation.object,
    row('version', explanation.versionId ?? 'none (unversioned, or versioning suspended)'),
    row(
      'found',
      found
        ? `${found.encryption}, ${formatBytes(found.sizeBytes)}, ${found.storageClass}, ${found.tagCount} tag(s)`
        : explanation.class === 'exempt'
          ? 'not inspected (exempt objects cost no API call)'
          : 'no such object',
    ),
    row('class', explanation.class),
    row('requirement', explanation.requirement),
    row('decision', explanation.decision),
    ...explanation.why.map((reason, index) => row(index === 0 ? 'why' : '', `- ${reason}`)),
    row('mode', `${explanation.mode} (POLICY.strategy ${explanation.strategy})`),
  ];
  return lines.join('\n');
};

export const explainCommand: Command = {
  name: 'explain',
  summary: 'the decision for one object, and why',
  help: HELP,
  async run(argv: readonly string[], io: CliIo): Promise<ExitCode> {
    const { values, positionals } = parseCommandLine('explain', () => parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true }));
    if (values.help) {
      io.stdout.write(`${HELP}\n`);
      return EXIT.compliant;
    }
    const { bucket, path: key } = parseS3Uri(singlePositional('explain', positionals, 's3://BUCKET/KEY'), 'explain');
    if (key === '') throw new UsageError('name an object: s3://BUCKET/KEY', 'explain');
    const env = commandEnvironment(io.env, connectionOverrides(values, 'explain', io.cwd));
    const services = await objectServices(env, (line) => io.stderr.write(`enforcer explain: ${line}\n`));
    try {
      const assessment = await assessObject(bucket, key, services.enforcement);
      const explanation = explain(assessment, { config: services.config, requiredKeyArn: services.requiredKeyArn, update: services.enforcement.update });
      io.stdout.write(`${values.json ? JSON.stringify({ ...explanation, action: assessment.action }, null, 2) : renderExplanation(explanation)}\n`);
      if (assessment.objectClass === 'gone') {
        io.stderr.write(`enforcer explain: s3://${bucket}/${key} does not exist (HeadObject found no current version)\n`);
        return EXIT.failure;
      }
      return needsWork(assessment) ? EXIT.findings : EXIT.compliant;
    } finally {
      services.close();
    }
  },
};
