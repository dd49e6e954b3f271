import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core';
import { connections } from './connections.js';

export const scheduledTasks = pgTable(
  'scheduled_tasks',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    taskType: text('task_type').notNull(),
    connectionId: integer('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'restrict' }),
    cronSchedule: text('cron_schedule').notNull(),
    timezone: text('timezone').notNull().default('UTC'),
    description: text('description'),
    taskParams: jsonb('task_params').$type<Record<string, unknown>>().notNull().default({}),
    isActive: boolean('is_active').notNull().default(true),
    nextRunAt: timestamp('next_run_at', { withTimezone: true }),
    lastRunAt: timestamp('last_run_at', { withTimezone: true }),
    // Why the scheduler set the task inactive (its next slot could not be computed); cleared when the schedule is
    // changed.
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The tick's only read: a partial index keeps "nothing due" as cheap at 100k tasks as at 1k.
    index('scheduled_tasks_due_idx')
      .on(t.nextRunAt)
      .where(sql`${t.isActive}`),
    index('scheduled_tasks_connection_idx').on(t.connectionId),
  ],
);

export type TaskRow = typeof scheduledTasks.$inferSelect;
