// The table itself is shared with `npm start` and the bench, which Node runs without a TypeScript
// step; esbuild bundles it into the CLI from there.
export { displayWidth, renderTable, truncate, type TableOptions } from '../tooling/text-table.mjs';

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
