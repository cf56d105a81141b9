// Small helpers for figures: medians and readable numbers.
export const median = (values) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

export const fixed = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

export const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;

export const mib = (bytes) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
