import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HtmlCopyStore } from '../../../cli/html-copy-store.js';
import { MemoryReportStore } from '../../fixtures/memory-report-store.js';

const PAGE = '<!doctype html><title>report</title>\n';
const report = (key: string, text: string) => ({
  key,
  contentType: 'text/html; charset=utf-8',
  kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/k',
  body: async function* () {
    yield text;
  },
  contentLength: Buffer.byteLength(text),
});

describe('HtmlCopyStore (enforcer audit --html FILE)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'html-copy-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the page it is asked for to the file, byte for byte, in a folder it makes; other reports only to the store', async () => {
    const inner = new MemoryReportStore();
    const file = join(dir, 'new', 'folder', 'page.html');
    const store = new HtmlCopyStore(inner, (key) => key.endsWith('.html'), file);
    await store.write(report('a/report.json', '{}'));
    await store.write(report('a/report.html', PAGE));
    expect(readFileSync(file, 'utf8')).toBe(PAGE);
    expect(store.copiedKey).toBe('a/report.html');
    expect([...inner.objects.keys()]).toEqual(['a/report.json', 'a/report.html']);
  });

  it('a file it cannot write is said, and the report still counts as stored', async () => {
    const inner = new MemoryReportStore();
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'not a folder');
    const store = new HtmlCopyStore(inner, () => true, join(blocker, 'page.html'));
    await expect(store.write(report('a/report.html', PAGE))).resolves.toBeUndefined();
    expect(inner.objects.get('a/report.html')).toBe(PAGE);
    expect(store.copiedKey).toBeUndefined();
    expect(store.copyError).toMatch(/EEXIST|ENOTDIR/);
  });
});
