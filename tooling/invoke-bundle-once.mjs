// One cold invocation of a built bundle in this process, which is a fresh one, as Lambda runs a new
// execution environment: `node tooling/invoke-bundle-once.mjs <function> <bundle> <event.json> <out.json>`.
// Writes `{result}` or `{error}` to out.json; the function's log lines go to this process's stdout
// and stderr, for the caller to read as CloudWatch would.
import { readFileSync, writeFileSync } from 'node:fs';
import { importHandler, lambdaContext } from './lambda-environment.mjs';

const [functionName, bundleFile, eventFile, outFile] = process.argv.slice(2);
if (!functionName || !bundleFile || !eventFile || !outFile) throw new Error('usage: invoke-bundle-once.mjs <function> <bundle> <event.json> <out.json>');

try {
  const handler = await importHandler(bundleFile);
  const result = await handler(JSON.parse(readFileSync(eventFile, 'utf8')), lambdaContext(functionName, { requestId: `integration-${Date.now()}` }));
  writeFileSync(outFile, JSON.stringify({ result }));
} catch (error) {
  const message = /** @type {{ message?: unknown } | null | undefined} */ (error)?.message;
  writeFileSync(outFile, JSON.stringify({ error: String(message || error) }));
}
