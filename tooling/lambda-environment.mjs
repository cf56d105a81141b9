// A Lambda execution environment on this machine, for `npm start`, the bench and the integration
// tier: a built bundle imported as Lambda imports it, the context Lambda passes, and the lines the
// function writes, which Lambda would send to CloudWatch.
import { pathToFileURL } from 'node:url';

/** @import { Context } from 'aws-lambda' */

/** The account and region moto answers for when a request names none. */
export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_REGION = 'us-east-1';

/** What Lambda passes as the context; the deprecated callback methods are left out. @typedef {Omit<Context, 'done' | 'fail' | 'succeed'>} LambdaContext */
/** @typedef {(event: unknown, context: LambdaContext) => Promise<unknown>} LambdaHandler */

/**
 * The context of one invocation: the time left counts down from `timeoutMs`, the function's timeout.
 * @param {string} functionName
 * @param {object} [options]
 * @param {number} [options.timeoutMs]
 * @param {string} [options.requestId]
 * @param {string} [options.region]
 * @param {string} [options.account]
 * @returns {LambdaContext}
 */
export const lambdaContext = (
  functionName,
  { timeoutMs = 300_000, requestId = `local-${Date.now()}-${Math.random().toString(16).slice(2)}`, region = LOCAL_REGION, account = LOCAL_ACCOUNT } = {},
) => {
  const deadline = Date.now() + timeoutMs;
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
};

/**
 * The handler a built bundle exports. Its module-level code — configuration read from process.env,
 * clients created — runs here, once per process: the cold start.
 * @param {string} bundleFile
 * @returns {Promise<LambdaHandler>}
 */
export const importHandler = async (bundleFile) => {
  const bundle = await import(pathToFileURL(bundleFile).href);
  if (typeof bundle.handler !== 'function') throw new Error(`${bundleFile} exports no handler`);
  return bundle.handler;
};

/**
 * @template T
 * @typedef {{ result?: T, error?: unknown, lines: string[] }} Captured
 */

/**
 * The result or error of `run`, and every line written to stdout or stderr meanwhile. `onLine` sees
 * each line as it is written, not after the run. One at a time: it swaps the process's streams.
 * @template T
 * @param {() => Promise<T>} run
 * @param {(line: string) => void} [onLine]
 * @returns {Promise<Captured<T>>}
 */
export const captureOutput = async (run, onLine) => {
  /** @type {string[]} */
  const lines = [];
  const original = { out: process.stdout.write, err: process.stderr.write };
  /** @param {{ tail: string }} stream */
  const tapFor = (stream) =>
    /** @type {typeof process.stdout.write} */ (
      (/** @type {unknown} */ chunk, /** @type {unknown} */ encoding, /** @type {unknown} */ callback) => {
        const text = stream.tail + String(chunk);
        const complete = text.split('\n');
        stream.tail = complete.pop() ?? '';
        for (const line of complete.filter(Boolean)) {
          lines.push(line);
          onLine?.(line);
        }
        if (typeof encoding === 'function') encoding();
        else if (typeof callback === 'function') callback();
        return true;
      }
    );
  const out = { tail: '' };
  const err = { tail: '' };
  process.stdout.write = tapFor(out);
  process.stderr.write = tapFor(err);
  const flush = () => {
    for (const stream of [out, err]) {
      if (stream.tail === '') continue;
      lines.push(stream.tail);
      onLine?.(stream.tail);
      stream.tail = '';
    }
  };
  try {
    const result = await run();
    flush();
    return { result, lines };
  } catch (error) {
    flush();
    return { error, lines };
  } finally {
    process.stdout.write = original.out;
    process.stderr.write = original.err;
  }
};

/**
 * A structured log line (Powertools writes one JSON object per line), or undefined for anything else.
 * @param {string} line
 * @returns {Record<string, unknown> | undefined}
 */
export const parseLogLine = (line) => {
  if (!line.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(line);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
};
