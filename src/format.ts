/** How the page, the CLI and the Hub client write a duration: "5 s", "2 min 5 s", "1 h 5 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'unknown';
  // Under a minute, rounded up: a time left never reads "0 s" while work remains.
  const s = seconds < 60 ? Math.ceil(seconds) : Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s % 60} s` : `${s} s`;
}
