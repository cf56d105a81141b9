#!/usr/bin/env node
// The `enforcer` command (package.json "bin"): runs the CLI bundle that `npm run build` writes.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../dist/cli/enforcer.mjs', import.meta.url);
if (!existsSync(bundle)) {
  console.error(`enforcer: ${fileURLToPath(bundle)} is missing: run \`npm run build\` in ${fileURLToPath(new URL('..', import.meta.url))} first.`);
  process.exit(2);
}
await import(bundle.href);
