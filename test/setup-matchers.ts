import { relative } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import { allCustomMatcher } from 'aws-sdk-client-mock-vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { describeTestSeed, TEST_SEED } from './fixtures/test-seed.js';

expect.extend(allCustomMatcher);

// Every property runs from the one seed, so figures repeat run after run; fast-check's failure report names the seed and
// path that replay it.
fc.configureGlobal({ seed: TEST_SEED.seed });

const testPath = expect.getState().testPath;
const testFile = testPath === undefined ? undefined : relative(process.cwd(), testPath).replaceAll('\\', '/');
if (testFile?.startsWith('test/property/')) process.stdout.write(`${testFile}: fast-check ${describeTestSeed(TEST_SEED)}\n`);
