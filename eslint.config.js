import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.serverless/**', 'coverage/**', 'reports/**', '.reliability/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // The pure core must not reach AWS: only ports, never SDK clients or adapters.
    files: ['shared/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@aws-sdk/*', '**/adapters/*', '@aws-lambda-powertools/*'] }],
    },
  },
  {
    // Configuration is read in one place only. The one other reader of the environment is the
    // credential provider the function bundles use in place of the SDK's, which, like the SDK's,
    // reads the execution role's credentials at each resolution: identity, not configuration.
    files: ['functions/**/*.ts', 'shared/**/*.ts'],
    ignores: ['shared/config/**/*.ts', 'shared/aws/lambda-credentials.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through shared/config.' }],
    },
  },
  {
    files: ['infra/**/*.mjs', 'test/**/*.mjs', 'scripts/**/*.mjs', 'bin/**/*.mjs'],
    rules: { 'no-console': 'off' },
  },
  {
    // The CLI reads the environment in its entry point only, and passes it down (cli/cli-io.ts).
    files: ['cli/**/*.ts'],
    ignores: ['cli/enforcer.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Use the CliIo env the entry point passes in.' }],
    },
  },
);
