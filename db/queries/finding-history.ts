import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { bigintArray } from './arrays.js';

export interface TaskLatestRun {
  taskId: number;
  taskName: string;
  taskType: string;
  analysisTarget: string | null;
  executionId: number;
  completedAt: string;
  findings: Array<{
    check: string;
    object: string | null;
    severity: string;
    title: string;
    recommendation: string | null;
  }>;
}

/** Each task of the connection with its latest completed run and that run's findings (one probe per task). */
export async function latestCompletedRunsOfConnection(db: DbOrTx, connectionId: number): Promise<TaskLatestRun[]> {
  const rows = await db.execute<{
    task_id: number;
    task_name: string;
    task_type: string;
    analysis_target: string | null;
    execution_id: string;
    completed_at: string;
    findings: TaskLatestRun['findings'] | null;
  }>(sql`
    select t.id as task_id, t.name as task_name, t.task_type, t.task_params->>'analysis_target' as analysis_target,
           l.id as execution_id, l.completed_at, l.result->'findings' as findings
      from scheduled_tasks t
      join lateral (
        select e.id, e.completed_at, e.result from task_executions e
         where e.scheduled_task_id = t.id and e.status = 'completed'
         order by e.id desc limit 1
      ) l on true
     where t.connection_id = ${connectionId}
     order by t.id`);
  return rows.map((r) => ({
    taskId: r.task_id,
    taskName: r.task_name,
    taskType: r.task_type,
    analysisTarget: r.analysis_target,
    executionId: Number(r.execution_id),
    completedAt: new Date(r.completed_at).toISOString(),
    findings: r.findings ?? [],
  }));
}

export interface ChainRun {
  id: number;
  completedAt: string;
  /** The run's `changes` (copied out of the result into its own column), null for a run without one. */
  changes: { previous_execution_id?: number | null; new?: Array<{ check: string; object: string | null }> } | null;
}

/**
 * A page of a task's completed runs, newest first, from `upToId` down: the chain the runs'
 * `changes.previous_execution_id` link is walked over these. Reads the small `changes` column
 * through the completed-runs index, never the results themselves.
 */
export async function completedRunsOfTask(
  db: DbOrTx,
  taskId: number,
  upToId: number,
  limit: number,
): Promise<ChainRun[]> {
  const rows = await db.execute<{ id: string; completed_at: string; changes: ChainRun['changes'] }>(sql`
    select id, completed_at, changes from task_executions
     where scheduled_task_id = ${taskId} and status = 'completed' and id <= ${upToId}
     order by id desc limit ${limit}`);
  return rows.map((r) => ({
    id: Number(r.id),
    completedAt: new Date(r.completed_at).toISOString(),
    changes: r.changes,
  }));
}

export interface ResolutionRun {
  executionId: number;
  taskId: number;
  completedAt: string;
  previousExecutionId: number | null;
  resolved: Array<{ check: string; object: string | null; severity: string; title: string }>;
}

/** Completed runs of the connection's tasks since `since` that resolved at least one finding, newest first. */
export async function resolutionRunsOfConnection(
  db: DbOrTx,
  connectionId: number,
  since: Date,
): Promise<ResolutionRun[]> {
  const rows = await db.execute<{
    id: string;
    task_id: number;
    completed_at: string;
    changes: { previous_execution_id: number | null; resolved: ResolutionRun['resolved'] };
  }>(sql`
    select e.id, e.scheduled_task_id as task_id, e.completed_at, e.changes
      from scheduled_tasks t
      join task_executions e on e.scheduled_task_id = t.id and e.status = 'completed'
     where t.connection_id = ${connectionId}
       and e.completed_at >= ${since.toISOString()}::timestamptz
       and jsonb_array_length(coalesce(e.changes->'resolved', '[]')) > 0
     order by e.id desc`);
  return rows.map((r) => ({
    executionId: Number(r.id),
    taskId: r.task_id,
    completedAt: new Date(r.completed_at).toISOString(),
    previousExecutionId: r.changes.previous_execution_id ?? null,
    resolved: r.changes.resolved,
  }));
}

export async function completedAtOf(db: DbOrTx, ids: number[]): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.execute<{ id: string; completed_at: string }>(sql`
    select id, completed_at from task_executions where id = any(${bigintArray(ids)})`);
  return new Map(rows.map((r) => [Number(r.id), new Date(r.completed_at).toISOString()]));
}
