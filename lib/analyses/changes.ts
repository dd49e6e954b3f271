import type { Changes, Finding, FindingRef, PreviousRun, Severity } from './types.js';

const rank: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

// A measured value counts as "notably worse" when it grew by at least this fraction;
// smaller moves are noise between two scheduled runs.
const WORSENED_GROWTH = 0.25;

const key = (f: { check: string; object: string | null }) => `${f.check}\u0000${f.object ?? ''}`;
const ref = (f: Finding): FindingRef => ({ check: f.check, object: f.object, severity: f.severity, title: f.title });

/** Compare this run's findings with the previous completed run of the same task. */
export function diffFindings(current: Finding[], previous: PreviousRun | null): Changes {
  if (!previous) return { previous_execution_id: null, new: [], resolved: [], worsened: [] };
  const before = new Map((previous.result.findings ?? []).map((f) => [key(f), f]));
  const now = new Map(current.map((f) => [key(f), f]));
  const changes: Changes = { previous_execution_id: previous.executionId, new: [], resolved: [], worsened: [] };
  for (const [k, f] of now) {
    const old = before.get(k);
    if (!old) {
      changes.new.push(ref(f));
      continue;
    }
    if (rank[f.severity] > rank[old.severity]) {
      changes.worsened.push({
        ...ref(f),
        previous_severity: old.severity,
        reason: `severity ${old.severity} → ${f.severity}`,
      });
      continue;
    }
    const growth = measuredGrowth(old.evidence, f.evidence);
    if (growth) changes.worsened.push({ ...ref(f), previous_severity: old.severity, reason: growth });
  }
  for (const [k, f] of before) if (!now.has(k)) changes.resolved.push(ref(f));
  return changes;
}

/** Checks put their headline number in `evidence.value`; compare that when both runs have it. */
function measuredGrowth(before: Record<string, unknown>, after: Record<string, unknown>): string | null {
  const a = Number(before?.value);
  const b = Number(after?.value);
  if (!Number.isFinite(a) || !Number.isFinite(b) || a <= 0) return null;
  return b >= a * (1 + WORSENED_GROWTH) ? `value ${a} → ${b}` : null;
}
