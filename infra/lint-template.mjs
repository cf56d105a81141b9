// Lints the packaged CloudFormation templates with cfn-lint, the Python CloudFormation linter
// (`pip install cfn-lint`; the npm package of the same name is a different, outdated tool).
// Without a template argument: the single-account template, which fails on any error (warnings and
// informational findings are printed, and fail only with --strict), and organization mode's two
// templates (dist/cloudformation/), which fail on any error or warning. With one: that template.
// When cfn-lint is absent, says so on one line and skips: the rest of the test command still runs.
//
//   node infra/lint-template.mjs [template.json] [--strict]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_TEMPLATE = join(PROJECT_ROOT, '.serverless', 'cloudformation-template-update-stack.json');
const ORGANIZATION_TEMPLATES = ['organization-member.json', 'organization-central.json'].map((file) => join(PROJECT_ROOT, 'dist', 'cloudformation', file));

// cfn-lint's exit status is a bit mask: 2 errors, 4 warnings, 8 informational; 1 means it crashed.
const ERRORS = 2;
const WARNINGS = 4;

/**
 * @param {string} template
 * @param {boolean} strict warnings fail too
 * @param {string} version cfn-lint's own version line
 * @returns {boolean} passed
 */
const lint = (template, strict, version) => {
  if (!existsSync(template)) {
    console.error(`no template at ${template}: run \`npm run package\` first`);
    return false;
  }
  const result = spawnSync('cfn-lint', ['--', template], { stdio: 'inherit' });
  if (result.error) throw result.error;
  const status = result.status ?? 1;
  const failed = status === 1 || (status & ERRORS) !== 0 || (strict && (status & WARNINGS) !== 0);
  console.log(`${version}: ${failed ? 'FAILED' : 'passed'} on ${template}${status & WARNINGS ? ' (with warnings)' : ''}`);
  return !failed;
};

const main = () => {
  const args = process.argv.slice(2);
  const strict = args.includes('--strict');
  const given = args.find((arg) => !arg.startsWith('--'));

  const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0 || !/^cfn-lint \d+\./.test(version.stdout.trim())) {
    // A lint, not a test tier: skipped with one visible line wherever the linter is missing.
    console.warn('CLOUDFORMATION LINT SKIPPED: cfn-lint, the Python CloudFormation linter, is not installed. Install it with: pip install cfn-lint');
    return;
  }
  const line = version.stdout.trim();
  const runs = given
    ? [lint(given, strict, line)]
    : [lint(DEFAULT_TEMPLATE, strict, line), ...ORGANIZATION_TEMPLATES.map((template) => lint(template, true, line))];
  if (runs.includes(false)) process.exit(1);
};

main();
