// A stand-in for S3, KMS and SNS at the SDK's HTTP boundary, for the benchmarks only.
// Real SDK clients (serialisation, signing, retries, deserialisation) send real commands; the
// request handler answers each one after a latency (constant, or drawn per request from a seeded
// model) with the wire format the service uses.
// Each command is counted by name as it enters the client, so counts are commands, not retries.
import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLIENT_SETTINGS, tuneClient } from '../../shared/aws/aws-clients.ts';
import { seededRandom } from '../../test/fixtures/seeded-random.ts';

/** @import { KMSClient } from '@aws-sdk/client-kms' */
/** @import { S3Client } from '@aws-sdk/client-s3' */
/** @import { SNSClient } from '@aws-sdk/client-sns' */

/**
 * An answer: status, headers, body (text, or bytes).
 * @typedef {{ status: number, headers: Record<string, string>, body: string | Buffer }} Answer
 */
/**
 * A command's input as the client received it; each simulated service reads the fields it answers on.
 * @typedef {Record<string, any>} CommandInput
 */
/** @typedef {(command: string, input: CommandInput) => Answer | Promise<Answer>} Respond */
/** A latency in milliseconds, or a function of each request's command and input returning its latency. @typedef {number | ((command: string, input: CommandInput) => number)} Latency */

const benchCredentials = () => ({ accessKeyId: 'bench', secretAccessKey: 'bench' });

export class CallCounter {
  constructor() {
    /** @type {Map<string, number>} */
    this.byCommand = new Map();
  }

  /** @param {string} command */
  count(command) {
    this.byCommand.set(command, (this.byCommand.get(command) ?? 0) + 1);
  }

  get total() {
    let sum = 0;
    for (const value of this.byCommand.values()) sum += value;
    return sum;
  }

