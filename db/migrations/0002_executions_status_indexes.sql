DROP INDEX "task_executions_status_idx";--> statement-breakpoint
CREATE INDEX "task_executions_completed_idx" ON "task_executions" USING btree ("scheduled_task_id","id") WHERE "task_executions"."status" = 'completed';--> statement-breakpoint
CREATE INDEX "task_executions_status_idx" ON "task_executions" USING btree ("status","id") WHERE "task_executions"."status" <> 'completed';