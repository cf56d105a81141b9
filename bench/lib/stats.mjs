// Small helpers for figures: medians and readable numbers.
/**
 * @param {readonly number[]} values
 * @returns {number}
 */
export const median = (values) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const at = (/** @type {number} */ index) => /** @type {number} */ (sorted[index]);
  return sorted.length % 2 === 1 ? at(middle) : (at(middle - 1) + at(middle)) / 2;
};

/**
 * @param {number} value
 * @param {number} [digits]
 */
export const fixed = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** @param {number} bytes */
export const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;

/** @param {number} bytes */
export const mib = (bytes) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
