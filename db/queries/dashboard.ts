import { sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';

export type Summary = { critical?: number; warning?: number; info?: number; not_assessable?: number } | null;

export type OverviewRow = {
  connection_id: number;
  connection_name: string;
  host: string;
  port: number;
  database: string;
  task_id: number | null;
  task_type: string | null;
  run_id: string | null;
  run_status: 'completed' | 'failed' | null;
  run_finished_at: string | null;
  run_summary: Summary;
  /** Open findings (critical + warning + info) of the task's last completed runs, newest first: "15,12,9". */
  trend: string | null;
};

/** How many of each task's last completed runs the overview's trend shows. */
export const TREND_RUNS = 12;

/**
 * Every connection with each of its tasks' latest finished run and the open-finding counts of its
 * last completed runs: two index probes per task (the task's runs, newest first), the second one
 * index-only (task_executions_completed_idx carries open_findings); never a result is read. The
 * trend is the probe's rows as they come, newest first (an ordered aggregate sorted each task's
 * twelve values again, which cost as much as the probe), sent as one short text: parsing 3,000
 * integer arrays cost the client more than the text's split.
 */
export async function overviewRows(db: DbOrTx): Promise<OverviewRow[]> {
  return db.execute<OverviewRow>(sql`
    select c.id as connection_id, c.name as connection_name, c.host, c.port, c.database,
           t.id as task_id, t.task_type,
           l.id as run_id, l.status as run_status, l.completed_at as run_finished_at, l.summary as run_summary,
           case when t.id is not null then array_to_string(array(
             select e.open_findings from task_executions e
              where e.scheduled_task_id = t.id and e.status = 'completed'
              order by e.id desc limit ${TREND_RUNS}), ',') end as trend
      from connections c
      left join scheduled_tasks t on t.connection_id = c.id
      left join lateral (
        select e.id, e.status, e.completed_at, e.summary from task_executions e
         where e.scheduled_task_id = t.id and e.status in ('completed', 'failed')
         order by e.id desc limit 1
      ) l on true
     order by c.id, t.id`);
}

export type TaskListRow = {
  id: number;
  name: string;
  task_type: string;
  analysis_target: string | null;
  connection_id: number;
  connection_name: string;
  cron_schedule: string;
  timezone: string;
  is_active: boolean;
  next_run_at: string | null;
  last_run_at: string | null;
  last_execution_id: string | null;
  last_status: string | null;
};

export interface TaskListFilter {
  connectionId?: number;
  taskType?: string;
  isActive?: boolean;
  /** The cursor: tasks after this id. */
  afterId?: number;
  /** At most this many tasks, plus one to tell whether more follow; every match without it. */
  limit?: number;
}

const taskConditions = (filter: TaskListFilter): SQL => {
  const conditions: SQL[] = [sql`true`];
  if (filter.connectionId !== undefined) conditions.push(sql`t.connection_id = ${filter.connectionId}`);
  if (filter.taskType !== undefined) conditions.push(sql`t.task_type = ${filter.taskType}`);
  if (filter.isActive !== undefined) conditions.push(sql`t.is_active = ${filter.isActive}`);
  return sql.join(conditions, sql` and `);
};

/**
 * Tasks in id order with their connection's name and their latest execution's status (one index probe per
 * task listed): a connection's, or a page of them from `afterId` on, walked along the primary key.
 */
export async function taskListRows(db: DbOrTx, filter: TaskListFilter = {}): Promise<TaskListRow[]> {
  const after = filter.afterId === undefined ? sql`true` : sql`t.id > ${filter.afterId}`;
  return db.execute<TaskListRow>(sql`
    select t.id, t.name, t.task_type, t.task_params->>'analysis_target' as analysis_target, t.connection_id, c.name as connection_name,
           t.cron_schedule, t.timezone, t.is_active, t.next_run_at, t.last_run_at, l.id as last_execution_id, l.status as last_status
      from (select * from scheduled_tasks t
             where ${taskConditions(filter)} and ${after}
             order by t.id
             ${filter.limit === undefined ? sql`` : sql`limit ${filter.limit + 1}`}) t
      join connections c on c.id = t.connection_id
      left join lateral (select e.id, e.status from task_executions e where e.scheduled_task_id = t.id order by e.id desc limit 1) l on true
     order by t.id`);
}

/** How many tasks match the filter, and how many of them are paused. */
export async function countTasks(db: DbOrTx, filter: TaskListFilter): Promise<{ total: number; paused: number }> {
  const [row] = await db.execute<{ total: number; paused: number }>(sql`
    select count(*)::int as total, (count(*) filter (where not t.is_active))::int as paused
      from scheduled_tasks t
     where ${taskConditions(filter)}`);
  return row;
}

export interface ExecutionPageFilter {
  connectionId?: number;
  taskId?: number;
  taskType?: string;
  status?: string;
  beforeId?: number;
  limit: number;
}

export type ExecutionPageRow = {
  id: string;
  scheduled_task_id: number | null;
  task_name: string | null;
  connection_id: number;
  connection_name: string | null;
  task_type: string;
  trigger: string;
  status: string;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  summary: Summary;
  error_message: string | null;
};

/**
 * One page of executions newest first, from below `beforeId` (the cursor), with one extra row to tell whether more
 * follow.
 */
export async function executionPage(db: DbOrTx, filter: ExecutionPageFilter): Promise<ExecutionPageRow[]> {
  const conditions: SQL[] = [sql`true`];
  if (filter.connectionId !== undefined) conditions.push(sql`e.connection_id = ${filter.connectionId}`);
  if (filter.taskId !== undefined) conditions.push(sql`e.scheduled_task_id = ${filter.taskId}`);
  if (filter.taskType !== undefined) conditions.push(sql`e.task_type = ${filter.taskType}`);
  if (filter.status !== undefined) conditions.push(sql`e.status = ${filter.status}`);
  if (filter.beforeId !== undefined) conditions.push(sql`e.id < ${filter.beforeId}`);
  return db.execute<ExecutionPageRow>(sql`
    select e.id, e.scheduled_task_id, t.name as task_name, e.connection_id, c.name as connection_name, e.task_type, e.trigger, e.status,
           e.created_at, e.started_at, e.completed_at, e.summary, left(e.error_message, 300) as error_message
      from task_executions e
      left join scheduled_tasks t on t.id = e.scheduled_task_id
      left join connections c on c.id = e.connection_id
     where ${sql.join(conditions, sql` and `)}
     order by e.id desc
     limit ${filter.limit + 1}`);
}
