// Lints the packaged CloudFormation template with cfn-lint, the Python CloudFormation linter
// (`pip install cfn-lint`; the npm package of the same name is a different, outdated tool).
// Fails on any error; warnings and informational findings are printed, and fail only with --strict.
// When cfn-lint is absent, says so on one line and skips: the rest of the test command still runs.
//
//   node infra/lint-template.mjs [template.json] [--strict]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_TEMPLATE = join(PROJECT_ROOT, '.serverless', 'cloudformation-template-update-stack.json');

// cfn-lint's exit status is a bit mask: 2 errors, 4 warnings, 8 informational; 1 means it crashed.
const ERRORS = 2;
const WARNINGS = 4;

const main = () => {
  const args = process.argv.slice(2);
  const strict = args.includes('--strict');
  const template = args.find((arg) => !arg.startsWith('--')) ?? DEFAULT_TEMPLATE;

  const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0 || !/^cfn-lint \d+\./.test(version.stdout.trim())) {
    // A lint, not a test tier: skipped with one visible line wherever the linter is missing.
    console.warn('CLOUDFORMATION LINT SKIPPED: cfn-lint, the Python CloudFormation linter, is not installed. Install it with: pip install cfn-lint');
    return;
  }
  if (!existsSync(template)) {
    console.error(`no template at ${template}: run \`npm run package\` first`);
    process.exit(1);
  }

  const result = spawnSync('cfn-lint', ['--', template], { stdio: 'inherit' });
  if (result.error) throw result.error;
  const status = result.status ?? 1;
  const failed = status === 1 || (status & ERRORS) !== 0 || (strict && (status & WARNINGS) !== 0);
  console.log(`${version.stdout.trim()}: ${failed ? 'FAILED' : 'passed'} on ${template}${status & WARNINGS ? ' (with warnings)' : ''}`);
  if (failed) process.exit(1);
};

main();
