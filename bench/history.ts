/**
 * History at scale: 10,000,000 executions of 10,000 tasks over 91 days (the 90 of retention and one
 * day past it), generated in the database (INSERT ... SELECT generate_series, secondary indexes
 * built after the load). Warm, handlers in-process with literal API Gateway v2 events:
 * - the execution list (unfiltered, failed ones, one connection's), a task's recent runs
 *   (`task_id=N`) and stats, p50 and p99 (goal: p99 under 20 ms);
 * - then retention as the tick runs it (`deleteExpiredHistory`, 10 s a tick) until the expired day is
 *   gone: statements, the longest one (each is its own transaction, so the longest a row lock is held),
 *   dead tuples left behind, the point where autovacuum takes the table, and a VACUUM's time for them.
 *
 *   npx tsx bench/history.ts        (HISTORY_EXECUTIONS=1000000 for a quicker run)
 */
import { sql } from 'drizzle-orm';
import { closeDb, getDb } from '../db/client.js';
import { handler as listExecutionsHandler } from '../functions/executions/list.js';
import { handler as statsHandler } from '../functions/stats/get.js';
import type { Handler } from '../lib/http/handler.js';
import { deleteExpiredExecutions } from '../db/queries/recovery.js';
import { foldExecutionCounts } from '../db/queries/execution-counts.js';
import { RETENTION_BATCH, RETENTION_BUDGET_MS } from '../lib/scheduling/retention.js';
import { apiEvent } from '../test/helpers/api.js';
import { createBenchDatabase, insertFleetConnections } from './support/bench-database.js';
import { heading, percentile, printTable, round } from './support/figures.js';
import { explainAnalyze, observeQueries, serviceClient } from './support/query-observer.js';
import { recordResults } from './support/results-file.js';
import { useServiceEnvironment } from './support/service-environment.js';

const EXECUTIONS = Number(process.env.HISTORY_EXECUTIONS ?? 10_000_000);
const TASKS = 10_000;
const CONNECTIONS = 5;
const RETENTION_DAYS = 90;
const DAYS = RETENTION_DAYS + 1;
const CALLS = 300;
const WARM_UP = 30;
const GOAL_P99_MS = 20;
const TASK_PARAMS = '{"custom_sql":"select count(*) from pg_stat_activity","query_timeout":300,"max_rows":1000}';
const RESULT =
  '{"task_type":"custom_sql","summary":{"critical":0,"warning":1,"info":2,"not_assessable":0},"findings":[],' +
  '"changes":{"new":[],"resolved":[]},"data":{"row_count":1}}';

const database = await createBenchDatabase('history');
useServiceEnvironment({ databaseUrl: database.url });
process.env.API_AUTH = 'disabled';
process.env.EXECUTION_RETENTION_DAYS = String(RETENTION_DAYS);

