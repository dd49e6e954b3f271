import type { Finding, Severity } from '../types.js';

/** Per-check cap on listed objects: a review of a database with thousands of roles or functions stays readable. */
export const LIST_CAP = 50;

/**
 * Severity from a measured value and the thresholds of an anchor tool, highest first:
 * gradeBy(700, [[600, 'critical'], [300, 'warning'], [60, 'info']]) → 'critical'.
 */
export function gradeBy(value: number, steps: Array<[number, Severity]>): Severity | null {
  for (const [atLeast, severity] of steps) if (value >= atLeast) return severity;
  return null;
}

/**
 * When a check found more objects than it lists, say so on every listed finding, so the
 * count survives whichever finding a reader looks at.
 */
export function noteTruncation(findings: Finding[], total: number): Finding[] {
  if (total <= findings.length) return findings;
  const more = total - findings.length;
  return findings.map((f) => ({
    ...f,
    detail: `${f.detail} (${total} found in all; ${more} more not listed.)`,
    evidence: { ...f.evidence, total_found: total, not_listed: more },
  }));
}

export function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}

/** Single-quoted SQL literal, for recommendations the DBA will paste. */
export function sqlLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
