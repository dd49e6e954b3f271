CREATE TABLE "execution_counts" (
	"bucket" timestamp with time zone NOT NULL,
	"total" integer NOT NULL,
	"completed" integer NOT NULL,
	"failed" integer NOT NULL,
	"running" integer NOT NULL
);
--> statement-breakpoint
-- Five-minute buckets. Built only of immutable functions (the epoch of the distance from 1970, not of the
-- timestamp itself, whose date_part is stable), so the planner inlines them into the triggers and the stats query.
CREATE FUNCTION "execution_count_bucket"("at" timestamp with time zone) RETURNS timestamp with time zone
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT to_timestamp(floor(date_part('epoch', "at" - to_timestamp(0)) / 300) * 300) $$;--> statement-breakpoint
CREATE FUNCTION "execution_count_bucket_end"("at" timestamp with time zone) RETURNS timestamp with time zone
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT to_timestamp(floor(date_part('epoch', "at" - to_timestamp(0)) / 300) * 300 + 300) $$;--> statement-breakpoint
-- One row per statement and bucket touched, with what the statement added (+) and took away (-).
CREATE FUNCTION "count_task_executions"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM execution_counts;
  ELSIF TG_OP = 'INSERT' THEN
    INSERT INTO execution_counts (bucket, total, completed, failed, running)
    SELECT execution_count_bucket(created_at), count(*), count(*) FILTER (WHERE status = 'completed'),
           count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE status = 'running')
      FROM new_rows GROUP BY 1;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO execution_counts (bucket, total, completed, failed, running)
    SELECT execution_count_bucket(created_at), -count(*), -count(*) FILTER (WHERE status = 'completed'),
           -count(*) FILTER (WHERE status = 'failed'), -count(*) FILTER (WHERE status = 'running')
      FROM old_rows GROUP BY 1;
  ELSE
    INSERT INTO execution_counts (bucket, total, completed, failed, running)
    SELECT bucket, sum(n), sum(n * (status = 'completed')::int), sum(n * (status = 'failed')::int),
           sum(n * (status = 'running')::int)
      FROM (SELECT execution_count_bucket(created_at) AS bucket, status, 1 AS n FROM new_rows
            UNION ALL
            SELECT execution_count_bucket(created_at), status, -1 FROM old_rows) AS changed
     GROUP BY bucket
    HAVING sum(n) <> 0 OR sum(n * (status = 'completed')::int) <> 0 OR sum(n * (status = 'failed')::int) <> 0
        OR sum(n * (status = 'running')::int) <> 0;
  END IF;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER "task_executions_count_insert" AFTER INSERT ON "task_executions"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_task_executions();--> statement-breakpoint
CREATE TRIGGER "task_executions_count_update" AFTER UPDATE ON "task_executions"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION count_task_executions();--> statement-breakpoint
CREATE TRIGGER "task_executions_count_delete" AFTER DELETE ON "task_executions"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION count_task_executions();--> statement-breakpoint
CREATE TRIGGER "task_executions_count_truncate" AFTER TRUNCATE ON "task_executions"
  FOR EACH STATEMENT EXECUTE FUNCTION count_task_executions();--> statement-breakpoint
-- The day already there, counted once: the triggers above hold writers off until the migration commits.
INSERT INTO execution_counts (bucket, total, completed, failed, running)
SELECT execution_count_bucket(created_at), count(*), count(*) FILTER (WHERE status = 'completed'),
       count(*) FILTER (WHERE status = 'failed'), count(*) FILTER (WHERE status = 'running')
  FROM task_executions WHERE created_at >= now() - interval '25 hours' GROUP BY 1;