try {
  const db = getDb();
  const client = serviceClient(db);
  const observer = observeQueries(client);
  const run = <T extends Record<string, unknown>>(statement: ReturnType<typeof sql>) => db.execute<T>(statement);
  const seedSeconds = await seed(run);
  const [{ table_mb, indexes_mb, last_day }] = await run<{
    table_mb: number;
    indexes_mb: number;
    last_day: number;
  }>(sql`
    select pg_table_size('task_executions') / 1048576 as table_mb, pg_indexes_size('task_executions') / 1048576 as indexes_mb,
           (select count(*)::int from task_executions where created_at >= now() - interval '24 hours') as last_day`);

  const random = (n: number) => 1 + Math.floor(Math.random() * n);
  const cases: Array<{
    key: string;
    label: string;
    handler: Handler;
    query: () => Record<string, string> | undefined;
  }> = [
    { key: 'list', label: 'GET /executions', handler: listExecutionsHandler, query: () => undefined },
    {
      key: 'task_runs',
      label: "GET /executions?task_id=N (a task's recent runs)",
      handler: listExecutionsHandler,
      query: () => ({ task_id: String(random(TASKS)) }),
    },
    {
      key: 'failed',
      label: 'GET /executions?status_filter=failed',
      handler: listExecutionsHandler,
      query: () => ({ status_filter: 'failed' }),
    },
    {
      key: 'connection',
      label: 'GET /executions?connection_id=N',
      handler: listExecutionsHandler,
      query: () => ({ connection_id: String(random(CONNECTIONS)) }),
    },
    { key: 'stats', label: 'GET /stats', handler: statsHandler, query: () => undefined },
  ];
  const figures: Record<string, number | boolean> = {};
  const rows: Array<Array<string | number>> = [
    ['endpoint', 'calls', 'p50 ms', 'p99 ms', 'max ms', `p99 < ${GOAL_P99_MS}`],
  ];
  const plans: Array<{ label: string; lines: string[] }> = [];
  for (const c of cases) {
    const path = c.handler === statsHandler ? '/api/v1/scheduler/stats' : '/api/v1/scheduler/executions';
    const call = async () => {
      const response = await c.handler(apiEvent('GET', path, { query: c.query() }), {});
      if (response.statusCode !== 200) throw new Error(`${c.label}: ${response.statusCode} ${response.body}`);
    };
    for (let i = 0; i < WARM_UP; i++) await call();
    const timings: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const started = performance.now();
      await call();
      timings.push(performance.now() - started);
    }
    const p99 = percentile(timings, 99);
    figures[`${c.key}.p50_ms`] = round(percentile(timings, 50));
    figures[`${c.key}.p99_ms`] = round(p99);
    rows.push([c.label, CALLS, percentile(timings, 50), p99, Math.max(...timings), p99 < GOAL_P99_MS ? 'yes' : 'NO']);
    const { statements } = await observer.capture(call);
    for (const statement of statements)
      plans.push({
        label: `${c.label}: ${statement.text.replace(/\s+/g, ' ').slice(0, 100)}...`,
        lines: await explainAnalyze(client, statement),
      });
  }

  // Retention, as the tick runs it (lib/scheduling/retention.ts): delete statements of RETENTION_BATCH rows,
  // each its own transaction, until nothing expired is left; each is timed, the longest is the longest any
  // row lock is held.
  await run(sql`select pg_stat_reset_single_table_counters('task_executions'::regclass)`);
  const statementMs: number[] = [];
  const retentionStarted = performance.now();
  let deleted = 0;
  for (;;) {
    const started = performance.now();
    const batch = await deleteExpiredExecutions(db, RETENTION_DAYS, RETENTION_BATCH);
    statementMs.push(performance.now() - started);
    deleted += batch;
    if (batch < RETENTION_BATCH) break;
  }
  const ticks = Math.ceil(statementMs.reduce((sum, ms) => sum + ms, 0) / RETENTION_BUDGET_MS);
  const retentionSeconds = (performance.now() - retentionStarted) / 1000;
  await run(sql`select pg_stat_force_next_flush()`);
  const dead = async () =>
    (
      await run<{ dead: number; live: number; threshold: number; autovacuum_count: number }>(sql`
        select s.n_dead_tup::int as dead, s.n_live_tup::int as live, s.autovacuum_count::int,
               (coalesce((select option_value::float8 from pg_options_to_table(c.reloptions) where option_name = 'autovacuum_vacuum_threshold'),
                         current_setting('autovacuum_vacuum_threshold')::float8)
                + coalesce((select option_value::float8 from pg_options_to_table(c.reloptions) where option_name = 'autovacuum_vacuum_scale_factor'),
                           current_setting('autovacuum_vacuum_scale_factor')::float8) * c.reltuples)::int as threshold
          from pg_stat_user_tables s join pg_class c on c.oid = s.relid
         where s.relname = 'task_executions'`)
    )[0];
  const afterRetention = await dead();
  const vacuumStarted = performance.now();
  await client.unsafe('vacuum task_executions');
  const vacuumSeconds = (performance.now() - vacuumStarted) / 1000;
  await run(sql`select pg_stat_force_next_flush()`);
  const afterVacuum = await dead();

  heading(
    `History: ${EXECUTIONS.toLocaleString('en')} executions over ${DAYS} days, ${TASKS.toLocaleString('en')} tasks ` +
      `(table ${table_mb} MB, indexes ${indexes_mb} MB, ${last_day.toLocaleString('en')} in the last 24 hours; seeded in ${round(seedSeconds)} s)`,
  );
  printTable(rows);
  heading('Retention of the expired day');
  printTable([
    [
      'deleted',
      'ticks (10 s each)',
      'statements',
      'longest ms',
      'p50 ms',
      's',
      'dead tuples after',
      'autovacuum at',
      'VACUUM s',
      'dead after VACUUM',
    ],
    [
      deleted,
      ticks,
      statementMs.length,
      Math.max(...statementMs),
      percentile(statementMs, 50),
      retentionSeconds,
      afterRetention.dead,
      afterRetention.threshold,
      vacuumSeconds,
      afterVacuum.dead,
    ],
  ]);
  heading('Plans (EXPLAIN ANALYZE)');
  for (const plan of plans) {
    console.log(`\n-- ${plan.label}`);
    for (const line of plan.lines) console.log(`   ${line}`);
  }
  const allMet = cases.every((c) => Number(figures[`${c.key}.p99_ms`]) < GOAL_P99_MS);
  console.log(
    `\ngoal: every p99 under ${GOAL_P99_MS} ms at ${EXECUTIONS.toLocaleString('en')} executions (${allMet ? 'met' : 'MISSED'})`,
  );
  recordResults('history', {
    executions: EXECUTIONS,
    seed_s: round(seedSeconds),
    table_mb: Number(table_mb),
    indexes_mb: Number(indexes_mb),
    ...figures,
    retention_deleted: deleted,
    retention_statements: statementMs.length,
    retention_longest_statement_ms: round(Math.max(...statementMs)),
    retention_s: round(retentionSeconds),
    dead_tuples_after_retention: afterRetention.dead,
    autovacuum_threshold: afterRetention.threshold,
    vacuum_s: round(vacuumSeconds),
    dead_tuples_after_vacuum: afterVacuum.dead,
    measured_at: new Date().toISOString(),
  });
} finally {
  await closeDb();
  await database.drop();
}