  snapshot() {
    return Object.fromEntries([...this.byCommand.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  reset() {
    this.byCommand.clear();
  }
}

/** @param {unknown} text */
const xmlEscape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * @param {string} root
 * @param {string} inner
 */
export const xml = (root, inner) => `<?xml version="1.0" encoding="UTF-8"?><${root} xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</${root}>`;
/**
 * @param {string} name
 * @param {string | number | boolean | undefined | null} value
 */
export const el = (name, value) => (value === undefined || value === null ? '' : `<${name}>${typeof value === 'string' ? xmlEscape(value) : value}</${name}>`);

/**
 * @param {number} status
 * @param {Record<string, string>} [headers]
 * @param {string | Buffer} [body]
 * @returns {Answer}
 */
export const answer = (status, headers = {}, body = '') => ({ status, headers, body });
/**
 * @param {number} status
 * @param {string} code
 * @param {string} [message]
 */
export const s3Error = (status, code, message = code) => answer(status, { 'content-type': 'application/xml' }, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`);
/** @param {unknown} document */
export const kmsAnswer = (document) => answer(200, { 'content-type': 'application/x-amz-json-1.1' }, JSON.stringify(document));
/**
 * @param {string} type
 * @param {string} message
 */
export const kmsError = (type, message) => answer(400, { 'content-type': 'application/x-amz-json-1.1' }, JSON.stringify({ __type: type, message }));


/**
 * A latency model for `simulatedClient`: each request waits a whole number of milliseconds drawn
 * uniformly from [meanMs - spreadMs, meanMs + spreadMs], the draws a reproducible sequence from `seed`.
 * Whole milliseconds, because timers have millisecond resolution: the latency drawn is the latency waited.
 * @param {{ meanMs: number, spreadMs: number, seed: number }} model
 * @returns {() => number}
 */
export const varyingLatency = ({ meanMs, spreadMs, seed }) => {
  const next = seededRandom(seed);
  const low = Math.round(meanMs - spreadMs);
  const values = Math.round(meanMs + spreadMs) - low + 1;
  return () => low + Math.floor(next() * values);
};

/** @param {string} text FNV-1a, 32 bits: mixes a key into a seed. */
const fnv1a = (text) => {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  return hash >>> 0;
};

/**
 * The same model as `varyingLatency`, with one reproducible sequence per key (an object's key, say)
 * instead of one for the whole run: the n-th call for a key draws the n-th number of that key's
 * sequence, whatever the calls for other keys did meanwhile. Two runs that make the same calls per key
 * (the enforcer, and the bare SDK making its calls) then wait exactly the same latencies per key.
 * @param {{ meanMs: number, spreadMs: number, seed: number }} model
 * @returns {(key: string) => number}
 */
export const keyedLatency = ({ meanMs, spreadMs, seed }) => {
  /** @type {Map<string, () => number>} */
  const sequences = new Map();
  return (key) => {
    let draw = sequences.get(key);
    if (!draw) {
      draw = varyingLatency({ meanMs, spreadMs, seed: (Math.imul(seed, 0x9e3779b1) ^ fnv1a(key)) >>> 0 });
      sequences.set(key, draw);
    }
    return draw();
  };
};

/** An answer's body as a socket delivers it: in chunks of at most 64 KiB, never a large report at once. */
const SOCKET_CHUNK_BYTES = 64 * 1024;
/** @param {Buffer} bytes */
const socketChunks = (bytes) => {
  const chunks = [];
  for (let offset = 0; offset < bytes.length; offset += SOCKET_CHUNK_BYTES) chunks.push(bytes.subarray(offset, offset + SOCKET_CHUNK_BYTES));
  return chunks.length > 0 ? chunks : [bytes];
};

/**
 * A client of `ClientClass` whose every command is answered by `respond(commandName, input)` (an answer, or a promise of one)
 * after `latencyMs`: a number, or a function called at each request with the command's name and
 * input, returning that request's latency. With the settings and tuning of shared/aws/aws-clients.ts.
 * `onCommand`, when given, sees each command's name and input as sent, before any of the SDK's own middleware.
 * @template {S3Client | KMSClient | SNSClient} C
 * @param {new (config: any) => C} ClientClass
 * @param {{ region?: string, latencyMs: Latency, respond: Respond, counter?: CallCounter, onCommand?: (command: string, input: CommandInput) => void, extra?: Record<string, unknown> }} options
 * @returns {C}
 */
export const simulatedClient = (ClientClass, { region = 'us-east-1', latencyMs, respond, counter, onCommand, extra = {} }) => {
  /** @type {Map<string, { command: string, input: CommandInput }>} */
  const pending = new Map();
  let sequence = 0;
  const requestHandler = {
    metadata: { handlerProtocol: 'http/1.1' },
    /** @param {{ headers: Record<string, string> }} request */
    async handle(request) {
      const call = pending.get(request.headers['x-bench-call'] ?? '');
      if (!call) throw new Error('simulated AWS: a request arrived without its command');
      const delay = typeof latencyMs === 'function' ? latencyMs(call.command, call.input) : latencyMs;
      if (delay > 0) await sleep(delay);
      const { status, headers, body } = await respond(call.command, call.input);
      return { response: { statusCode: status, reason: undefined, headers: { 'x-amz-request-id': 'bench', ...headers }, body: Readable.from(socketChunks(Buffer.isBuffer(body) ? body : Buffer.from(body))) } };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
  const client = tuneClient(new ClientClass({ region, credentials: benchCredentials(), ...CLIENT_SETTINGS, requestHandler, ...extra }));
  /** @typedef {(args: { input: CommandInput, request: { headers: Record<string, string> } }) => Promise<unknown>} Handler */
  /** @typedef {(next: Handler, context: { commandName: string }) => Handler} Middleware */
  // The clients' stacks differ in their input and output types; these middlewares read only the command's name and input.
  const stack = /** @type {{ add: (middleware: Middleware, options: { step: 'initialize' | 'build', name: string, priority?: 'high' }) => void }} */ (
    /** @type {unknown} */ (client.middlewareStack)
  );
  stack.add(
    (next, context) => (args) => {
      counter?.count(context.commandName);
      return next(args);
    },
    { step: 'initialize', name: 'benchCountCommands' },
  );
  if (onCommand) {
    stack.add(
      (next, context) => (args) => {
        onCommand(context.commandName, args.input);
        return next(args);
      },
      { step: 'initialize', name: 'benchSeeCommands', priority: 'high' },
    );
  }
  stack.add(
    (next, context) => async (args) => {
      const id = String((sequence += 1));
      pending.set(id, { command: context.commandName, input: args.input });
      args.request.headers['x-bench-call'] = id;
      try {
        return await next(args);
      } finally {
        pending.delete(id);
      }
    },
    { step: 'build', name: 'benchTagRequest' },
  );
  return client;
};
