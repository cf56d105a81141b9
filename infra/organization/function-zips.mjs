// The organization templates' function zips: one per function, holding its bundle's entry as
// index.mjs at the root (handler index.handler) and the chunks it loads under chunks/, deflated,
// in a fixed order and with a fixed date, so that the same bundle always makes the same zip (a
// re-upload of a release changes nothing).
import { Buffer } from 'node:buffer';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { CHUNKS_DIR, ENTRY_FILE } from '../build.mjs';
import { artifactKey } from './release.mjs';

const DOS_TIME = 0;
const DOS_DATE = (45 << 9) | (1 << 5) | 1; // 2025-01-01
const UTF8_NAMES = 0x0800;
const DEFLATE = 8;
const VERSION = 20;
/** The most entries a zip without the ZIP64 extension holds. */
const MAX_ENTRIES = 0xffff;

/** @typedef {{ name: string, data: Buffer }} ZipEntry */

/**
 * A zip archive of the given files, in the order given: regular files, rw-r--r--, all dated 2025-01-01.
 * @param {readonly ZipEntry[]} files
 */
export const zipFiles = (files) => {
  if (files.length > MAX_ENTRIES) throw new Error(`a zip holds at most ${MAX_ENTRIES} files, not ${files.length}`);
  /** @type {Buffer[]} */
  const locals = [];
  /** @type {Buffer[]} */
  const centrals = [];
  let offset = 0;
  for (const { name, data } of files) {
    const fileName = Buffer.from(name, 'utf8');
    const compressed = deflateRawSync(data, { level: 9 });
    const checksum = crc32(data);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(VERSION, 4);
    local.writeUInt16LE(UTF8_NAMES, 6);
    local.writeUInt16LE(DEFLATE, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(checksum, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fileName.length, 26);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x031e, 4); // made by Unix, so the mode below is read
    central.writeUInt16LE(VERSION, 6);
    central.writeUInt16LE(UTF8_NAMES, 8);
    central.writeUInt16LE(DEFLATE, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(checksum, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(fileName.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // a regular file, rw-r--r--
    central.writeUInt32LE(offset, 42);

    locals.push(local, fileName, compressed);
    centrals.push(central, fileName);
    offset += local.length + fileName.length + compressed.length;
  }
  const centralSize = centrals.reduce((sum, part) => sum + part.length, 0);

  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);

  return Buffer.concat([...locals, ...centrals, end]);
};

/**
 * A zip archive of one file.
 * @param {string} name
 * @param {Buffer} data
 */
export const zipSingleFile = (name, data) => zipFiles([{ name, data }]);

/**
 * What a function's zip holds, in its order: the entry, index.mjs, then chunks/<file>.mjs by name
 * (code unit order, the same on every machine); a bundle without chunks is its entry alone.
 * @param {string} bundleDir A function's bundle: dist/<name>.
 * @returns {string[]} Paths relative to bundleDir, with forward slashes.
 */
export const bundleFiles = (bundleDir) => {
  const chunksDir = join(bundleDir, CHUNKS_DIR);
  const chunks = (existsSync(chunksDir) ? readdirSync(chunksDir, { withFileTypes: true }) : [])
    .filter((entry) => entry.isFile() && entry.name.endsWith('.mjs'))
    .map((entry) => entry.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [ENTRY_FILE, ...chunks.map((chunk) => `${CHUNKS_DIR}/${chunk}`)];
};

/**
 * The zip Lambda is given for a function: its bundle's entry at the root and its chunks under chunks/.
 * @param {string} bundleDir A function's bundle: dist/<name>.
 */
export const functionZip = (bundleDir) => zipFiles(bundleFiles(bundleDir).map((name) => ({ name, data: readFileSync(join(bundleDir, ...name.split('/'))) })));

/**
 * Zips each function's bundle (<projectRoot>/dist/<name>/index.mjs and its chunks/) to
 * <artifactsDir>/<service>/<version>/<name>.zip. Answers what was written and which bundles are missing.
 * @param {{ projectRoot: string, artifactsDir: string, version: string, functions: readonly string[] }} options
 */
export const writeFunctionZips = ({ projectRoot, artifactsDir, version, functions }) => {
  /** @type {string[]} */
  const written = [];
  /** @type {string[]} */
  const missing = [];
  for (const name of functions) {
    const bundleDir = join(projectRoot, 'dist', name);
    if (!existsSync(join(bundleDir, ENTRY_FILE))) {
      missing.push(name);
      continue;
    }
    const zip = join(artifactsDir, artifactKey(version, name));
    mkdirSync(dirname(zip), { recursive: true });
    writeFileSync(zip, functionZip(bundleDir));
    written.push(zip);
  }
  return { written, missing };
};
