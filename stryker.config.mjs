// npm run test:mutation: mutates the pure core and the audit checks, and runs their unit and property tests
// (vitest.mutation.config.ts) against every mutant. A mutant that survives is an assertion the suite never makes.
// Reports (html, json, and the survivors on the console) go to reports/mutation/, ignored by git; the incremental file
// there lets a re-run test only the mutants whose code or tests changed.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: ['shared/core/**/*.ts', 'shared/audit/checks/**/*.ts'],
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  coverageAnalysis: 'perTest',
  // Two cores: one vitest worker per core.
  concurrency: 2,
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  tempDirName: 'reports/mutation/.stryker-tmp',
  cleanTempDir: true,
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { reportMutants: true, allowColor: false },
  thresholds: { high: 95, low: 90, break: null },
};
