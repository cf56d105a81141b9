// Everything started is stopped: on the way out, on an error, and on Ctrl-C / SIGTERM.

/** @type {(() => Promise<unknown>)[]} */
const cleanups = [];
let stopping = false;
/** Set by Ctrl-C / SIGTERM: whatever fails after it is the shutdown, not a finding. @type {number | undefined} */
let interruptedWith;

/** @param {() => Promise<unknown>} cleanup */
export const onStop = (cleanup) => {
  cleanups.push(cleanup);
};

/** Cleanups run last-registered first, each at most once; a failing one does not stop the rest. */
export const stopEverything = async () => {
  if (stopping) return;
  stopping = true;
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
};

/** The exit code of the signal that interrupted the run, if one did. */
export const interruption = () => interruptedWith;

export const stopOnSignals = () => {
  for (const [signal, code] of /** @type {const} */ ([['SIGINT', 130], ['SIGTERM', 143]])) {
    process.once(signal, () => {
      interruptedWith = code;
      process.stderr.write(`\n${signal}: stopping moto and exiting.\n`);
      stopEverything().finally(() => process.exit(code));
    });
  }
};
