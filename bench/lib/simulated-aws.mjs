// A stand-in for S3, KMS and SNS at the SDK's HTTP boundary, for the benchmarks only.
// Real SDK clients (serialisation, signing, retries, deserialisation) send real commands; the
// request handler answers each one after a fixed latency with the wire format the service uses.
// Each command is counted by name as it enters the client, so counts are commands, not retries.
import { Buffer } from 'node:buffer';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLIENT_SETTINGS } from '../../shared/aws/aws-clients.ts';

const benchCredentials = () => ({ accessKeyId: 'bench', secretAccessKey: 'bench' });

export class CallCounter {
  constructor() {
    this.byCommand = new Map();
  }

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

const xmlEscape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export const xml = (root, inner) => `<?xml version="1.0" encoding="UTF-8"?><${root} xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</${root}>`;
export const el = (name, value) => (value === undefined || value === null ? '' : `<${name}>${typeof value === 'string' ? xmlEscape(value) : value}</${name}>`);

/** An answer: status, headers, body text. */
export const answer = (status, headers = {}, body = '') => ({ status, headers, body });
export const s3Error = (status, code, message = code) => answer(status, { 'content-type': 'application/xml' }, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`);
export const kmsAnswer = (document) => answer(200, { 'content-type': 'application/x-amz-json-1.1' }, JSON.stringify(document));
export const kmsError = (type, message) => answer(400, { 'content-type': 'application/x-amz-json-1.1' }, JSON.stringify({ __type: type, message }));

/**
 * A client of `ClientClass` whose every command is answered by `respond(commandName, input)`
 * after `latencyMs` (a number, or a function read at each request), with the settings of shared/aws/aws-clients.ts.
 */
export const simulatedClient = (ClientClass, { region = 'us-east-1', latencyMs, respond, counter, extra = {} }) => {
  const pending = new Map();
  let sequence = 0;
  const requestHandler = {
    metadata: { handlerProtocol: 'http/1.1' },
    async handle(request) {
      const call = pending.get(request.headers['x-bench-call']);
      if (!call) throw new Error('simulated AWS: a request arrived without its command');
      const delay = typeof latencyMs === 'function' ? latencyMs() : latencyMs;
      if (delay > 0) await sleep(delay);
      const { status, headers, body } = respond(call.command, call.input);
      return { response: { statusCode: status, reason: undefined, headers: { 'x-amz-request-id': 'bench', ...headers }, body: Readable.from([Buffer.from(body)]) } };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
  const client = new ClientClass({ region, credentials: benchCredentials(), ...CLIENT_SETTINGS, requestHandler, ...extra });
  client.middlewareStack.add(
    (next, context) => (args) => {
      counter?.count(context.commandName);
      return next(args);
    },
    { step: 'initialize', name: 'benchCountCommands' },
  );
  client.middlewareStack.add(
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
