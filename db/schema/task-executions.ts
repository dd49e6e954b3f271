import { sql } from 'drizzle-orm';
import { bigserial, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { scheduledTasks } from './scheduled-tasks.js';

const summaryCount = (severity: string) =>
  `(case when jsonb_typeof(result -> 'summary' -> '${severity}') = 'number' then (result -> 'summary' ->> '${severity}')::numeric::int ` +
  'else 0 end)';

export const executionStatuses = ['queued', 'running', 'completed', 'failed', 'skipped', 'cancelled'] as const;
export type ExecutionStatus = (typeof executionStatuses)[number];

export const executionTriggers = ['schedule', 'manual', 'queue'] as const;
export type ExecutionTrigger = (typeof executionTriggers)[number];

export const taskExecutions = pgTable(
  'task_executions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    // Nulled when the task is deleted: history outlives the task.
    scheduledTaskId: integer('scheduled_task_id').references(() => scheduledTasks.id, { onDelete: 'set null' }),
    // Copied from the task so history stays meaningful after the task or connection is gone.
    connectionId: integer('connection_id').notNull(),
    taskType: text('task_type').notNull(),
    taskParams: jsonb('task_params').$type<Record<string, unknown>>().notNull().default({}),
    trigger: text('trigger').$type<ExecutionTrigger>().notNull(),
    status: text('status').$type<ExecutionStatus>().notNull().default('queued'),
    // The cron slot a scheduled run belongs to; unique per task so no slot is enqueued twice.
    scheduledFor: timestamp('scheduled_for', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    enqueuedAt: timestamp('enqueued_at', { withTimezone: true }),
    startedAt: timestamp('started_at', { withTimezone: true }),
    deadlineAt: timestamp('deadline_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    attempts: integer('attempts').notNull().default(0),
    result: jsonb('result').$type<Record<string, unknown>>(),
    errorMessage: text('error_message'),
    // Set with the outcome when an active channel exists, cleared once its notification events are
    // queued: events whose queueing failed after the outcome was written are queued by the tick.
    notificationsPending: boolean('notifications_pending').notNull().default(false),
    // Small copies of the result's counts and changes, kept in the row itself: the dashboard and the
    // finding history read them for thousands of runs, where reading `result` would fetch every
    // run's whole (often large, out-of-line) document.
    summary: jsonb('summary')
      .$type<Record<string, number>>()
      .generatedAlwaysAs(sql`result -> 'summary'`),
    changes: jsonb('changes')
      .$type<Record<string, unknown>>()
      .generatedAlwaysAs(sql`result -> 'changes'`),
    // Critical + warning + info of the run: the dashboard's trends read it from the index alone.
    // A count that is not a JSON number counts 0 rather than failing the write of the outcome.
    openFindings: integer('open_findings').generatedAlwaysAs(
      sql.raw(['critical', 'warning', 'info'].map(summaryCount).join(' + ')),
    ),
  },
  (t) => [
    uniqueIndex('task_executions_slot_key').on(t.scheduledTaskId, t.scheduledFor),
    index('task_executions_task_idx').on(t.scheduledTaskId, t.id),
    // The executions list filtered by connection, newest first: without it a connection with few
    // runs among a million is found by walking the whole primary key backwards.
    index('task_executions_connection_idx').on(t.connectionId, t.id),
    index('task_executions_created_idx').on(t.createdAt),
    // Listing by a status other than completed, newest first. Completed runs are most of the table:
    // listed by walking the primary key, and left out here so that finishing a run writes less and
    // the previous-result lookup below is not tempted by a scan of every completed run.
    index('task_executions_status_idx')
      .on(t.status, t.id)
      .where(sql`${t.status} <> 'completed'`),
    // The task's latest completed result, which each execution compares against: one probe here
    // instead of walking every task's completed runs newest first until this task's turns up.
    // open_findings trails the key so the dashboard's trend of a task's last runs is an index-only scan.
    index('task_executions_completed_idx')
      .on(t.scheduledTaskId, t.id, t.openFindings)
      .where(sql`${t.status} = 'completed'`),
    // Almost always empty: the tick's look for outcomes whose events still wait costs one probe.
    index('task_executions_notifications_pending_idx')
      .on(t.id)
      .where(sql`${t.notificationsPending}`),
    index('task_executions_deadline_idx')
      .on(t.deadlineAt)
      .where(sql`${t.status} = 'running'`),
    // Unfinished work is a tiny fraction of history: the tick's overlap check probes only this.
    index('task_executions_open_idx')
      .on(t.scheduledTaskId)
      .where(sql`${t.status} in ('queued', 'running')`),
  ],
);

export type ExecutionRow = typeof taskExecutions.$inferSelect;
