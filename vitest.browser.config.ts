import { defineConfig } from 'vitest/config';

// Tests in a real Chromium (test/support/chromium.ts): apart from the unit, property and
// integration projects, since they need a browser on the machine.
export default defineConfig({
  test: {
    name: 'browser',
    include: ['test/browser/**/*.browser.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
