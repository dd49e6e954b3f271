import type { Occurrences } from './log-aggregate.js';

export function times(count: number): string {
  return count === 1 ? 'once' : `${count} times`;
}

/** "a (3), b (1)" from a breakdown, largest first. */
export function breakdownText(breakdown: Record<string, number>): string {
  return Object.entries(breakdown)
    .sort((a, b) => b[1] - a[1])
    .map(([key, count]) => `${key} (${count})`)
    .join(', ');
}

/** " between <first> and <last>" or " at <time>", from the log's own timestamps. */
export function whenText(o: { firstTime: string | null; lastTime: string | null; count: number }): string {
  if (!o.firstTime) return '';
  if (o.count === 1 || o.firstTime === o.lastTime) return ` at ${o.firstTime}`;
  return ` between ${o.firstTime} and ${o.lastTime}`;
}

/** The evidence every per-event finding carries: counts, window, databases, a normalized statement. */
export function occurrenceEvidence(o: Occurrences): Record<string, unknown> {
  return {
    value: o.count,
    count: o.count,
    first_seen: o.firstTime,
    last_seen: o.lastTime,
    databases: o.databases,
    ...(o.statement ? { sample_statement: o.statement } : {}),
  };
}

/**
 * Milliseconds since the epoch of a log time stamp ("2026-11-28 20:00:00.123 UTC", "... +03",
 * "... -0330"); NaN when it cannot be read. Zone abbreviations other than UTC/GMT are read as
 * UTC: only differences between two stamps of one log are taken, so the offset cancels out.
 */
export function logTimeMs(stamp: string): number {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?: ?([+-]\d{2})(?::?(\d{2}))?)?/.exec(stamp);
  if (!m) return NaN;
  const zone = m[3] ? `${m[3]}:${m[4] ?? '00'}` : 'Z';
  return Date.parse(`${m[1]}T${m[2]}${zone}`);
}
