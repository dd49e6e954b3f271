/**
 * Tick cost, with the scheduled_tasks table at 1,000 and at 100,000 tasks:
 * - a tick with nothing due (should cost the same at both sizes: the due lookup is an index probe);
 * - a tick with 10,000 due tasks: claimed, advanced, recorded as executions and pushed to Redis;
 * - the baseline for that, in the same run: the same 10,000 execution rows written with one plain
 *   multi-row INSERT ... RETURNING and their ids sent with one RPUSH.
 * Each figure is the median of several ticks; PostgreSQL round trips are the statements the
 * service's client sends (begin and commit included), Redis round trips the HTTP requests to the
 * REST endpoint. Prints the plans of every statement a tick sends.
 *
 *   npx tsx bench/tick.ts
 */
import { sql } from 'drizzle-orm';
import type postgres from 'postgres';
import { getDb } from '../db/client.js';
import { getRedis } from '../lib/queue/redis.js';
import { runTick, type TickReport } from '../lib/scheduling/tick.js';
import { heading, median, printTable, round } from './support/figures.js';
import { explain, observeQueries, serviceClient, type CapturedStatement } from './support/query-observer.js';
import { recordResults } from './support/results-file.js';
import { SELECT_ONE_PARAMS, startQueueBench } from './support/queue-bench.js';

const SMALL = 1_000;
const LARGE = 100_000;
const DUE = 10_000;
// Finished executions already in the table, as after weeks of running, so the tick's statements
// are planned and timed against a real history rather than an empty table.
const HISTORY = 300_000;
const EMPTY_TICKS = 11;
const DUE_TICKS = 3;

// A realistic mix: a few schedules and zones shared by many tasks, a tenth of the tasks paused.
const SCHEDULES = ['*/5 * * * *', '0 * * * *', '0 2 * * *', '*/15 * * * *', '30 6 * * 1-5'];
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo'];

interface Measured {
  ms: number;
  pg: number;
  redis: number;
}

const bench = await startQueueBench('tick');
const { database, redis, queueName } = bench;

