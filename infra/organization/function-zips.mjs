// The organization templates' function zips: one per function, holding its bundle as index.mjs at
// the root (handler index.handler), deflated, with a fixed date so that the same bundle always
// makes the same zip (a re-upload of a release changes nothing).
import { Buffer } from 'node:buffer';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { artifactKey } from './release.mjs';

const DOS_TIME = 0;
const DOS_DATE = (45 << 9) | (1 << 5) | 1; // 2025-01-01
const UTF8_NAMES = 0x0800;
const DEFLATE = 8;
const VERSION = 20;

/**
 * A zip archive of one file.
 * @param {string} name
 * @param {Buffer} data
 */
export const zipSingleFile = (name, data) => {
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
  central.writeUInt32LE(0, 42);

  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(local.length + fileName.length + compressed.length, 16);

  return Buffer.concat([local, fileName, compressed, central, fileName, end]);
};

/**
 * Zips each function's bundle (<projectRoot>/dist/<name>/index.mjs) to
 * <artifactsDir>/<service>/<version>/<name>.zip. Answers what was written and which bundles are missing.
 * @param {{ projectRoot: string, artifactsDir: string, version: string, functions: readonly string[] }} options
 */
export const writeFunctionZips = ({ projectRoot, artifactsDir, version, functions }) => {
  /** @type {string[]} */
  const written = [];
  /** @type {string[]} */
  const missing = [];
  for (const name of functions) {
    const bundle = join(projectRoot, 'dist', name, 'index.mjs');
    if (!existsSync(bundle)) {
      missing.push(name);
      continue;
    }
    const zip = join(artifactsDir, artifactKey(version, name));
    mkdirSync(dirname(zip), { recursive: true });
    writeFileSync(zip, zipSingleFile('index.mjs', readFileSync(bundle)));
    written.push(zip);
  }
  return { written, missing };
};
