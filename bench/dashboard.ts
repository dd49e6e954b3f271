/**
 * The dashboard at fleet scale, warm, with the handler invoked in-process as Lambda would invoke it
 * (a literal API Gateway v2 event, bearer-token authentication on): the overview of 1,000
 * connections with 1,000,000 executions, a connection's page and its finding history, a page of
 * the tasks page (50 of 3,000 tasks, from a cursor) and the executions page. The baseline,
 * measured in the same run, is the API's plain list of the same 1,000 connections
 * (GET /api/v1/connections): the overview adds each connection's latest reviews and trend on top
 * of it. The setup, the timing and the plans are bench/support/handler-bench.ts, shared with api.ts.
 *
 *   npx tsx bench/dashboard.ts
 */
import { sql } from 'drizzle-orm';
import { insertFleetConnections } from './support/bench-database.js';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { handler as listConnectionsHandler } from '../functions/connections/list.js';
import { handler as findingsHandler } from '../functions/connections/findings.js';
import { handler as dashboardHandler } from '../functions/dashboard/page.js';
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

const CONNECTIONS = 1000;
const TASK_TYPES = ['config_check', 'table_analysis', 'query_analysis'];
const TASKS = CONNECTIONS * TASK_TYPES.length;
const EXECUTIONS = 1_000_000;
const RETENTION_DAYS = 90;
const WARM_UP = 5;
const TASKS_PER_PAGE = 50;
const GOAL_OVERVIEW_MS = 200;
const LAST_RUN = Math.floor((EXECUTIONS - 1) / TASKS);
// The pages whose statements are printed with their plans.
const PLANS_OF = ['overview', 'connection', 'tasks'];

const random = (n: number) => 1 + Math.floor(Math.random() * n);

const connectionPath = (id: number) => ({ connection_id: String(id) });
const cases: HandlerCase[] = [
  {
    key: 'baseline_list_connections',
    label: `GET /api/v1/connections (${CONNECTIONS.toLocaleString('en')}, the baseline)`,
    calls: 50,
    handler: listConnectionsHandler,
    event: () => apiEvent('GET', '/api/v1/connections', { headers }),
    check: jsonBody((body) => Array.isArray(body) && body.length === CONNECTIONS),
  },
  {
    key: 'overview',
    label: `GET /dashboard (${CONNECTIONS.toLocaleString('en')} connections)`,
    calls: 50,
    handler: dashboardHandler,
    event: () => apiEvent('GET', '/dashboard', { headers }),
    check: (body) => (body.match(/<tr data-connection-id=/g) ?? []).length === CONNECTIONS,
  },
  {
    key: 'connection',
    label: 'GET /dashboard/connections/{id}',
    calls: 50,
    handler: dashboardHandler,
    event: () => apiEvent('GET', `/dashboard/connections/${random(CONNECTIONS)}`, { headers }),
    check: (body) => body.includes('id="open-findings"'),
  },
  {
    key: 'findings',
    label: 'GET /api/v1/connections/{id}/findings',
    calls: 50,
    handler: findingsHandler,
    event: () => {
      const id = random(CONNECTIONS);
      return apiEvent('GET', `/api/v1/connections/${id}/findings`, { path: connectionPath(id), headers });
    },
    check: jsonBody((body) => (body as { findings: unknown[] }).findings.length > 0),
  },
  {
    key: 'findings_resolved',
    label: 'GET /api/v1/connections/{id}/findings?state=resolved',
    calls: 50,
    handler: findingsHandler,
    event: () => {
      const id = random(CONNECTIONS);
      return apiEvent('GET', `/api/v1/connections/${id}/findings`, {
        path: connectionPath(id),
        query: { state: 'resolved' },
        headers,
      });
    },
    check: jsonBody((body) => Array.isArray((body as { findings?: unknown }).findings)),
  },
  {
    key: 'tasks',
    label: `GET /dashboard/tasks?after_id=N (a page of ${TASKS.toLocaleString('en')} tasks)`,
    calls: 50,
    handler: dashboardHandler,
    event: () =>
      apiEvent('GET', '/dashboard/tasks', { query: { after_id: String(random(TASKS - TASKS_PER_PAGE - 1)) }, headers }),
    check: (body) => (body.match(/<tr data-task-id=/g) ?? []).length === TASKS_PER_PAGE && body.includes('rel="next"'),
  },
  {
    key: 'executions',
    label: 'GET /dashboard/executions?connection_id=N',
    calls: 50,
    handler: dashboardHandler,
    event: () =>
      apiEvent('GET', '/dashboard/executions', { query: { connection_id: String(random(CONNECTIONS)) }, headers }),
    check: (body) => (body.match(/<tr data-execution-id=/g) ?? []).length === 50,
  },
];

