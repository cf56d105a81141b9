// Runs the enforce figures (bench/entries/enforce-figures.mjs, bundled as the functions are) one
// task per child process, so no run inherits another's heap, JIT state or timers.
import { runNode } from './processes.mjs';

/** @import { EnforceTasks } from '../entries/enforce-figures.mjs' */
/** @import { Workspace } from './workspace.mjs' */

/**
 * A task of the entry, run in a child of its own; `scratchFile(name)` is a fresh file in the scratch
 * space for what one task leaves to another (a trace of the enforcer's commands, say).
 * @typedef {(<Task extends keyof EnforceTasks>(task: Task, options: Parameters<EnforceTasks[Task]>[0], timeoutMs?: number) => Promise<Awaited<ReturnType<EnforceTasks[Task]>>>) & { scratchFile: (name: string) => string }} RunEnforce
 */

/**
 * Bundles the entry into the workspace; the runner answers each task's figures as the entry wrote them.
 * @param {Workspace} workspace
 * @returns {Promise<RunEnforce>}
 */
export const enforceRunner = async (workspace) => {
  const bundle = await workspace.buildEntry('enforce-figures.mjs', 'enforce-figures');
  /** @type {<Task extends keyof EnforceTasks>(task: Task, options: Parameters<EnforceTasks[Task]>[0], timeoutMs?: number) => Promise<Awaited<ReturnType<EnforceTasks[Task]>>>} */
  const runTask = async (task, options, timeoutMs = 180_000) => {
    const resultFile = workspace.resultFile(`enforce-${task}`);
    // The entry writes what its task returns (EnforceTasks), so the JSON read back has that type.
    return /** @type {Awaited<ReturnType<EnforceTasks[typeof task]>>} */ (await runNode([bundle, resultFile, task, JSON.stringify(options)], { resultFile, timeoutMs }));
  };
  return Object.assign(runTask, { scratchFile: (/** @type {string} */ name) => workspace.resultFile(name) });
};
