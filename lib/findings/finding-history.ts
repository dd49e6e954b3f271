import { z } from 'zod';
import { getDb } from '../../db/client.js';
import { findConnection } from '../../db/queries/connections.js';
import {
  completedAtOf,
  completedRunsOfTask,
  latestCompletedRunsOfConnection,
  resolutionRunsOfConnection,
  type ChainRun,
} from '../../db/queries/finding-history.js';
import type { DbOrTx } from '../../db/client.js';
import { notFound } from '../http/errors.js';

export const findingStates = ['open', 'resolved'] as const;
export type FindingState = (typeof findingStates)[number];

export const findingHistoryQuery = z.object({
  state: z.enum(findingStates, { message: 'state must be open or resolved' }).default('open'),
});

/** Resolved findings are listed for this many days back. */
export const RESOLVED_WINDOW_DAYS = 30;
// Runs read per step of a chain walk: one page covers a daily task's retention; hourly ones take a few.
const CHAIN_PAGE = 500;

export interface FindingHistoryEntry {
  task_id: number;
  task_name: string;
  task_type: string;
  analysis_target: string | null;
  check: string;
  object: string | null;
  severity: string;
  title: string;
  recommendation: string | null;
  /** The first run of the unbroken streak the finding is in (or was in, for a resolved one). */
  first_seen_execution_id: number;
  first_seen: string;
  last_seen_execution_id: number;
  last_seen: string;
  /** Completed runs of the task in which the finding was present, first_seen to last_seen. */
  runs: number;
  resolved_execution_id: number | null;
  resolved_at: string | null;
}

export interface FindingHistory {
  connection_id: number;
  state: FindingState;
  findings: FindingHistoryEntry[];
}

/**
 * Open (or recently resolved) findings of a connection's tasks with how long they have been there,
 * derived from the stored executions: a finding (`check` + `object`) is followed back along the
 * runs' `changes.previous_execution_id` links to the run that listed it as new.
 */
export async function findingHistory(connectionId: number, state: FindingState): Promise<FindingHistory> {
  const db = getDb();
  if (!(await findConnection(db, connectionId))) throw notFound(`Connection ${connectionId}`);
  const findings = state === 'open' ? await openFindings(db, connectionId) : await resolvedFindings(db, connectionId);
  return { connection_id: connectionId, state, findings };
}

const severityRank: Record<string, number> = { critical: 0, warning: 1, info: 2 };
const keyOf = (f: { check: string; object: string | null }) => `${f.check}\u0000${f.object ?? ''}`;

function byImportance(a: FindingHistoryEntry, b: FindingHistoryEntry): number {
  return (
    (severityRank[a.severity] ?? 3) - (severityRank[b.severity] ?? 3) ||
    a.first_seen_execution_id - b.first_seen_execution_id ||
    a.check.localeCompare(b.check)
  );
}

export async function openFindings(db: DbOrTx, connectionId: number): Promise<FindingHistoryEntry[]> {
  const entries: FindingHistoryEntry[] = [];
  for (const latest of await latestCompletedRunsOfConnection(db, connectionId)) {
    const streaks = await walkBack(db, latest.taskId, latest.executionId, latest.findings.map(keyOf));
    for (const f of latest.findings) {
      const streak = streaks.get(keyOf(f)) ?? {
        first: { id: latest.executionId, completedAt: latest.completedAt },
        runs: 1,
      };
      entries.push({
        task_id: latest.taskId,
        task_name: latest.taskName,
        task_type: latest.taskType,
        analysis_target: latest.analysisTarget,
        check: f.check,
        object: f.object ?? null,
        severity: f.severity,
        title: f.title,
        recommendation: f.recommendation ?? null,
        first_seen_execution_id: streak.first.id,
        first_seen: streak.first.completedAt,
        last_seen_execution_id: latest.executionId,
        last_seen: latest.completedAt,
        runs: streak.runs,
        resolved_execution_id: null,
        resolved_at: null,
      });
    }
  }
  return entries.sort(byImportance);
}

