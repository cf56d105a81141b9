/** Code points a terminal shows two cells wide: CJK, kana, Hangul, full-width forms, emoji. */
const WIDE_RANGES: ReadonlyArray<readonly [number, number]> = [
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
/** Combining marks and zero-width characters take no cell of their own. */
const ZERO_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x0300, 0x036f],
  [0x200b, 0x200f],
  [0xfe00, 0xfe0f],
];

const within = (ranges: ReadonlyArray<readonly [number, number]>, codePoint: number): boolean =>
  ranges.some(([low, high]) => codePoint >= low && codePoint <= high);

const cellsOf = (character: string): number => {
  const codePoint = character.codePointAt(0) ?? 0;
  return within(ZERO_RANGES, codePoint) ? 0 : within(WIDE_RANGES, codePoint) ? 2 : 1;
};

export const displayWidth = (text: string): number => {
  let width = 0;
  for (const character of text) width += cellsOf(character);
  return width;
};

/** Cut to at most `width` columns, marking the cut with `…`. */
export const truncate = (text: string, width: number): string => {
  if (displayWidth(text) <= width) return text;
  let result = '';
  for (const character of text) {
    if (displayWidth(result + character) > width - 1) break;
    result += character;
  }
  return `${result}…`;
};

const pad = (text: string, width: number, align: 'left' | 'right'): string => {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'right' ? fill + text : text + fill;
};

export interface TableOptions {
  /** Columns to right-align (numbers). */
  readonly alignRight?: readonly number[] | undefined;
  /** The terminal's width: the widest columns are cut until the table fits. */
  readonly maxWidth?: number | undefined;
}

const GAP = '  ';
const MIN_COLUMN = 8;

/** A plain-text table: a header row and one line per row, columns two spaces apart. */
export const renderTable = (headers: readonly string[], rows: readonly (readonly string[])[], options: TableOptions = {}): string => {
  const widths = headers.map((header, column) => Math.max(displayWidth(header), ...rows.map((row) => displayWidth(row[column] ?? ''))));
  if (options.maxWidth !== undefined) {
    const budget = options.maxWidth - GAP.length * (headers.length - 1);
    let total = widths.reduce((sum, width) => sum + width, 0);
    while (total > budget) {
      const widest = widths.indexOf(Math.max(...widths));
      if ((widths[widest] as number) <= MIN_COLUMN) break;
      widths[widest] = (widths[widest] as number) - 1;
      total -= 1;
    }
  }
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => pad(truncate(cell, widths[column] as number), widths[column] as number, options.alignRight?.includes(column) ? 'right' : 'left'))
      .join(GAP)
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
};

export const formatCount = (value: number): string => value.toLocaleString('en-US');

export const formatBytes = (bytes: number | undefined): string => {
  if (bytes === undefined) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
};
