// Packages the service with osls, offline: no AWS credentials, no network. Writes the function
// zips and .serverless/cloudformation-template-update-stack.json, then organization mode's release
// (docs/ORGANIZATION.md): dist/cloudformation/organization-member.json and organization-central.json,
// and the function zips under dist/artifacts/s3-encryption-enforcer/<version>/.
//
//   node infra/package-template.mjs                        # the "test" stage, into .serverless/
//   node infra/package-template.mjs --stage prod --param="watchedBuckets=*"
//   node infra/package-template.mjs --out /tmp/x ...       # into /tmp/x/artifacts/, repo untouched
//
// Every other option is passed to `osls package`; --stage defaults to "test". The bundles must
// exist: run `npm run build` first. The member template is derived from a second, staged `osls
// package` of the same options with watchedBuckets=* (a StackSet watches every bucket of every
// account). --out packages the single-account stack only (what the deploy tests need).
//
// --out stages a copy of what osls reads (serverless.yml, infra/, the bundles with their chunks)
// under <dir>/service and packages that. osls always works in <service>/.serverless, even with
// --package, so runs in the project directory would delete each other's output; the tests package
// this way, in parallel.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { devNull, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageOrganization } from './organization/package-organization.mjs';
import { projectVersion } from './organization/release.mjs';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const OSLS = join(PROJECT_ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');
export const TEMPLATE_FILE = 'cloudformation-template-update-stack.json';

// Anything that could hand osls (or the SDK inside it) credentials, a profile or a metadata endpoint.
const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
];

export const offlineEnvironment = (env = process.env) => {
  const withoutCredentials = Object.fromEntries(Object.entries(env).filter(([name]) => !CREDENTIAL_VARIABLES.includes(name)));
  return {
    ...withoutCredentials,
    AWS_SHARED_CREDENTIALS_FILE: devNull,
    AWS_CONFIG_FILE: devNull,
    AWS_EC2_METADATA_DISABLED: 'true',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_DEPRECATION_NOTIFICATION_MODE: 'warn',
  };
};

/** The bundles serverless.yml ships: every `handler: dist/<name>/index.handler`. */
export const declaredBundles = () => {
  const config = readFileSync(join(PROJECT_ROOT, 'serverless.yml'), 'utf8');
  return [...config.matchAll(/^\s*handler:\s*(dist\/[\w.-]+)\/index\.handler\s*$/gm)].map((match) => `${match[1]}/index.mjs`);
};

/**
 * @param {string[]} args
 * @param {string} name
 */
const optionValue = (args, name) => {
  const index = args.findIndex((arg) => arg === name || arg.startsWith(`${name}=`));
  if (index === -1) return undefined;
  const arg = /** @type {string} */ (args[index]);
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[index + 1];
};

/**
 * Copies what osls reads into <out>/service; returns that directory.
 * @param {string} out
 * @param {string[]} bundles
 */
const stageService = (out, bundles) => {
  const service = join(out, 'service');
  mkdirSync(service, { recursive: true });
  cpSync(join(PROJECT_ROOT, 'serverless.yml'), join(service, 'serverless.yml'));
  cpSync(join(PROJECT_ROOT, 'infra'), join(service, 'infra'), { recursive: true });
  // Each bundle's whole folder: its entry and the chunks/ it loads.
  for (const bundle of bundles) cpSync(join(PROJECT_ROOT, dirname(bundle)), join(service, dirname(bundle)), { recursive: true });
  return service;
};

/**
 * Runs `osls package` in a service directory, offline; exits the same way when it fails.
 * @param {string} serviceDir
 * @param {string[]} args
 */
const runOsls = (serviceDir, args) => {
  const result = spawnSync(process.execPath, [OSLS, 'package', ...args], {
    cwd: serviceDir,
    env: offlineEnvironment(),
    stdio: 'inherit',
  });
  if (result.error) throw result.error;
  if (result.status !== 0) process.exit(result.status ?? 1);
};

/**
 * The arguments without an option (`--name value` or `--name=value`), or without the --param of one
 * stage parameter (`--param name=value`, `--param=name=value`).
 * @param {string[]} args
 * @param {(option: string, value: string) => boolean} drop
 */
const withoutOptions = (args, drop) => {
  /** @type {string[]} */
  const kept = [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = /** @type {string} */ (args[index]);
    const [option = '', inlineValue] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = inlineValue ?? args[index + 1] ?? '';
    if (arg.startsWith('--') && drop(option, value)) {
      if (inlineValue === undefined) index += 1;
      continue;
    }
    kept.push(arg);
  }
  return kept;
};

/**
 * Organization mode's release: the member template from a staged package of the same options with
 * watchedBuckets=*, the central template, and the function zips.
 * @param {string[]} args
 * @param {string[]} bundles
 */
const packageOrganizationRelease = (args, bundles) => {
  const work = mkdtempSync(join(tmpdir(), 'enforcer-organization-'));
  try {
    const memberArgs = withoutOptions(args, (option, value) => option === '--package' || (option === '--param' && value.startsWith('watchedBuckets=')));
    const artifacts = join(work, 'artifacts');
    runOsls(stageService(work, bundles), [...memberArgs, '--param', 'watchedBuckets=*', '--package', artifacts]);
    const packagedMemberSource = JSON.parse(readFileSync(join(artifacts, TEMPLATE_FILE), 'utf8'));
    const version = projectVersion();
    const { templates, written, missing } = packageOrganization({ projectRoot: PROJECT_ROOT, packagedMemberSource, version });
    for (const file of [...templates, ...written]) console.log(`organization: ${file}`);
    if (missing.length > 0) {
      // The templates do not need the bundles; an upload does (scripts/upload-artifacts.mjs refuses an incomplete release).
      console.warn(`ORGANIZATION ZIPS INCOMPLETE: no bundle for ${missing.join(', ')} in dist/: run \`npm run build\` once their functions exist`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
};

const main = () => {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf('--out');
  const out = outIndex === -1 ? undefined : resolve(args[outIndex + 1] ?? '');
  if (outIndex !== -1) {
    if (!args[outIndex + 1]) {
      console.error('--out needs a directory');
      process.exit(1);
    }
    args.splice(outIndex, 2);
  }
  if (optionValue(args, '--stage') === undefined && optionValue(args, '-s') === undefined) args.unshift('--stage', 'test');

  if (!existsSync(OSLS)) {
    console.error('osls is not installed: it is a devDependency, run `npm ci`');
    process.exit(1);
  }
  const bundles = declaredBundles();
  const missing = bundles.filter((bundle) => !existsSync(join(PROJECT_ROOT, bundle)));
  if (missing.length > 0) {
    console.error(`missing bundle(s) ${missing.join(', ')}: run \`npm run build\` before packaging`);
    process.exit(1);
  }
  const serviceDir = out ? stageService(out, bundles) : PROJECT_ROOT;
  const ownArgs = out ? [...args, '--package', join(out, 'artifacts')] : args;
  runOsls(serviceDir, ownArgs);

  const template = join(resolve(serviceDir, optionValue(ownArgs, '--package') ?? '.serverless'), TEMPLATE_FILE);
  if (!existsSync(template)) {
    console.error(`osls finished but wrote no ${template}`);
    process.exit(1);
  }
  console.log(`template: ${template}`);
  if (!out) packageOrganizationRelease(args, bundles);
};

if (import.meta.url === `file://${process.argv[1]}`) main();
