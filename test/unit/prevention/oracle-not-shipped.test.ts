import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The IAM evaluator the tests judge policies with (@cloud-copilot/iam-simulate, test/support/iam-oracle.ts)
 * is AGPL-3.0: it stays a devDependency that nothing shipped imports or bundles. Shipped code is the function
 * handlers, the shared core, the CLI and the deployment build (functions/, shared/, cli/, bin/, infra/) and
 * whatever the build wrote to dist/.
 */

const ROOT = process.cwd();
const ORACLE_PACKAGE = '@cloud-copilot';
const SHIPPED_SOURCES = ['functions', 'shared', 'cli', 'bin', 'infra'];
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.serverless']);

const filesUnder = (directory: string): string[] =>
  readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return SKIPPED_DIRECTORIES.has(name) ? [] : filesUnder(path);
    return [path];
  });

const mentioning = (directories: readonly string[]): string[] =>
  directories
    .map((directory) => join(ROOT, directory))
    .filter((directory) => existsSync(directory))
    .flatMap(filesUnder)
    .filter((file) => readFileSync(file).includes(ORACLE_PACKAGE))
    .map((file) => relative(ROOT, file));

describe('the IAM evaluator is never shipped', () => {
  it('no shipped source mentions it', () => {
    expect(mentioning(SHIPPED_SOURCES)).toEqual([]);
  });

  it('no built file mentions it (when the build has run)', () => {
    expect(mentioning(['dist'])).toEqual([]);
  });

  it('it is a devDependency only', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    const dependencies = Object.keys(manifest['dependencies'] ?? {});
    expect(dependencies.filter((name) => name.startsWith(ORACLE_PACKAGE))).toEqual([]);
    expect(manifest['devDependencies']?.['@cloud-copilot/iam-simulate']).toBeDefined();
  });

  it('the check itself sees a mention (it is not vacuous)', () => {
    expect(mentioning(['test/support'])).toContain(join('test', 'support', 'iam-oracle.ts'));
  });
});
