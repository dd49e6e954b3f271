import type { Severity } from '../types.js';

/**
 * Severity from a measured value and the thresholds of an anchor tool, highest first:
 * gradeBy(700, [[600, 'critical'], [300, 'warning'], [60, 'info']]) → 'critical'.
 */
export function gradeBy(value: number, steps: Array<[number, Severity]>): Severity | null {
  for (const [atLeast, severity] of steps) if (value >= atLeast) return severity;
  return null;
}
