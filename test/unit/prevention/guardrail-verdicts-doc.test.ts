import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  GUARDRAIL_COLUMNS,
  GUARDRAIL_VERDICTS_DOCUMENT,
  GUARDRAIL_VERDICTS_END,
  GUARDRAIL_VERDICTS_START,
  guardrailVerdicts,
  guardrailVerdictsBlock,
  guardrailVerdictsIn,
  renderGuardrailVerdicts,
  withGuardrailVerdicts,
  type GuardrailColumn,
  type Verdict,
  type VerdictRow,
} from '../../support/guardrail-verdicts.js';
import type { UploadEncryptionName } from '../../support/s3-request-matrix.js';

/**
 * docs/AUDIT.md shows what each guardrail refuses and lets through as the independent evaluator decides it. The table
 * is recomputed here: the document must hold exactly it, and it must say what users rely on.
 */

const EVERY_COLUMN = GUARDRAIL_COLUMNS.map(({ id }) => id);
const WRONG_KEY_COLUMNS: readonly GuardrailColumn[] = ['wrongKey', 'bucket', 'rcp'];
const TLS_COLUMNS: readonly GuardrailColumn[] = ['tls', 'bucket', 'rcp'];

let rows: readonly VerdictRow[];
beforeAll(async () => {
  rows = await guardrailVerdicts();
});

/** The verdicts of the rows picked, in the columns named: `{ operation: { column: verdict } }`. */
const verdictsOf = (pick: (row: VerdictRow) => boolean, columns: readonly GuardrailColumn[]): Record<string, Partial<Record<GuardrailColumn, Verdict>>> => {
  const picked = rows.filter(pick);
  expect(picked.length, 'the matrix holds the rows this test names').toBeGreaterThan(0);
  return Object.fromEntries(picked.map((row) => [row.operation, Object.fromEntries(columns.map((column) => [column, row.verdicts[column]]))]));
};

const all = (pick: (row: VerdictRow) => boolean, columns: readonly GuardrailColumn[], verdict: Verdict) =>
  Object.fromEntries(rows.filter(pick).map((row) => [row.operation, Object.fromEntries(columns.map((column) => [column, verdict]))]));

const httpsUpload = (encryption: UploadEncryptionName) => (row: VerdictRow) => row.kind === 'upload' && row.transport === 'HTTPS' && row.encryption === encryption;

describe(`the guardrail verdicts in ${GUARDRAIL_VERDICTS_DOCUMENT}`, () => {
  it('are exactly the table the evaluator gives today', () => {
    const document = readFileSync(join(process.cwd(), GUARDRAIL_VERDICTS_DOCUMENT), 'utf8');
    const expected = guardrailVerdictsBlock(renderGuardrailVerdicts(rows));
    expect(guardrailVerdictsIn(document), `${GUARDRAIL_VERDICTS_DOCUMENT} is out of date between its guardrail-verdicts markers: run \`npm run docs:guardrails\``).toBe(expected);
    expect(withGuardrailVerdicts(document, renderGuardrailVerdicts(rows))).toBe(document);
  });

  it('cover every operation of the request matrix, in its order, with one verdict per guardrail', () => {
    expect(rows).toHaveLength(30);
    expect(new Set(rows.map((row) => row.operation)).size).toBe(rows.length);
    for (const row of rows) expect(Object.keys(row.verdicts)).toEqual(EVERY_COLUMN);
  });

  it('let everything through without a guardrail (each denial below is the guardrail’s)', () => {
    expect(verdictsOf(() => true, ['none'])).toEqual(all(() => true, ['none'], 'allowed'));
  });

  it('let an upload with no encryption headers through under every guardrail, over HTTPS', () => {
    expect(verdictsOf(httpsUpload('no encryption headers'), EVERY_COLUMN)).toEqual(all(httpsUpload('no encryption headers'), EVERY_COLUMN, 'allowed'));
  });

  it("let an upload naming the required key's ARN through under every guardrail, over HTTPS", () => {
    const pick = httpsUpload("aws:kms with the required key's ARN");
    expect(verdictsOf(pick, EVERY_COLUMN)).toEqual(all(pick, EVERY_COLUMN, 'allowed'));
  });

  it.each<UploadEncryptionName>([
    'AES256',
    'aws:kms with no key id',
    "aws:kms with another key's ARN",
    "aws:kms with the required key's alias name",
    "aws:kms with the required key's alias ARN",
    "aws:kms with the required key's bare key id",
  ])('deny %s under the wrong-key Denies, alone, with TLS only and in the RCP', (encryption) => {
    expect(verdictsOf(httpsUpload(encryption), WRONG_KEY_COLUMNS)).toEqual(all(httpsUpload(encryption), WRONG_KEY_COLUMNS, 'denied'));
  });

  it('deny every request over HTTP under TLS only, with the wrong-key Denies and in the RCP', () => {
    const overHttp = (row: VerdictRow) => row.transport === 'HTTP';
    expect(verdictsOf(overHttp, TLS_COLUMNS)).toEqual(all(overHttp, TLS_COLUMNS, 'denied'));
  });

  it("let the grantee's read and the enforcer's remediation copy through under every guardrail, over HTTPS", () => {
    const pick = (row: VerdictRow) => row.transport === 'HTTPS' && (row.kind === 'read' || row.kind === 'remediation');
    expect(Object.keys(verdictsOf(pick, EVERY_COLUMN))).toHaveLength(2);
    expect(verdictsOf(pick, EVERY_COLUMN)).toEqual(all(pick, EVERY_COLUMN, 'allowed'));
  });

  it('let the administrator change the bucket policy and encryption under every guardrail, over HTTPS', () => {
    const pick = (row: VerdictRow) => row.kind === 'administration';
    expect(Object.keys(verdictsOf(pick, EVERY_COLUMN))).toEqual([
      'PutBucketPolicy by the administrator, over HTTPS',
      'PutEncryptionConfiguration by the administrator, over HTTPS',
      'DeleteBucketPolicy by the administrator, over HTTPS',
    ]);
    expect(verdictsOf(pick, EVERY_COLUMN)).toEqual(all(pick, EVERY_COLUMN, 'allowed'));
  });
});

describe('the markers', () => {
  const document = (between: string) => `# Title\n\nBefore.\n\n${GUARDRAIL_VERDICTS_START}${between}${GUARDRAIL_VERDICTS_END}\n\nAfter.\n`;

  it('take the table between them, and nothing else changes', () => {
    expect(withGuardrailVerdicts(document('\nold table\n'), '| a |')).toBe(document('\n\n| a |\n\n'));
    expect(guardrailVerdictsIn(document('\n\n| a |\n\n'))).toBe('\n\n| a |\n\n');
  });

  it('a second write changes nothing', () => {
    const once = withGuardrailVerdicts(document(''), '| a |');
    expect(withGuardrailVerdicts(once, '| a |')).toBe(once);
  });

  it('must each be there exactly once, start before end', () => {
    expect(() => guardrailVerdictsIn('no markers')).toThrow(/exactly once/);
    expect(() => guardrailVerdictsIn(`${GUARDRAIL_VERDICTS_START}${GUARDRAIL_VERDICTS_START}${GUARDRAIL_VERDICTS_END}`)).toThrow(/exactly once/);
    expect(() => guardrailVerdictsIn(`${GUARDRAIL_VERDICTS_END}${GUARDRAIL_VERDICTS_START}`)).toThrow(/comes before/);
  });
});
