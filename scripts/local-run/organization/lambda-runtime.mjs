// The child side of lambda-bundles.mjs: one cold invocation of a built bundle in this fresh process,
// as Lambda runs a new execution environment, with the context of a function in `account`:
//   node lambda-runtime.mjs <function> <bundle> <account> <event.json> <out.json>
// Writes `{result}` or `{error: {errorType, errorMessage}}` (what Lambda reports of a function
// error, which Step Functions' Retry and Catch match on) to out.json; the function's log lines go
// to stdout and stderr, for the parent to read as CloudWatch would.
import { readFileSync, writeFileSync } from 'node:fs';
import { importHandler, lambdaContext } from '../../../tooling/lambda-environment.mjs';

const [functionName, bundleFile, account, eventFile, outFile] = process.argv.slice(2);
if (!functionName || !bundleFile || !account || !eventFile || !outFile) throw new Error('usage: lambda-runtime.mjs <function> <bundle> <account> <event.json> <out.json>');

try {
  const handler = await importHandler(bundleFile);
  const result = await handler(JSON.parse(readFileSync(eventFile, 'utf8')), lambdaContext(functionName, { account, timeoutMs: 120_000 }));
  writeFileSync(outFile, JSON.stringify({ result: result ?? null }));
} catch (error) {
  const fields = /** @type {{ name?: unknown, message?: unknown } | null | undefined} */ (error);
  writeFileSync(outFile, JSON.stringify({ error: { errorType: String(fields?.name ?? 'Error'), errorMessage: String(fields?.message ?? error) } }));
}