try {
  const db = getDb();
  const client = serviceClient(db);
  const observer = observeQueries(client);
  const run = (statement: ReturnType<typeof sql>) => db.execute(statement);
  const [connection] = await run(sql`
    insert into connections (name, host, port, database, username, sslmode)
    values ('bench', '127.0.0.1', 5432, ${database.name}, 'postgres', 'disable') returning id`);
  const connectionId = Number(connection.id);

  const seedTasks = async (from: number, to: number) => {
    await run(sql`
      insert into scheduled_tasks (name, task_type, connection_id, cron_schedule, timezone, task_params, is_active, next_run_at)
      select 'bench task ' || g, 'custom_sql', ${connectionId},
             (${textArray(SCHEDULES)}::text[])[1 + g % ${SCHEDULES.length}], (${textArray(ZONES)}::text[])[1 + g % ${ZONES.length}],
             ${JSON.stringify(SELECT_ONE_PARAMS)}::jsonb, g % 10 <> 0,
             case when g % 10 <> 0 then now() + interval '1 hour' + (g % 1440) * interval '1 minute' end
        from generate_series(${from}::int, ${to}::int) g`);
    await run(sql`vacuum analyze scheduled_tasks`);
  };
  const measure = async (work: () => Promise<unknown>): Promise<Measured> => {
    const pg = observer.count();
    const requests = redis.requests();
    const started = performance.now();
    await work();
    return { ms: performance.now() - started, pg: observer.count() - pg, redis: redis.requests() - requests };
  };
  const emptyTicks = async (): Promise<Measured[]> => {
    for (let i = 0; i < 2; i++) await runTick(); // warm: cron parser, plans, the REST connection
    const ticks: Measured[] = [];
    for (let i = 0; i < EMPTY_TICKS; i++) {
      ticks.push(await measure(async () => expectTick(await runTick(), 0)));
    }
    return ticks;
  };

  await seedTasks(1, SMALL);
  await run(sql`
    insert into task_executions (scheduled_task_id, connection_id, task_type, task_params, trigger, status, scheduled_for, created_at, enqueued_at, started_at, completed_at, attempts, result)
    select 1 + g % ${SMALL}, ${connectionId}, 'custom_sql', ${JSON.stringify(SELECT_ONE_PARAMS)}::jsonb, 'schedule',
           case when g % 50 = 0 then 'failed' else 'completed' end, at, at, at, at, at + interval '40 ms', 1,
           case when g % 50 <> 0 then '{"task_type":"custom_sql","summary":{"critical":0,"warning":0,"info":0},"data":{"row_count":1}}'::jsonb end
      from generate_series(1, ${HISTORY}::int) g, lateral (select now() - interval '89 days' + g * interval '25 seconds' as at) t`);
  await run(sql`vacuum analyze task_executions`);
  const [{ last: lastHistoryId }] = await run(sql`select max(id) as last from task_executions`);
  const emptySmall = await emptyTicks();
  await seedTasks(SMALL + 1, LARGE);
  const emptyLarge = await emptyTicks();
  const emptyPlanStatements = (await observer.capture(() => runTick())).statements;

  // The 10,000 due tasks, spread over the table (all but a tenth without history of their own); made due again before
  // each repetition.
  const dueIds = (await run(sql`select id from scheduled_tasks where is_active order by id % 9, id limit ${DUE}`)).map(
    (r) => Number(r.id),
  );
  const idArray = `{${dueIds.join(',')}}`;
  const makeDue = () =>
    run(sql`update scheduled_tasks set next_run_at = now() - interval '1 minute' where id = any(${idArray}::int[])`);
  const reset = async () => {
    await run(sql`delete from task_executions where id > ${lastHistoryId}`);
    await run(sql`vacuum analyze task_executions, scheduled_tasks`);
    await getRedis().del(queueName, `${queueName}:processing`);
  };

  const dueTicks: Measured[] = [];
  let dueStatements: CapturedStatement[] = [];
  for (let i = 0; i < DUE_TICKS; i++) {
    await makeDue();
    await run(sql`vacuum analyze scheduled_tasks`);
    const { result: measured, statements } = await observer.capture(() =>
      measure(async () => expectTick(await runTick(), DUE)),
    );
    await expectQueueLength(queueName, DUE);
    dueTicks.push(measured);
    dueStatements = statements;
    await reset();
  }

  // Baseline: the rows the tick writes for those tasks, in one plain INSERT, and one RPUSH of their ids.
  await makeDue();
  const tasks = await run(
    sql`select id, connection_id, task_type, task_params::text as params, next_run_at::text as slot from scheduled_tasks where id = any(${idArray}::int[])`,
  );
  const quote = (text: unknown) => `'${String(text).replace(/'/g, "''")}'`;
  const values = tasks
    .map(
      (t) =>
        `(${t.id}, ${t.connection_id}, ${quote(t.task_type)}, ${quote(t.params)}::jsonb, 'schedule', 'queued', ${quote(t.slot)}::timestamptz, ` +
        'now())',
    )
    .join(',\n');
  const baselineInsert =
    'insert into task_executions (scheduled_task_id, connection_id, task_type, task_params, trigger, status, ' +
    `scheduled_for, enqueued_at) values ${values} returning id`;
  const baseline: Measured[] = [];
  for (let i = 0; i < DUE_TICKS; i++) {
    baseline.push(
      await measure(async () => {
        const rows = await client.unsafe(baselineInsert);
        await getRedis().rpush(queueName, ...rows.map((r) => String(r.id)));
      }),
    );
    await expectQueueLength(queueName, DUE);
    await reset();
  }

  const summary = (label: string, runs: Measured[]) => [
    label,
    median(runs.map((r) => r.ms)),
    Math.min(...runs.map((r) => r.ms)),
    Math.max(...runs.map((r) => r.ms)),
    median(runs.map((r) => r.pg)),
    median(runs.map((r) => r.redis)),
  ];
  heading(
    `Tick cost (median of ${EMPTY_TICKS} empty ticks, ${DUE_TICKS} due ticks; ${LARGE.toLocaleString('en')} ` +
      `tasks and ${HISTORY.toLocaleString('en')} past executions for the due tick)`,
  );
  printTable([
    ['case', 'median ms', 'min ms', 'max ms', 'PG round trips', 'Redis round trips'],
    summary(`empty tick, ${SMALL.toLocaleString('en')} tasks`, emptySmall),
    summary(`empty tick, ${LARGE.toLocaleString('en')} tasks`, emptyLarge),
    summary(`tick with ${DUE.toLocaleString('en')} due`, dueTicks),
    summary('baseline: 1 INSERT + 1 RPUSH', baseline),
  ]);
  const emptySmallMs = median(emptySmall.map((r) => r.ms));
  const emptyLargeMs = median(emptyLarge.map((r) => r.ms));
  const dueMs = median(dueTicks.map((r) => r.ms));
  const baselineMs = median(baseline.map((r) => r.ms));
  console.log(
    `\nempty tick at 100k / at 1k: ${round(emptyLargeMs / emptySmallMs)}x   due tick / baseline: ${round(dueMs / baselineMs)}x`,
  );
  console.log(
    `goals: empty tick flat in table size; ${DUE.toLocaleString('en')} due under 2,000 ms (${dueMs < 2000 ? 'met' : 'MISSED'})`,
  );

  heading('Plans of the statements an empty tick sends (100,000 tasks)');
  await printPlans(client, emptyPlanStatements);
  heading(`Plans of the statements a tick with ${DUE.toLocaleString('en')} due sends (after the tick)`);
  await makeDue();
  await printPlans(client, dueStatements);

  recordResults('tick', {
    empty_ms_1k: round(emptySmallMs),
    empty_ms_100k: round(emptyLargeMs),
    empty_pg_round_trips: median(emptyLarge.map((r) => r.pg)),
    empty_redis_round_trips: median(emptyLarge.map((r) => r.redis)),
    due_10k_ms: round(dueMs),
    due_10k_pg_round_trips: median(dueTicks.map((r) => r.pg)),
    due_10k_redis_round_trips: median(dueTicks.map((r) => r.redis)),
    baseline_ms: round(baselineMs),
    baseline_pg_round_trips: median(baseline.map((r) => r.pg)),
    baseline_redis_round_trips: median(baseline.map((r) => r.redis)),
    due_vs_baseline: round(dueMs / baselineMs),
    empty_100k_vs_1k: round(emptyLargeMs / emptySmallMs),
    measured_at: new Date().toISOString(),
  });
} finally {
  await bench.close();
}

// One array parameter: drizzle would expand a JavaScript array into a row of parameters.
function textArray(items: string[]): string {
  return `{${items.map((item) => `"${item}"`).join(',')}}`;
}

function expectTick(report: TickReport, due: number): void {
  if (report.claimed !== due || report.pushed !== due || report.pushFailed) {
    throw new Error(`expected a tick to claim and push ${due}, got ${JSON.stringify(report)}`);
  }
}

async function expectQueueLength(queueName: string, expected: number): Promise<void> {
  const length = await getRedis().llen(queueName);
  if (length !== expected) throw new Error(`expected ${expected} ids on the queue, found ${length}`);
}

async function printPlans(client: postgres.Sql, statements: CapturedStatement[]): Promise<void> {
  const seen = new Set<string>();
  for (const statement of statements) {
    const text = statement.text.replace(/\s+/g, ' ').trim();
    if (seen.has(text) || !/\b(select|update|delete|insert)\b/i.test(text) || /^select now\(\)/i.test(text)) continue;
    seen.add(text);
    console.log(`\n-- ${text.length > 140 ? `${text.slice(0, 140)}...` : text}`);
    for (const line of await explain(client, statement)) console.log(`   ${line}`);
  }
}
