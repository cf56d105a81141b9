// Plain-text tables sized for terminals, for the `enforcer` CLI (through cli/text-table.ts, bundled
// with it), `npm start` and the bench. Plain JavaScript, so Node runs it as the scripts do.

/** Code points a terminal shows two cells wide: CJK, kana, Hangul, full-width forms, emoji. @type {ReadonlyArray<readonly [number, number]>} */
const WIDE_RANGES = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x3fffd],
];
/** Combining marks and zero-width characters take no cell of their own. @type {ReadonlyArray<readonly [number, number]>} */
const ZERO_RANGES = [
  [0x0300, 0x036f],
  [0x200b, 0x200f],
  [0xfe00, 0xfe0f],
];

/**
 * @param {ReadonlyArray<readonly [number, number]>} ranges
 * @param {number} codePoint
 */
const within = (ranges, codePoint) => ranges.some(([low, high]) => codePoint >= low && codePoint <= high);

/** @param {string} character */
const cellsOf = (character) => {
  const codePoint = character.codePointAt(0) ?? 0;
  return within(ZERO_RANGES, codePoint) ? 0 : within(WIDE_RANGES, codePoint) ? 2 : 1;
};

/**
 * @param {string} text
 * @returns {number}
 */
export const displayWidth = (text) => {
  let width = 0;
  for (const character of text) width += cellsOf(character);
  return width;
};

/**
 * Cut to at most `width` columns, marking the cut with `…`.
 * @param {string} text
 * @param {number} width
 * @returns {string}
 */
export const truncate = (text, width) => {
  if (displayWidth(text) <= width) return text;
  let result = '';
  for (const character of text) {
    if (displayWidth(result + character) > width - 1) break;
    result += character;
  }
  return `${result}…`;
};

/**
 * @param {string} text
 * @param {number} width
 * @param {'left' | 'right'} align
 */
const pad = (text, width, align) => {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'right' ? fill + text : text + fill;
};

/**
 * @typedef {object} TableOptions
 * @property {readonly number[] | undefined} [alignRight] Columns to right-align (numbers).
 * @property {number | undefined} [maxWidth] The terminal's width: the widest columns are cut until the table fits.
 * @property {boolean | undefined} [headerRule] A line of dashes under the header, as wide as each column.
 */

const GAP = '  ';
const MIN_COLUMN = 8;

/**
 * A plain-text table: a header row and one line per row, columns two spaces apart.
 * @param {readonly string[]} headers
 * @param {readonly (readonly string[])[]} rows
 * @param {TableOptions} [options]
 * @returns {string}
 */
export const renderTable = (headers, rows, options = {}) => {
  const widths = headers.map((header, column) => Math.max(displayWidth(header), ...rows.map((row) => displayWidth(row[column] ?? ''))));
  if (options.maxWidth !== undefined) {
    const budget = options.maxWidth - GAP.length * (headers.length - 1);
    let total = widths.reduce((sum, width) => sum + width, 0);
    while (total > budget) {
      const widest = widths.indexOf(Math.max(...widths));
      if (/** @type {number} */ (widths[widest]) <= MIN_COLUMN) break;
      widths[widest] = /** @type {number} */ (widths[widest]) - 1;
      total -= 1;
    }
  }
  /** @param {readonly string[]} cells */
  const line = (cells) =>
    cells
      .map((cell, column) => pad(truncate(cell, /** @type {number} */ (widths[column])), /** @type {number} */ (widths[column]), options.alignRight?.includes(column) ? 'right' : 'left'))
      .join(GAP)
      .trimEnd();
  const rule = options.headerRule ? [line(widths.map((width) => '-'.repeat(width)))] : [];
  return [line(headers), ...rule, ...rows.map(line)].join('\n');
};
