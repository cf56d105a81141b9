import { defineConfig } from 'vitest/config';

// The suites that pin down the pure core and the audit checks, for mutation testing (stryker.config.json): the unit
// and property tests of those modules only, so each of the thousand-odd mutants is judged in seconds. The reliability
// fuzz suites and the adapter and handler tests add minutes per run and kill nothing these do not.
export default defineConfig({
  test: {
    include: [
      'test/unit/core/**/*.test.ts',
      'test/unit/audit/bucket-checks.test.ts',
      'test/unit/audit/key-checks.test.ts',
      'test/unit/audit/run-checks.test.ts',
      'test/property/enforcement-invariants.test.ts',
    ],
    setupFiles: ['test/setup-matchers.ts'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
