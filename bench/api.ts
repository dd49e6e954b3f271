/**
 * API latency, warm, with the handler invoked in-process as Lambda would invoke it (a literal
 * API Gateway v2 event through the one middy stack): get a task, list tasks (10,000 of them),
 * list executions (1,000,000 rows; unfiltered and with each filter), and stats (1,000,000
 * executions spread over the 90 days of retention, about 11,000 in the last 24 hours).
 * Reports p50 and p99 per endpoint and prints the plan of every statement each one sends,
 * run with EXPLAIN ANALYZE.
 *
 *   npx tsx bench/api.ts
 */
import { sql } from 'drizzle-orm';
import { insertFleetConnections } from './support/bench-database.js';
import { getDb } from '../db/client.js';
import { handler as listExecutionsHandler } from '../functions/executions/list.js';
import { handler as statsHandler } from '../functions/stats/get.js';
import { handler as getTaskHandler } from '../functions/tasks/get.js';
import { handler as listTasksHandler } from '../functions/tasks/list.js';
import { apiEvent } from '../test/helpers/api.js';
import { heading, printTable, round } from './support/figures.js';
import {
  benchHeaders as headers,
  caseFigures,
  casePlans,
  jsonBody,
  measureCase,
  printPlans,
  runHandlerBench,
  type HandlerCase,
} from './support/handler-bench.js';
import { recordResults } from './support/results-file.js';

const TASKS = 10_000;
const EXECUTIONS = 1_000_000;
const CONNECTIONS = 5;
// One more connection, used by a single task: a filter on it matches 100 of the 1,000,000 rows.
const RARE_CONNECTION = CONNECTIONS + 1;
const RETENTION_DAYS = 90;
const WARM_UP = 30;
const GOAL_P99_MS = 20;

// Per hundred tasks: 40 custom_sql, 25 config_check, 20 table_analysis, 14 query_analysis, 1 log_analysis.
const TASK_TYPE_BY_PERCENT =
  `case when g % 100 < 40 then 'custom_sql' when g % 100 < 65 then 'config_check' when g % 100 < 85 then ` +
  `'table_analysis' when g % 100 < 99 then 'query_analysis' else 'log_analysis' end`;
const TASK_PARAMS =
  '{"query_timeout":300,"output_format":"json","analysis_target":"queries","detailed_analysis":true,"custom_sql":"select ' +
  'count(*) from pg_stat_activity","max_rows":1000}';
const RESULT =
  '{"task_type":"custom_sql","analysis_target":"queries","summary":{"critical":0,"warning":1,"info":2,"not_assessable":0},"findings":[],"not_assessable":[],"changes":{"new":[],"resolved":[]},"duration_ms":38,"data":{"columns":[{"name":"count","type":"int8"}],"rows":[["12"]],"row_count":1,"truncated":false}}';

interface Case extends HandlerCase {
  /** Measured and printed, without a goal. */
  informational?: boolean;
}

const random = (n: number) => 1 + Math.floor(Math.random() * n);
const isList = (length: number) => jsonBody((body) => Array.isArray(body) && body.length === length);

const cases: Case[] = [
  {
    key: 'get_task',
    label: 'GET /scheduler/tasks/{id}',
    calls: 1000,
    handler: getTaskHandler,
    event: () => {
      const id = String(random(TASKS));
      return apiEvent('GET', `/api/v1/scheduler/tasks/${id}`, { path: { task_id: id }, headers });
    },
    check: jsonBody((body) => typeof (body as { id?: unknown }).id === 'number'),
  },
  {
    key: 'list_tasks',
    label: `GET /scheduler/tasks (${TASKS.toLocaleString('en')} tasks)`,
    calls: 100,
    handler: listTasksHandler,
    event: () => apiEvent('GET', '/api/v1/scheduler/tasks', { headers }),
    check: isList(TASKS),
  },
  {
    // A listing right after a task changed (as the tick changes due tasks every minute): the
    // kept body answers only unchanged lists, so this one reads the versions and the changed row.
    key: 'list_tasks_after_change',
    label: `GET /scheduler/tasks (${TASKS.toLocaleString('en')} tasks, one changed before each call)`,
    calls: 50,
    handler: listTasksHandler,
    event: () => apiEvent('GET', '/api/v1/scheduler/tasks', { headers }),
    check: isList(TASKS),
    before: () =>
      getDb().execute(
        sql`update scheduled_tasks set description = ${`edited ${Date.now()}`} where id = ${random(TASKS)}`,
      ),
    informational: true,
  },
  {
    key: 'list_executions',
    label: 'GET /scheduler/executions',
    calls: 500,
    handler: listExecutionsHandler,
    event: () => apiEvent('GET', '/api/v1/scheduler/executions', { headers }),
    check: isList(100),
  },
  ...(
    [
      ['status_failed', 'status_filter=failed', () => ({ status_filter: 'failed' })],
      ['task_id', 'task_id=N', () => ({ task_id: String(random(TASKS)) })],
      ['connection_id', 'connection_id=N', () => ({ connection_id: String(random(CONNECTIONS)) })],
      [
        'connection_id_rare',
        `connection_id=${RARE_CONNECTION} (100 rows)`,
        () => ({ connection_id: String(RARE_CONNECTION) }),
      ],
      ['task_type', 'task_type=custom_sql', () => ({ task_type: 'custom_sql' })],
      ['task_type_rare', 'task_type=log_analysis (1%)', () => ({ task_type: 'log_analysis' })],
      [
        'connection_and_status',
        'connection_id=N&status_filter=failed',
        () => ({ connection_id: String(random(CONNECTIONS)), status_filter: 'failed' }),
      ],
      ['limit_1000', 'limit=1000', () => ({ limit: '1000' })],
    ] as const
  ).map(([name, label, query]): Case => ({
    key: `list_executions_${name}`,
    label: `GET /scheduler/executions?${label}`,
    calls: name === 'limit_1000' ? 100 : 300,
    handler: listExecutionsHandler,
    event: () => apiEvent('GET', '/api/v1/scheduler/executions', { query: query(), headers }),
    check: jsonBody((body) => Array.isArray(body)),
  })),
  {
    key: 'stats',
    label: `GET /scheduler/stats (${EXECUTIONS.toLocaleString('en')} executions)`,
    calls: 500,
    handler: statsHandler,
    event: () => apiEvent('GET', '/api/v1/scheduler/stats', { headers }),
    check: jsonBody(
      (body) =>
        (body as { executions_24h?: { total_executions?: number } }).executions_24h?.total_executions !== undefined,
    ),
  },
];

