import { integer, pgTable, timestamp } from 'drizzle-orm/pg-core';

/**
 * Executions counted by five-minute bucket of created_at and by status, kept by statement triggers on
 * task_executions (migration 0008) in the same transaction as every insert, update and delete, so the
 * counts are exactly what counting the rows would give. Each statement appends its own row (no row is
 * ever updated, so writers never wait for each other); the tick folds a bucket's rows into one
 * (db/queries/execution-counts.ts). GET /scheduler/stats sums the buckets of the last 24 hours instead
 * of counting a day of executions.
 */
export const executionCounts = pgTable('execution_counts', {
  bucket: timestamp('bucket', { withTimezone: true }).notNull(),
  total: integer('total').notNull(),
  completed: integer('completed').notNull(),
  failed: integer('failed').notNull(),
  running: integer('running').notNull(),
});
