import { describe, expect, it } from 'vitest';
import { ProgressBar } from '../../../cli/progress-bar.js';
import { compareKeys, listingFrom } from '../../../cli/s3-object-lister.js';
import { displayWidth, formatBytes, renderTable, truncate } from '../../../cli/text-table.js';

describe('renderTable', () => {
  it('aligns columns by display width, two spaces apart, numbers to the right', () => {
    expect(renderTable(['KEY', 'N'], [['日本.txt', '1'], ['résumé', '120']], { alignRight: [1] })).toBe(['KEY         N', '日本.txt    1', 'résumé    120'].join('\n'));
  });

  it('cuts the widest column until the table fits the terminal', () => {
    const table = renderTable(['A', 'OBSERVED'], [['x', 'a long observation that does not fit']], { maxWidth: 20 });
    expect(table.split('\n').map(displayWidth).every((width) => width <= 20)).toBe(true);
    expect(table).toBe('A  OBSERVED\nx  a long observati…');
  });

  it('measures wide and combining characters as a terminal shows them', () => {
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth('e\u0301')).toBe(1);
    expect(truncate('日本語のキー', 7)).toBe('日本語…');
  });

  it('formats sizes in binary units', () => {
    expect([formatBytes(undefined), formatBytes(42), formatBytes(6 * 1024 ** 2), formatBytes(5 * 1024 ** 3)]).toEqual(['?', '42 B', '6.0 MiB', '5.0 GiB']);
  });
});

describe('ProgressBar', () => {
  const stream = (isTTY: boolean) => ({
    text: '',
    isTTY,
    columns: 80,
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  });

  it('draws nothing when stderr is not a terminal', () => {
    const target = stream(false);
    const bar = new ProgressBar(target, 'scanning', () => 0);
    bar.update({ done: 1, listed: 2, listingComplete: false, detail: '' }, true);
    bar.around(() => target.write('line\n'));
    bar.finish();
    expect(target.text).toBe('line\n');
  });

  it('redraws in place, at most every 100 ms unless forced, and clears itself around output', () => {
    const target = stream(true);
    let now = 1_000;
    const bar = new ProgressBar(target, 'scanning', () => now);
    bar.update({ done: 1, listed: 4, listingComplete: false, detail: '1 non-compliant' });
    now += 50;
    bar.update({ done: 2, listed: 4, listingComplete: false, detail: '1 non-compliant' });
    bar.around(() => target.write('found\n'));
    bar.finish();
    expect(target.text).toBe(
      '\r\x1b[Kscanning [######..................] 1/4+ · 1 non-compliant' + '\r\x1b[K' + 'found\n' + 'scanning [######..................] 1/4+ · 1 non-compliant' + '\r\x1b[K',
    );
  });

  it('fits the terminal', () => {
    expect(ProgressBar.render('remediating s3://a-very-long-bucket-name/with/a/long/prefix/', { done: 5, listed: 10, listingComplete: true, detail: 'x' }, 40)).toHaveLength(39);
  });
});

describe('listing order', () => {
  it('is UTF-8 byte order, as S3 lists keys, not UTF-16 order', () => {
    // U+FF5E sorts before U+1F600 in UTF-8 bytes, after it in UTF-16 code units.
    expect(compareKeys('\uff5e', '\u{1f600}')).toBeLessThan(0);
    expect('\uff5e' < '\u{1f600}').toBe(false);
  });

  it('a listing from a key starts just before it and keeps only what sorts at or after it', () => {
    const from = listingFrom('logs/b😀');
    expect(from.startAfter).toBe('logs/b');
    expect(['logs/a', 'logs/b', 'logs/b😀', 'logs/b😀x', 'logs/c'].filter(from.keep)).toEqual(['logs/b😀', 'logs/b😀x', 'logs/c']);
    expect(listingFrom('x').startAfter).toBeUndefined();
  });
});
