import type { Finding } from './types.js';

/**
 * Per-check cap on listed objects: a review of a database with thousands of tables, roles or statements stays
 * readable.
 */
export const LIST_CAP = 50;

/**
 * Keeps the first LIST_CAP items (already worst first) and says how many were left out, so the
 * list is bounded and the DBA knows it.
 */
export function capList<T>(items: T[], cap = LIST_CAP): { shown: T[]; notShown: number } {
  return { shown: items.slice(0, cap), notShown: Math.max(0, items.length - cap) };
}

/**
 * When a check found more objects than it lists, say so on every listed finding, so the count
 * survives whichever finding a reader looks at.
 */
export function noteTruncation(findings: Finding[], total: number, noun: string): Finding[] {
  const notListed = total - findings.length;
  if (notListed <= 0) return findings;
  return findings.map((finding) => ({
    ...finding,
    detail:
      `${finding.detail} ${notListed} more ${noun} not listed (${total} found; a review lists ${LIST_CAP} at ` +
      'most).',
    evidence: { ...finding.evidence, total_found: total, not_listed: notListed },
  }));
}