await runHandlerBench('api', async (bench) => {
  await seed((statement) => bench.db.execute(statement));

  const figures: Record<string, number> = {};
  const rows: Array<Array<string | number>> = [
    ['endpoint', 'calls', 'p50 ms', 'p99 ms', 'max ms', `p99 < ${GOAL_P99_MS} ms`],
  ];
  const plans: Array<{ label: string; lines: string[] }> = [];
  for (const c of cases) {
    const measured = await measureCase(c, WARM_UP);
    Object.assign(figures, caseFigures(c, measured));
    rows.push([
      c.label,
      c.calls,
      measured.p50,
      measured.p99,
      Math.max(...measured.timings),
      c.informational ? '(no goal)' : measured.p99 < GOAL_P99_MS ? 'yes' : 'NO',
    ]);
    plans.push(...(await casePlans(bench, c, 120)));
  }

  heading(
    `API latency, warm, in-process (${TASKS.toLocaleString('en')} tasks, ${EXECUTIONS.toLocaleString('en')} ` +
      'executions)',
  );
  printTable(rows);
  heading('Plans (EXPLAIN ANALYZE of the statements each endpoint sends)');
  printPlans(plans);
  recordResults('api', { ...figures, measured_at: new Date().toISOString() });
});

/**
 * 6 connections, 10,000 tasks (a fifth paused; the last one alone on the sixth connection) and
 * 1,000,000 executions, oldest first, evenly over the retention period, 100 per task: mostly
 * completed with a small result, 4% failed, 1% skipped, the newest few queued or running.
 */
async function seed(run: (statement: ReturnType<typeof sql>) => Promise<unknown>): Promise<void> {
  const started = performance.now();
  await run(insertFleetConnections(RARE_CONNECTION));
  await run(sql`
    insert into scheduled_tasks (name, task_type, connection_id, cron_schedule, task_params, is_active, next_run_at, description)
    select 'task ' || g, ${sql.raw(TASK_TYPE_BY_PERCENT)},
           case when g = ${TASKS} then ${RARE_CONNECTION} else 1 + g % ${CONNECTIONS} end, '0 * * * *',
           ${TASK_PARAMS}::jsonb, g % 5 <> 0, case when g % 5 <> 0 then date_trunc('hour', now()) + interval '1 hour' end,
           'Reviews the ' || g || 'th database of the fleet'
      from generate_series(1, ${TASKS}::int) g`);
  const chunk = 250_000;
  const step = (RETENTION_DAYS * 86_400) / EXECUTIONS;
  for (let from = 1; from <= EXECUTIONS; from += chunk) {
    await run(sql`
      insert into task_executions (scheduled_task_id, connection_id, task_type, task_params, trigger, status, scheduled_for, created_at, enqueued_at, started_at, completed_at, attempts, result, error_message)
      select t.id, t.connection_id, t.task_type, t.task_params, 'schedule', s.status, x.at, x.at, x.at,
             case when s.status in ('completed', 'failed', 'running') then x.at end,
             case when s.status in ('completed', 'failed', 'skipped') then x.at + interval '40 ms' end,
             case when s.status = 'skipped' then 0 else 1 end,
             case when s.status = 'completed' then ${RESULT}::jsonb end,
             case when s.status = 'failed' then 'canceling statement due to statement timeout (SQLSTATE 57014)' end
        from generate_series(${from}::int, ${Math.min(from + chunk - 1, EXECUTIONS)}::int) g
        join scheduled_tasks t on t.id = 1 + g % ${TASKS}
        cross join lateral (select now() - make_interval(secs => (${EXECUTIONS} - g) * ${step}::float8) as at,
                                   abs(hashint4(g)) % 100 as draw) x
        cross join lateral (select case when g > ${EXECUTIONS - 8} then (case when g % 2 = 0 then 'queued' else 'running' end)
                                        when x.draw < 4 then 'failed' when x.draw = 4 then 'skipped' else 'completed' end as status) s`);
  }
  await run(sql`vacuum analyze`);
  console.log(
    `seeded ${TASKS.toLocaleString('en')} tasks and ${EXECUTIONS.toLocaleString('en')} executions in ${round((performance.now() - started) / 1000)} ` +
      's',
  );
}