/** The latest resolution of each finding in the window, unless it has come back since (then it is open). */
export async function resolvedFindings(db: DbOrTx, connectionId: number): Promise<FindingHistoryEntry[]> {
  const since = new Date(Date.now() - RESOLVED_WINDOW_DAYS * 86_400_000);
  const [resolutions, latest] = await Promise.all([
    resolutionRunsOfConnection(db, connectionId, since),
    latestCompletedRunsOfConnection(db, connectionId),
  ]);
  const openNow = new Set(latest.flatMap((run) => run.findings.map((f) => `${run.taskId}\u0000${keyOf(f)}`)));
  const taskOf = new Map(latest.map((run) => [run.taskId, run]));
  const seen = new Set<string>();
  const entries: FindingHistoryEntry[] = [];
  for (const run of resolutions) {
    const task = taskOf.get(run.taskId);
    if (!task || run.previousExecutionId === null) continue;
    const wanted = run.resolved.filter((f) => {
      const id = `${run.taskId}\u0000${keyOf(f)}`;
      if (seen.has(id) || openNow.has(id)) return false;
      seen.add(id);
      return true;
    });
    if (wanted.length === 0) continue;
    const streaks = await walkBack(db, run.taskId, run.previousExecutionId, wanted.map(keyOf));
    const lastSeenAt = (await completedAtOf(db, [run.previousExecutionId])).get(run.previousExecutionId);
    for (const f of wanted) {
      // Retention deleted the run it was last seen in: nothing left to date it by.
      const streak = streaks.get(keyOf(f));
      if (!streak) continue;
      entries.push({
        task_id: run.taskId,
        task_name: task.taskName,
        task_type: task.taskType,
        analysis_target: task.analysisTarget,
        check: f.check,
        object: f.object ?? null,
        severity: f.severity,
        title: f.title,
        recommendation: null,
        first_seen_execution_id: streak.first.id,
        first_seen: streak.first.completedAt,
        last_seen_execution_id: run.previousExecutionId,
        // The previous run may have been deleted by retention; its successor's time bounds it.
        last_seen: lastSeenAt ?? run.completedAt,
        runs: streak.runs,
        resolved_execution_id: run.executionId,
        resolved_at: run.completedAt,
      });
    }
  }
  return entries;
}

interface Streak {
  first: { id: number; completedAt: string };
  runs: number;
}

/**
 * Walks a task's runs from `startId` back along `changes.previous_execution_id` until every key has
 * met the run that listed it as new (or the start of the chain: a first run lists nothing as new).
 * When retention has deleted the older runs, the oldest stored run of the chain is the answer.
 */
async function walkBack(db: DbOrTx, taskId: number, startId: number, keys: string[]): Promise<Map<string, Streak>> {
  const found = new Map<string, Streak>();
  const pending = new Set(keys);
  let cursor: number | null = startId;
  let oldest: ChainRun | undefined;
  let runs = 0;
  let page = new Map<number, ChainRun>();
  while (pending.size > 0 && cursor !== null) {
    if (!page.has(cursor)) {
      const rows = await completedRunsOfTask(db, taskId, cursor, CHAIN_PAGE);
      page = new Map(rows.map((r) => [r.id, r]));
      if (!page.has(cursor)) break;
    }
    const run: ChainRun = page.get(cursor)!;
    runs += 1;
    oldest = run;
    const previous = run.changes?.previous_execution_id ?? null;
    const listedNew = new Set((run.changes?.new ?? []).map(keyOf));
    for (const key of [...pending]) {
      if (previous === null || listedNew.has(key)) {
        found.set(key, { first: { id: run.id, completedAt: run.completedAt }, runs });
        pending.delete(key);
      }
    }
    cursor = previous;
  }
  for (const key of pending)
    if (oldest) found.set(key, { first: { id: oldest.id, completedAt: oldest.completedAt }, runs });
  return found;
}
