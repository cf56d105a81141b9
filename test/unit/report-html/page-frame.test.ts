import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, PAGE_CLOSING, STYLESHEET, pageOpening } from '../../../shared/report-html/page-frame.js';
import { inertProblems, occurrences } from './fixtures.js';

const page = pageOpening('Audit <of> "everything" & more') + '<p>body</p>\n' + PAGE_CLOSING;

const styleText = (text: string): string => {
  const match = /<style>([\s\S]*?)<\/style>/.exec(text);
  if (!match) throw new Error('no style element');
  return match[1] ?? '';
};

describe('the page frame', () => {
  it('is a whole document with a charset, a viewport and no referrer', () => {
    expect(page.startsWith('<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n')).toBe(true);
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(page).toContain('<meta name="referrer" content="no-referrer">');
    expect(page.endsWith('</main>\n</body>\n</html>\n')).toBe(true);
  });

  it('escapes the title', () => {
    expect(page).toContain('<title>Audit &lt;of&gt; &quot;everything&quot; &amp; more</title>');
  });

  it('states a policy that allows nothing but its own stylesheet', () => {
    expect(CONTENT_SECURITY_POLICY.startsWith("default-src 'none';")).toBe(true);
    expect(CONTENT_SECURITY_POLICY).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]{43}='; img-src 'none'; base-uri 'none'; form-action 'none'$/);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe|\*|https?:|script-src/);
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(page)?.[1];
    expect(meta?.replace(/&#39;/g, "'")).toBe(CONTENT_SECURITY_POLICY);
  });

  it('allows the stylesheet by the hash of the exact text in the page', () => {
    const text = styleText(page);
    expect(text).toBe(STYLESHEET);
    const hash = createHash('sha256').update(text, 'utf8').digest('base64');
    expect(CONTENT_SECURITY_POLICY).toContain(`style-src 'sha256-${hash}'`);
  });

  it('states the policy before the one stylesheet, which has only line feeds', () => {
    expect(page.indexOf('Content-Security-Policy')).toBeLessThan(page.indexOf('<style>'));
    expect(occurrences(page, '<style')).toBe(1);
    expect(STYLESHEET).not.toContain('\r');
  });

  it('has no script, no external resource and no inline style', () => {
    expect(inertProblems(page)).toEqual([]);
    expect(page).not.toMatch(/<script|<link|@import|url\(|\sstyle=/i);
  });

  it('prints black on white and shows closed sections', () => {
    const print = STYLESHEET.slice(STYLESHEET.indexOf('@media print'));
    expect(print).toContain('color: #000; background: #fff;');
    expect(print).toContain('::details-content { content-visibility: visible; }');
    // It hides only the disclosure triangle: the summaries print as plain headings.
    const hidden = [...print.matchAll(/([^{}]+)\{[^}]*(display: none|visibility: hidden)[^}]*\}/g)].map(([, selector = '']) => selector.trim());
    expect(hidden).toEqual(['details > summary::-webkit-details-marker']);
  });
});
