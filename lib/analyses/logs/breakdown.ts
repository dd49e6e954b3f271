import { detach } from './log-entry.js';

/** Counts by a name read from the log: a database, a user, a host, a reason. */
export type Breakdown = Record<string, number>;

/** Without a prototype, a database named "constructor" or "__proto__" is a key like any other. */
export function emptyBreakdown(): Breakdown {
  return Object.create(null) as Breakdown;
}

/** Counts into a small breakdown; a key beyond the first `maxKeys` is folded into "(other)". */
export function countInto(breakdown: Breakdown, key: string, maxKeys: number): void {
  // A key already counted is the common case: it is found without listing the keys.
  const n = breakdown[key];
  if (n !== undefined) breakdown[key] = n + 1;
  else if (Object.keys(breakdown).length < maxKeys) breakdown[detach(key)] = 1;
  else breakdown['(other)'] = (breakdown['(other)'] ?? 0) + 1;
}
