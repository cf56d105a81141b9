import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHtml, html, joinMarkup, safeHref, trusted } from '../../../shared/report-html/html-escape.js';

describe('escapeHtml', () => {
  it('turns the five characters that end text or an attribute into entities', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });

  it('leaves other text alone, non-ASCII included', () => {
    expect(escapeHtml('bücket → ✓ \u2028 `x` = 1')).toBe('bücket → ✓ \u2028 `x` = 1');
  });

  it('escapes any text as every one of the five characters replaced by its entity would', () => {
    const entities: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
    const text = fc.oneof(fc.string({ unit: fc.constantFrom('&', '<', '>', '"', "'", 'a', ' ', 'ü', '\u2028') }), fc.string({ unit: 'binary' }));
    fc.assert(
      fc.property(text, (value) => {
        expect(escapeHtml(value)).toBe([...value].map((character) => entities[character] ?? character).join(''));
      }),
    );
  });
});

describe('html', () => {
  it('escapes every interpolated string and number, in text and in attributes', () => {
    const value = `"><script>alert(1)</script>`;
    expect(html`<td title="${value}">${value} ${42}</td>`.text).toBe(
      '<td title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt; 42</td>',
    );
  });

  it('keeps markup it made, joins arrays and writes nothing for false, null and undefined', () => {
    const cell = (text: string) => html`<td>${text}</td>`;
    expect(html`<tr>${['<1>', '2'].map(cell)}${false}${null}${undefined}</tr>`.text).toBe('<tr><td>&lt;1&gt;</td><td>2</td></tr>');
  });

  it('keeps trusted markup as it is, and nothing else', () => {
    expect(html`${trusted('<br>')}${'<br>'}`.text).toBe('<br>&lt;br&gt;');
    expect(`${html`<p>${'&'}</p>`}`).toBe('<p>&amp;</p>');
  });

  it('joins markup with a separator, escaping text parts', () => {
    expect(joinMarkup([html`<i>a</i>`, '<b>'], ', ').text).toBe('<i>a</i>, &lt;b&gt;');
  });
});

describe('safeHref', () => {
  it.each([
    'https://reports.example.com/123456789012/latest.html',
    'HTTP://example.com/x',
    '123456789012/2026-03-01/encryption-audit-2026-03-01T030000Z.html',
    '../123456789012/report.html?x=1#top',
    '/reports/a.html',
    '//reports.example.com/a.html',
    '#finding-x',
    'a/b:c.html',
  ])('keeps %s', (href) => {
    expect(safeHref(href)).toBe(href);
  });

  it.each([
    'javascript:alert(1)',
    ' JavaScript:alert(1)',
    'java\tscript:alert(1)',
    'java\nscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox',
    'file:///etc/passwd',
    'mailto:security@example.com',
    '\u0001javascript:alert(1)',
    'report page.html',
    '',
    '   ',
  ])('drops %j', (href) => {
    expect(safeHref(href)).toBeUndefined();
  });

  it('trims surrounding whitespace as a browser would', () => {
    expect(safeHref('  ./a.html \n')).toBe('./a.html');
  });
});
