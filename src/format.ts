/** How the page, the CLI and the Hub client write a duration: "5 s", "2 min 5 s", "1 h 5 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'unknown';
  // Under a minute, rounded up: a time left never reads "0 s" while work remains.
  const s = seconds < 60 ? Math.ceil(seconds) : Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s % 60} s` : `${s} s`;
}

/**
 * How the page, the CLI and the Hub client write a size, in binary units to three significant figures:
 * "512 B", "210 KiB", "45.3 MiB", "3.25 GiB"; whole numbers without decimals ("1 GiB").
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = Number.isInteger(value) ? 0 : Math.abs(value) < 10 ? 2 : Math.abs(value) < 100 ? 1 : 0;
  return `${value.toFixed(digits)} ${units[unit]}`;
}
