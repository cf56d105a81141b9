// The bench's scratch space: a copy of the built bundles (each entry with its chunks) taken at the
// start, so a rebuild elsewhere during the run cannot change what is measured; the bench entries
// bundled beside them; the children's result files; and everything to stop when the run ends or is
// interrupted.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ENTRY_FILE } from '../../infra/build.mjs';
import { bundleFiles } from '../../infra/organization/function-zips.mjs';
import { bundleEntry } from './build-entry.mjs';
import { stopChildren } from './processes.mjs';

/** @typedef {{ name: string, file: string }} BuiltFunction */

/**
 * @typedef {object} Workspace
 * @property {string} scratch
 * @property {BuiltFunction[]} functions The copies of the built bundles; `file` is the entry, index.mjs, with its chunks/ beside it.
 * @property {(name: string) => string} bundleOf The copy of one function's bundle: its entry.
 * @property {(name: string) => string} resultFile A fresh file for one child's result.
 * @property {(entry: string, name: string) => Promise<string>} buildEntry Bundles `bench/entries/<entry>` as the functions are bundled.
 * @property {(stop: () => Promise<void>) => () => void} onCleanUp Registers what to stop at the end; the returned function unregisters it.
 * @property {() => Promise<void>} cleanUp Ends every child, stops what was registered, removes the scratch space.
 */

/**
 * @param {string[]} functionNames
 * @returns {Workspace}
 */
export const createWorkspace = (functionNames) => {
  const scratch = mkdtempSync(join(tmpdir(), 'enforcer-bench-'));
  // Each bundle as it ships: the entry and its chunks, in the same layout, so the chunks resolve.
  const functions = functionNames.map((name) => {
    const copy = join(scratch, 'functions', name);
    for (const part of bundleFiles(join('dist', name))) {
      mkdirSync(dirname(join(copy, part)), { recursive: true });
      copyFileSync(join('dist', name, part), join(copy, part));
    }
    return { name, file: join(copy, ENTRY_FILE) };
  });
  let results = 0;
  /** @type {Set<() => Promise<void>>} */
  const cleanups = new Set();
  return {
    scratch,
    functions,
    bundleOf: (name) => {
      const copy = functions.find((candidate) => candidate.name === name);
      if (!copy) throw new Error(`no built bundle for ${name}`);
      return copy.file;
    },
    resultFile: (name) => join(scratch, `${name}-${(results += 1)}.json`),
    buildEntry: async (entry, name) => (await bundleEntry(join('bench', 'entries', entry), scratch, name)).file,
    onCleanUp: (stop) => {
      cleanups.add(stop);
      return () => cleanups.delete(stop);
    },
    cleanUp: async () => {
      stopChildren();
      for (const stop of cleanups) await stop();
      cleanups.clear();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
};