await runHandlerBench('dashboard', async (bench) => {
  // Seeded over a connection of its own: minutes of inserts, kept apart from the service's pool.
  const seeder = drizzle(
    postgres(bench.database.url, {
      max: 1,
      onnotice: () => {},
      connection: { application_name: 'pg-reviewer-bench-seed' },
    }),
  );
  try {
    await seed((statement) => seeder.execute(statement));
  } finally {
    await seeder.$client.end();
  }

  const figures: Record<string, number> = {};
  const rows: Array<Array<string | number>> = [['page', 'calls', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'body KB']];
  const plans: Array<{ label: string; lines: string[] }> = [];
  for (const c of cases) {
    const measured = await measureCase(c, WARM_UP);
    Object.assign(figures, caseFigures(c, measured));
    rows.push([
      c.label,
      c.calls,
      measured.p50,
      measured.p95,
      measured.p99,
      Math.max(...measured.timings),
      Math.round(measured.size / 1024),
    ]);
    if (PLANS_OF.includes(c.key)) plans.push(...(await casePlans(bench, c)));
  }
  figures['overview.ratio_to_baseline'] = round(
    figures['overview.p50_ms'] / figures['baseline_list_connections.p50_ms'],
  );

  heading(
    `Dashboard, warm, in-process (${CONNECTIONS.toLocaleString('en')} connections, ${TASKS.toLocaleString('en')} ` +
      `tasks, ${EXECUTIONS.toLocaleString('en')} executions)`,
  );
  printTable(rows);
  const p50 = figures['overview.p50_ms'];
  const p95 = figures['overview.p95_ms'];
  console.log(
    `\noverview p50 ${p50} ms, p95 ${p95} ms (goal: both under ${GOAL_OVERVIEW_MS}: ` +
      `${p50 < GOAL_OVERVIEW_MS && p95 < GOAL_OVERVIEW_MS ? 'yes' : 'NO'}), ` +
      `${figures['overview.ratio_to_baseline']}x the plain connection list`,
  );
  heading('Plans (EXPLAIN ANALYZE of the statements the overview, a connection page and a tasks page send)');
  printPlans(plans);
  recordResults('dashboard', { ...figures, measured_at: new Date().toISOString() });
});

/**
 * 1,000 connections with three tasks each and 1,000,000 executions over the retention period (333
 * per task), ids in each task's run order so each run's changes.previous_execution_id is its
 * predecessor: completed with three findings there since the task's first run (a chain walk goes
 * back over every run) and one that comes and goes every ten runs; the latest run of 12% of the
 * tasks failed.
 */
