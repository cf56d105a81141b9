import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The deployment tests read the template that `osls package` generates, not serverless.yml: what
 * CloudFormation receives is what has to be right. Each test file packages its own copy with
 * infra/package-template.mjs --out (offline, into a temporary directory, in parallel with the
 * others and without touching the project's .serverless/). The bundles must exist: the test
 * command runs `npm run build` first.
 */
export const PROJECT_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const PACKAGE_SCRIPT = join(PROJECT_ROOT, 'infra', 'package-template.mjs');

export interface Resource {
  readonly Type: string;
  readonly Condition?: string;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly DependsOn?: string | readonly string[];
  readonly Properties: Readonly<Record<string, unknown>>;
}

export interface Template {
  readonly Parameters: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly Conditions: Readonly<Record<string, unknown>>;
  readonly Resources: Readonly<Record<string, Resource>>;
  readonly Outputs: Readonly<Record<string, unknown>>;
}

export interface PackagedService {
  readonly template: Template;
  /** Where the function zips are. */
  readonly artifactsDir: string;
  readonly dispose: () => void;
}

export interface PackageFailure {
  readonly status: number;
  readonly output: string;
}

export interface PackageOptions {
  /** Stage parameters given with --param, over those of serverless.yml. */
  readonly params?: Readonly<Record<string, string>>;
  /** "test" (the stage serverless.yml configures for these checks) unless given. */
  readonly stage?: string;
}

const packagingArgs = (out: string, { params = {}, stage = 'test' }: PackageOptions): string[] => [
  PACKAGE_SCRIPT,
  '--out',
  out,
  '--stage',
  stage,
  ...Object.entries(params).flatMap(([name, value]) => ['--param', `${name}=${value}`]),
];

const runPackaging = (out: string, options: PackageOptions): void => {
  execFileSync(process.execPath, packagingArgs(out, options), { cwd: PROJECT_ROOT, stdio: 'pipe', encoding: 'utf8' });
};

export const packageService = (options: PackageOptions = {}): PackagedService => {
  const out = mkdtempSync(join(tmpdir(), 'enforcer-package-'));
  try {
    runPackaging(out, options);
  } catch (error) {
    rmSync(out, { recursive: true, force: true });
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`packaging failed (did \`npm run build\` run first?):\n${stdout}${stderr}`, { cause: error });
  }
  const artifactsDir = join(out, 'artifacts');
  const template = JSON.parse(readFileSync(join(artifactsDir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  return { template, artifactsDir, dispose: () => rmSync(out, { recursive: true, force: true }) };
};

/**
 * Packages settings that must be refused; answers the exit status and what osls said. Asynchronous,
 * so that a test file can try several at once.
 */
export const packageFailure = (options: PackageOptions): Promise<PackageFailure> => {
  const out = mkdtempSync(join(tmpdir(), 'enforcer-package-'));
  return new Promise<PackageFailure>((resolve, reject) => {
    execFile(process.execPath, packagingArgs(out, options), { cwd: PROJECT_ROOT, encoding: 'utf8' }, (error, stdout, stderr) => {
      rmSync(out, { recursive: true, force: true });
      if (!error) reject(new Error(`packaging with ${JSON.stringify(options)} succeeded; it should have been refused`));
      else if (typeof error.code !== 'number') reject(error);
      else resolve({ status: error.code, output: `${stdout}${stderr}` });
    });
  });
};

export const resource = (template: Template, logicalId: string): Resource => {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`the template has no resource ${logicalId} (it has ${Object.keys(template.Resources).join(', ')})`);
  return found;
};

export const resourcesOfType = (template: Template, type: string): [string, Resource][] =>
  Object.entries(template.Resources).filter(([, candidate]) => candidate.Type === type);

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: unknown;
  readonly Action: string | readonly string[];
  readonly Resource: unknown;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

interface PolicyDocument {
  readonly Statement: readonly PolicyStatement[];
}

export const actionsOf = (statement: PolicyStatement): readonly string[] =>
  typeof statement.Action === 'string' ? [statement.Action] : statement.Action;

/** One grant to a role: the statements of one inline policy, and the condition it exists under. */
export interface RoleGrant {
  readonly policyName: string;
  readonly condition?: string;
  readonly statements: readonly PolicyStatement[];
}

/** Every policy attached to a role: its inline Policies and the AWS::IAM::RolePolicy resources naming it. */
export const grantsOfRole = (template: Template, roleLogicalId: string): RoleGrant[] => {
  const role = resource(template, roleLogicalId);
  const inline = (role.Properties['Policies'] as { PolicyName: string; PolicyDocument: PolicyDocument }[] | undefined) ?? [];
  const attached = resourcesOfType(template, 'AWS::IAM::RolePolicy').filter(([, policy]) => {
    const roleName = policy.Properties['RoleName'] as { Ref?: string };
    return roleName.Ref === roleLogicalId;
  });
  return [
    ...inline.map((policy) => ({ policyName: policy.PolicyName, statements: policy.PolicyDocument.Statement })),
    ...attached.map(([, policy]) => ({
      policyName: policy.Properties['PolicyName'] as string,
      ...(policy.Condition ? { condition: policy.Condition } : {}),
      statements: (policy.Properties['PolicyDocument'] as PolicyDocument).Statement,
    })),
  ];
};

export const statementsOf = (resourceWithPolicy: Resource, property: 'PolicyDocument' | 'KeyPolicy' = 'PolicyDocument'): readonly PolicyStatement[] =>
  (resourceWithPolicy.Properties[property] as PolicyDocument).Statement;

/** File names in a zip archive, read from its central directory. */
export const zipEntries = (zipPath: string): string[] => {
  const zip = readFileSync(zipPath);
  const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
  const CENTRAL_DIRECTORY_ENTRY = 0x02014b50;
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== END_OF_CENTRAL_DIRECTORY) end -= 1;
  if (end < 0) throw new Error(`${zipPath} is not a zip archive`);
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let index = 0; index < count; index += 1) {
    if (zip.readUInt32LE(offset) !== CENTRAL_DIRECTORY_ENTRY) throw new Error(`${zipPath}: damaged central directory`);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    names.push(zip.toString('utf8', offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return names;
};
