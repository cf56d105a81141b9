import { defineConfig } from 'vitest/config';

// The SDK warns on every run that Node 20 support ends in 2027; the runtime target is Node 22.
const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], setupFiles: ['test/setup-matchers.ts'], env } },
      { test: { name: 'property', include: ['test/property/**/*.test.ts'], setupFiles: ['test/setup-matchers.ts'], env } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          setupFiles: ['test/setup-matchers.ts'],
          env,
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