async function seed(run: (statement: ReturnType<typeof sql>) => Promise<unknown>): Promise<void> {
  const started = performance.now();
  await run(insertFleetConnections(CONNECTIONS));
  await run(sql`
    insert into scheduled_tasks (name, task_type, connection_id, cron_schedule, task_params, is_active, next_run_at)
    select 'review ' || g, (${`{${TASK_TYPES.join(',')}}`}::text[])[1 + g % ${TASK_TYPES.length}], 1 + (g - 1) / ${TASK_TYPES.length}, '0 */6 * * *',
           '{"analysis_target":"tables","query_timeout":300}'::jsonb, true, date_trunc('hour', now()) + interval '1 hour'
      from generate_series(1, ${TASKS}::int) g`);
  const chunk = 100_000;
  const step = (RETENTION_DAYS * 86_400) / EXECUTIONS;
  const finding = (check: string, severity: string) =>
    `jsonb_build_object('check', '${check}', 'severity', '${severity}', 'object', 'public.t' || t.id, ` +
    `'title', '${check} on a table', 'detail', 'Measured values of the check, one or two sentences long.', ` +
    `'recommendation', 'ALTER TABLE public.t' || t.id || ' ADD PRIMARY KEY (id);', 'evidence', ` +
    `jsonb_build_object('value', x.draw))`;
  for (let from = 1; from <= EXECUTIONS; from += chunk) {
    await run(sql`
      insert into task_executions (scheduled_task_id, connection_id, task_type, task_params, trigger, status, scheduled_for, created_at, enqueued_at, started_at, completed_at, attempts, result, error_message)
      select t.id, t.connection_id, t.task_type, t.task_params, 'schedule', s.status, x.at, x.at, x.at,
             case when s.status in ('completed', 'failed') then x.at end,
             case when s.status in ('completed', 'failed', 'skipped') then x.at + interval '2 s' end,
             case when s.status = 'skipped' then 0 else 1 end,
             case when s.status = 'completed' then jsonb_build_object(
               'task_type', t.task_type, 'analysis_target', 'tables',
               'summary', jsonb_build_object('critical', x.run % 2, 'warning', 2, 'info', 1 + (x.run / 10) % 2, 'not_assessable', 0),
               'findings', jsonb_build_array(${sql.raw(finding('tables.missing_primary_key', 'warning'))}, ${sql.raw(finding('tables.unused_index', 'warning'))}, ${sql.raw(finding('tables.largest', 'info'))})
                 || case when (x.run / 10) % 2 = 1 then jsonb_build_array(${sql.raw(finding('tables.dead_tuples', 'info'))}) else '[]'::jsonb end,
               'not_assessable', '[]'::jsonb,
               'changes', jsonb_build_object(
                 'previous_execution_id', case when x.run = 0 then null else g - ${TASKS} end,
                 'new', case when x.run % 10 = 0 and (x.run / 10) % 2 = 1 then jsonb_build_array(jsonb_build_object('check', 'tables.dead_tuples', 'object', 'public.t' || t.id, 'severity', 'info', 'title', 'Dead tuples')) else '[]'::jsonb end,
                 'resolved', case when x.run % 10 = 0 and x.run > 0 and (x.run / 10) % 2 = 0 then jsonb_build_array(jsonb_build_object('check', 'tables.dead_tuples', 'object', 'public.t' || t.id, 'severity', 'info', 'title', 'Dead tuples')) else '[]'::jsonb end,
                 'worsened', '[]'::jsonb),
               'duration_ms', 2000, 'state', '{}'::jsonb) end,
             case when s.status = 'failed' then 'canceling statement due to statement timeout (SQLSTATE 57014)' end
        from generate_series(${from}::int, ${Math.min(from + chunk - 1, EXECUTIONS)}::int) g
        join scheduled_tasks t on t.id = 1 + (g - 1) % ${TASKS}
        cross join lateral (select now() - make_interval(secs => (${EXECUTIONS} - g) * ${step}::float8) as at,
                                   abs(hashint4(g)) % 100 as draw, (g - 1) / ${TASKS} as run) x
        cross join lateral (select case when x.run = ${LAST_RUN} and x.draw < 12 then 'failed' else 'completed' end as status) s
       order by g`);
  }
  await run(sql`vacuum analyze`);
  console.log(
    `seeded ${CONNECTIONS.toLocaleString('en')} connections, ${TASKS.toLocaleString('en')} tasks and ${EXECUTIONS.toLocaleString('en')} ` +
      `executions in ${round((performance.now() - started) / 1000)} s`,
  );
}
