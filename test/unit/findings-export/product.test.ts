import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRODUCT } from '../../../shared/product.js';

describe('PRODUCT', () => {
  it('names the package and its version, as Security Hub and OCSF consumers see them', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { name: string; version: string };
    expect({ name: PRODUCT.name, version: PRODUCT.version }).toEqual({ name: pkg.name, version: pkg.version });
  });
});
