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
