// The commands a use case sends through an SDK client, recorded per object (the command's `Key`) as
// they are sent, and sent again later through a bare client of the same kind with nothing around them:
// what the SDK alone costs for exactly those calls. A trace is written to a file, so that the bare
// client can send it again in a process of its own.
import { readFileSync, writeFileSync } from 'node:fs';

/** @import { CommandInput } from './simulated-aws.mjs' */

/** One command as it was sent: its name (`HeadObjectCommand`) and a copy of its input. @typedef {[command: string, input: CommandInput]} TracedCall */
/** Each object's commands in the order they were sent, and the commands that name no object. @typedef {{ byKey: Map<string, TracedCall[]>, unkeyed: TracedCall[] }} CallTrace */
/** A command class, by its name. @typedef {Record<string, new (input: any) => any>} CommandClasses */

/**
 * JSON that keeps dates as dates. A body (bytes or a stream) is refused: a trace holds commands that
 * can be sent again as they are, and none of the traced use cases sends one.
 * @param {unknown} value
 */
const encode = (value) =>
  JSON.stringify(value, function (name, converted) {
    /** @type {unknown} */
    const raw = /** @type {Record<string, unknown>} */ (this)[name];
    if (raw instanceof Date) return { $date: raw.toISOString() };
    if (raw instanceof Uint8Array || (typeof raw === 'object' && raw !== null && typeof (/** @type {{ pipe?: unknown }} */ (raw).pipe) === 'function')) {
      throw new Error(`call trace: ${name} is a body, which a trace does not hold`);
    }
    return converted;
  });

/** @param {string} text */
const decode = (text) =>
  JSON.parse(text, (_name, value) => (typeof value === 'object' && value !== null && typeof value.$date === 'string' && Object.keys(value).length === 1 ? new Date(value.$date) : value));

/** @returns {CallTrace} */
export const newTrace = () => ({ byKey: new Map(), unkeyed: [] });

/**
 * An `onCommand` for simulatedClient that records each command into `trace`, under its input's Key.
 * @param {CallTrace} trace
 * @returns {(command: string, input: CommandInput) => void}
 */
export const recordInto = (trace) => (command, input) => {
  /** @type {TracedCall} */
  const call = [command, decode(encode(input))];
  if (typeof input['Key'] !== 'string') {
    trace.unkeyed.push(call);
    return;
  }
  const calls = trace.byKey.get(input['Key']);
  if (calls) calls.push(call);
  else trace.byKey.set(input['Key'], [call]);
};

/**
 * @param {string} file
 * @param {CallTrace} trace
 */
export const writeTrace = (file, trace) => writeFileSync(file, encode({ byKey: Object.fromEntries(trace.byKey), unkeyed: trace.unkeyed }));

/**
 * @param {string} file
 * @returns {CallTrace}
 */
export const readTrace = (file) => {
  const { byKey, unkeyed } = decode(readFileSync(file, 'utf8'));
  return { byKey: new Map(Object.entries(byKey)), unkeyed };
};

/**
 * Sends `calls` through `client` one after another, as the use case sent them for one object. A call
 * the service refuses is counted, not thrown: the caller decides what a refusal means.
 * @param {{ send: (command: any) => Promise<unknown> }} client
 * @param {CommandClasses} commands
 * @param {readonly TracedCall[]} calls
 * @returns {Promise<number>} How many were refused.
 */
export const sendAgain = async (client, commands, calls) => {
  let refused = 0;
  for (const [name, input] of calls) {
    const Command = commands[name];
    if (!Command) throw new Error(`call trace: no command class for ${name}`);
    try {
      await client.send(new Command(input));
    } catch {
      refused += 1;
    }
  }
  return refused;
};
