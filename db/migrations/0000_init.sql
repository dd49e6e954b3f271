CREATE TABLE "connections" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"host" text NOT NULL,
	"port" integer DEFAULT 5432 NOT NULL,
	"database" text NOT NULL,
	"username" text NOT NULL,
	"password_encrypted" text,
	"sslmode" text DEFAULT 'prefer' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "connections_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "scheduled_tasks" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"task_type" text NOT NULL,
	"connection_id" integer NOT NULL,
	"cron_schedule" text NOT NULL,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"description" text,
	"task_params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"next_run_at" timestamp with time zone,
	"last_run_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "task_executions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"scheduled_task_id" integer,
	"connection_id" integer NOT NULL,
	"task_type" text NOT NULL,
	"task_params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"trigger" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"scheduled_for" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"enqueued_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"deadline_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"result" jsonb,
	"error_message" text
);
--> statement-breakpoint
ALTER TABLE "scheduled_tasks" ADD CONSTRAINT "scheduled_tasks_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_executions" ADD CONSTRAINT "task_executions_scheduled_task_id_scheduled_tasks_id_fk" FOREIGN KEY ("scheduled_task_id") REFERENCES "public"."scheduled_tasks"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "scheduled_tasks_due_idx" ON "scheduled_tasks" USING btree ("next_run_at") WHERE "scheduled_tasks"."is_active";--> statement-breakpoint
CREATE INDEX "scheduled_tasks_connection_idx" ON "scheduled_tasks" USING btree ("connection_id");--> statement-breakpoint
CREATE UNIQUE INDEX "task_executions_slot_key" ON "task_executions" USING btree ("scheduled_task_id","scheduled_for");--> statement-breakpoint
CREATE INDEX "task_executions_task_idx" ON "task_executions" USING btree ("scheduled_task_id","id");--> statement-breakpoint
CREATE INDEX "task_executions_created_idx" ON "task_executions" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "task_executions_status_idx" ON "task_executions" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "task_executions_deadline_idx" ON "task_executions" USING btree ("deadline_at") WHERE "task_executions"."status" = 'running';--> statement-breakpoint
CREATE INDEX "task_executions_open_idx" ON "task_executions" USING btree ("scheduled_task_id") WHERE "task_executions"."status" in ('queued', 'running');