/**
 * 5 connections, 10,000 tasks, and the executions oldest first, evenly over 91 days: mostly
 * completed with a small result, 4% failed, 1% skipped, the newest few queued or running. The
 * secondary indexes are dropped for the load and built again after it (what the migrations define),
 * which is several times faster than maintaining them row by row.
 */
async function seed(run: (statement: ReturnType<typeof sql>) => Promise<Array<Record<string, unknown>>>) {
  const started = performance.now();
  await run(insertFleetConnections(CONNECTIONS));
  await run(sql`
    insert into scheduled_tasks (name, task_type, connection_id, cron_schedule, task_params, is_active, next_run_at)
    select 'task ' || g, 'custom_sql', 1 + g % ${CONNECTIONS}, '*/15 * * * *', ${TASK_PARAMS}::jsonb, true,
           date_trunc('hour', now()) + interval '1 hour'
      from generate_series(1, ${TASKS}::int) g`);
  const indexes = await run(sql`
    select indexname as name, indexdef as definition from pg_indexes
     where tablename = 'task_executions' and indexname <> 'task_executions_pkey'`);
  for (const index of indexes) await run(sql.raw(`drop index "${String(index.name)}"`));
  const chunk = 1_000_000;
  const step = (DAYS * 86_400) / EXECUTIONS;
  for (let from = 1; from <= EXECUTIONS; from += chunk) {
    await run(sql`
      insert into task_executions (scheduled_task_id, connection_id, task_type, task_params, trigger, status, scheduled_for, created_at, enqueued_at, started_at, completed_at, attempts, result, error_message)
      select 1 + g % ${TASKS}, 1 + (1 + g % ${TASKS}) % ${CONNECTIONS}, 'custom_sql', ${TASK_PARAMS}::jsonb, 'schedule', s.status, x.at, x.at, x.at,
             case when s.status in ('completed', 'failed', 'running') then x.at end,
             case when s.status in ('completed', 'failed', 'skipped') then x.at + interval '40 ms' end,
             case when s.status = 'skipped' then 0 else 1 end,
             case when s.status = 'completed' then ${RESULT}::jsonb end,
             case when s.status = 'failed' then 'canceling statement due to statement timeout (SQLSTATE 57014)' end
        from generate_series(${from}::int, ${Math.min(from + chunk - 1, EXECUTIONS)}::int) g
        cross join lateral (select now() - make_interval(secs => (${EXECUTIONS} - g) * ${step}::float8) as at,
                                   abs(hashint4(g)) % 100 as draw) x
        cross join lateral (select case when g > ${EXECUTIONS - 8} then (case when g % 2 = 0 then 'queued' else 'running' end)
                                        when x.draw < 4 then 'failed' when x.draw = 4 then 'skipped' else 'completed' end as status) s`);
  }
  for (const index of indexes) await run(sql.raw(String(index.definition)));
  // The load's statements each left a row per bucket in execution_counts: fold them as every tick does.
  await foldExecutionCounts(getDb());
  await run(sql`vacuum analyze`);
  const seconds = (performance.now() - started) / 1000;
  console.log(`seeded ${EXECUTIONS.toLocaleString('en')} executions in ${round(seconds)} s`);
  return seconds;
}
