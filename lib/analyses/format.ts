/** Numbers as findings write them, the same in every analysis. */

/** 512 bytes, 1.5 kB, 4 MB, 150 MB: binary units as PostgreSQL names them, one decimal below 100. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** 1,234,567: rounded, with thousands separators. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
