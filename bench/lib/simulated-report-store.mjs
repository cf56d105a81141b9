// An in-memory ReportStore (shared/ports/report-store.ts) for the benchmarks: every GetObject, PutObject
// and CopyObject waits a latency, as S3 answers the organization's merge. Objects the run writes are kept
// as bytes outside the JavaScript heap (as S3 keeps them outside the function) or, when the caller says
// so, only counted; objects nobody wrote can be synthesized when they are read, so an organization's
// worth of input is never held by the process that measures the merge.
import { Buffer } from 'node:buffer';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/** @import { ReportStore, StoredReport } from '../../shared/ports/report-store.ts' */

/** @typedef {'GetObject' | 'PutObject' | 'CopyObject'} StoreOperation */

/**
 * @typedef {object} SimulatedReportStoreOptions
 * @property {number} latencyMs Every call's latency: a read waits it before its first byte, a write after its last, a copy before it answers.
 * @property {(key: string) => string | undefined} [synthesize] The text of an object nobody wrote, made when it is read; undefined: no such object.
 * @property {(key: string) => boolean} [synthesizes] Whether `synthesize` has an object at `key`, without making it (a copy's source).
 * @property {(key: string) => boolean} [keeps] Whether a written object is kept (true by default); otherwise only its size is counted.
 * @property {(operation: StoreOperation, key: string) => void} [onCall] Sees each call as it starts.
 */

/** A body as a socket delivers it: in chunks of at most 64 KiB. */
const CHUNK_BYTES = 64 * 1024;
/** @param {Buffer} bytes */
const chunksOf = (bytes) => {
  const chunks = [];
  for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES) chunks.push(bytes.subarray(offset, offset + CHUNK_BYTES));
  return chunks;
};

/** @implements {ReportStore} */
export class SimulatedReportStore {
  /** @param {SimulatedReportStoreOptions} options */
  constructor({ latencyMs, synthesize = () => undefined, synthesizes = (key) => synthesize(key) !== undefined, keeps = () => true, onCall = () => undefined }) {
    this.latencyMs = latencyMs;
    this.synthesize = synthesize;
    this.synthesizes = synthesizes;
    this.keeps = keeps;
    this.onCall = onCall;
    /** @type {Map<string, Buffer>} */
    this.objects = new Map();
    /** Calls by operation. */
    this.calls = { GetObject: 0, PutObject: 0, CopyObject: 0 };
    /** Bytes read and written through the store, and the largest object written. */
    this.bytes = { read: 0, written: 0, largestWrite: 0 };
  }

  /** @param {number} ms */
  async wait(ms) {
    if (ms > 0) await sleep(ms);
  }

  /** The text of an object, as stored or synthesized; undefined when there is none. @param {string} key */
  text(key) {
    const stored = this.objects.get(key);
    return stored === undefined ? this.synthesize(key) : stored.toString('utf8');
  }

  /**
   * @param {string} key
   * @returns {Promise<AsyncIterable<string> | undefined>}
   */
  async readLines(key) {
    this.calls.GetObject += 1;
    this.onCall('GetObject', key);
    await this.wait(this.latencyMs);
    const stored = this.objects.get(key);
    const synthesized = stored === undefined ? this.synthesize(key) : undefined;
    if (stored === undefined && synthesized === undefined) return undefined;
    const bytes = stored ?? Buffer.from(/** @type {string} */ (synthesized), 'utf8');
    this.bytes.read += bytes.length;
    // As shared/adapters/s3-report-store.ts reads an object: a UTF-8 stream, a line at a time.
    const body = Readable.from(chunksOf(bytes));
    body.setEncoding('utf8');
    const lines = createInterface({ input: body, crlfDelay: Infinity });
    return (async function* () {
      try {
        for await (const line of lines) yield line;
      } finally {
        lines.close();
        body.destroy();
      }
    })();
  }

  /** @param {StoredReport} report */
  async write({ key, body, contentLength }) {
    this.calls.PutObject += 1;
    this.onCall('PutObject', key);
    const keep = this.keeps(key);
    /** @type {Buffer[]} */
    const chunks = [];
    let length = 0;
    // Read to its end, as S3 reads an upload before it answers.
    for await (const piece of body()) {
      if (typeof piece === 'string') {
        length += Buffer.byteLength(piece, 'utf8');
        if (keep) chunks.push(Buffer.from(piece, 'utf8'));
      } else {
        length += piece.byteLength;
        if (keep) chunks.push(Buffer.from(piece));
      }
    }
    if (length !== contentLength) throw new Error(`IncompleteBody: ${key} is ${length} bytes, not its ContentLength ${contentLength}`);
    await this.wait(this.latencyMs);
    this.bytes.written += length;
    this.bytes.largestWrite = Math.max(this.bytes.largestWrite, length);
    if (keep) this.objects.set(key, Buffer.concat(chunks));
  }

  /**
   * @param {string} fromKey
   * @param {string} toKey
   * @param {string} _kmsKeyArn
   */
  async copy(fromKey, toKey, _kmsKeyArn) {
    this.calls.CopyObject += 1;
    this.onCall('CopyObject', toKey);
    await this.wait(this.latencyMs);
    const stored = this.objects.get(fromKey);
    if (stored === undefined && !this.synthesizes(fromKey)) throw Object.assign(new Error(`NoSuchKey: ${fromKey}`), { name: 'NoSuchKey' });
    if (!this.keeps(toKey)) return;
    this.objects.set(toKey, stored ?? Buffer.from(/** @type {string} */ (this.synthesize(fromKey)), 'utf8'));
  }
}
