/**
 * Midnight at scale: 1,000,000 tasks, 100,000 of them due in the same minute. Each tick runs in a
 * process of its own, as a Lambda container runs it, against the benchmark's own database and REST
 * endpoint:
 * - one tick with a tenth of the due runs and one with all of them: time per 1,000 due runs (should
 *   be the same at both), statements and Redis requests, peak heap and RSS of the tick's process;
 * - three ticks overlapping over all of them (the schedule fires while the previous tick still runs):
 *   every due run must be recorded once and its id be on the Redis list once, counted, not assumed;
 * - a tick cut short by its time budget, then the next one: the next one must claim the rest at
 *   once, with nothing left waiting for REQUEUE_AFTER_SECONDS or a push lease;
 * - a tick killed (SIGKILL) in the middle of its claims, then the next one at once: what the next one
 *   pushes at once and what waits for the dead tick's push lease (PUSH_LEASE_SECONDS), pushed once
 *   that lapses.
 *
 *   npx tsx bench/midnight.ts        (MIDNIGHT_TASKS=100000 MIDNIGHT_DUE=10000 for a quicker run)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { Redis as IORedis } from 'ioredis';
import { getDb } from '../db/client.js';
import { PUSH_LEASE_SECONDS } from '../db/queries/due-runs.js';
import { CLAIM_RESERVE_MS } from '../lib/scheduling/claim-due-runs.js';
import type { TickReport } from '../lib/scheduling/tick.js';
import { heading, printTable, round } from './support/figures.js';
import { recordResults } from './support/results-file.js';
import { SELECT_ONE_PARAMS, startQueueBench } from './support/queue-bench.js';

const TASKS = Number(process.env.MIDNIGHT_TASKS ?? 1_000_000);
const DUE = Number(process.env.MIDNIGHT_DUE ?? 100_000);
const SMALL_DUE = Math.round(DUE / 10);
const OVERLAPPING = 3;
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo'];

interface TickRun {
  report: TickReport;
  ms: number;
  pgStatements: number;
  redisRequests: number;
  peakHeapMb: number;
  maxRssMb: number;
}

const bench = await startQueueBench('midnight');
const { database, queueName } = bench;
// The checks read the list from Redis itself, not through the endpoint being measured.
const direct = new IORedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const tickScript = new URL('support/tick-process.ts', import.meta.url).pathname;

try {
  const db = getDb();
  const run = <T extends Record<string, unknown>>(statement: ReturnType<typeof sql>) => db.execute<T>(statement);
  const [connection] = await run<{ id: number }>(sql`
    insert into connections (name, host, port, database, username, sslmode)
    values ('bench', '127.0.0.1', 5432, ${database.name}, 'postgres', 'disable') returning id`);

  // Every `step`-th task is due at midnight (a daily review); the others at some minute of the next day.
  const step = Math.max(1, Math.floor(TASKS / DUE));
  const seeded = performance.now();
  await run(sql`
    insert into scheduled_tasks (name, task_type, connection_id, cron_schedule, timezone, task_params, is_active, next_run_at)
    select 'task ' || g, 'custom_sql', ${connection.id},
           case when g % ${step} = 0 then '0 0 * * *' else (g % 60) || ' ' || (g % 24) || ' * * *' end,
           case when g % ${step} = 0 then 'UTC' else (${`{${ZONES.join(',')}}`}::text[])[1 + g % ${ZONES.length}] end,
           ${JSON.stringify(SELECT_ONE_PARAMS)}::jsonb, true, now() + interval '1 day' + (g % 1440) * interval '1 minute'
      from generate_series(1, ${TASKS}::int) g`);
  await run(sql`vacuum analyze scheduled_tasks`);
  const seedSeconds = (performance.now() - seeded) / 1000;
  console.log(`seeded ${TASKS.toLocaleString('en')} tasks in ${round(seedSeconds)} s`);

  const midnight = sql`date_trunc('minute', now())`;
  const makeDue = async (count: number) => {
    await run(sql`
      update scheduled_tasks set next_run_at = ${midnight}
       where id % ${step} = 0 and id <= ${count * step}`);
    await run(sql`vacuum analyze scheduled_tasks`);
  };
  const reset = async () => {
    await run(sql`truncate task_executions`);
    await run(
      sql`update scheduled_tasks set next_run_at = now() + interval '1 day' where next_run_at < now() + interval '1 hour'`,
    );
    await run(sql`vacuum analyze scheduled_tasks, task_executions`);
    await direct.del(queueName, `${queueName}:processing`);
  };

  /** Checks, from the rows and the list themselves, that `due` runs are recorded and listed exactly once each. */
  const verify = async (due: number) => {
    const [rows] = await run<{ executions: number; slots: number; queued: number; waiting: number }>(sql`
      select count(*)::int as executions,
             count(distinct (scheduled_task_id, scheduled_for))::int as slots,
             (count(*) filter (where status = 'queued'))::int as queued,
             (count(*) filter (where status = 'queued' and enqueued_at < now() - interval '60 seconds'))::int as waiting
        from task_executions`);
    const listed = await direct.lrange(queueName, 0, -1);
    const distinct = new Set(listed);
    const queuedIds = new Set(
      (await run<{ id: string }>(sql`select id::text from task_executions where status = 'queued'`)).map((r) => r.id),
    );
    const notListed = [...queuedIds].filter((id) => !distinct.has(id)).length;
    const [{ left }] = await run<{ left: number }>(sql`
      select count(*)::int as left from scheduled_tasks where is_active and next_run_at <= now()`);
    return {
      executions: rows.executions,
      perSlot: rows.executions === rows.slots ? 1 : rows.executions / rows.slots,
      listed: listed.length,
      duplicates: listed.length - distinct.size,
      notListed,
      stillDue: left,
      ok:
        rows.executions === due &&
        rows.slots === due &&
        rows.queued === due &&
        listed.length === due &&
        distinct.size === due &&
        notListed === 0 &&
        left === 0,
    };
  };

  // One tick, a tenth of the due runs, then all of them.
  const single = async (due: number) => {
    await makeDue(due);
    const tick = await tickProcess().done;
    const check = await verify(due);
    if (tick.report.claimed !== due || !check.ok)
      throw new Error(`tick of ${due} due: ${JSON.stringify(tick.report)} ${JSON.stringify(check)}`);
    await reset();
    return tick;
  };
  const small = await single(SMALL_DUE);
  const large = await single(DUE);
  const perThousand = (tick: TickRun, due: number) => tick.ms / (due / 1000);

  // Overlapping ticks: a second starts once the first has claimed a batch, a third a moment later.
  await makeDue(DUE);
  const first = tickProcess();
  await waitForExecutions(run, 1);
  const second = tickProcess();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const third = tickProcess();
  const overlapping = await Promise.all([first.done, second.done, third.done]);
  const overlap = await verify(DUE);
  await reset();

  // Cut short by its own budget: the invocation's time left lets it claim about a third, then the next tick.
  await makeDue(DUE);
  const budgeted = await tickProcess({ timeLeftMs: CLAIM_RESERVE_MS + large.ms / 3 }).done;
  const afterBudget = await tickProcess().done;
  const cutShort = await verify(DUE);
  await reset();

  // Killed mid-way (SIGKILL, as Lambda ends a timed-out invocation), then the next tick at once.
  await makeDue(DUE);
  const victim = tickProcess();
  victim.done.catch(() => undefined); // killed: it has no report
  await waitForExecutions(run, Math.round(DUE / 3));
  victim.child.kill('SIGKILL');
  await victim.exited;
  const [{ killedClaimed }] = await run<{ killedClaimed: number }>(
    sql`select count(*)::int as "killedClaimed" from task_executions`,
  );
  const afterKill = await tickProcess().done;
  const [lease] = await run<{ waiting: number; lapses_in: number | null }>(sql`
    select count(*)::int as waiting,
           extract(epoch from max(enqueued_at) + make_interval(secs => 300) - now())::float8 as lapses_in
      from task_executions where status = 'queued' and enqueued_at < now() - interval '60 seconds'`);
  const listedAtOnce = await direct.llen(queueName);
  let afterLease: TickRun | undefined;
  if (lease.waiting > 0) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, (lease.lapses_in ?? 0) * 1000) + 1000));
    afterLease = await tickProcess().done;
  }
  const killed = await verify(DUE);
  await reset();

  heading(
    `Midnight: ${TASKS.toLocaleString('en')} tasks, ${DUE.toLocaleString('en')} due in the same minute (each tick in a ` +
      'process of its own)',
  );
  const tickRow = (label: string, tick: TickRun, due: number) => [
    label,
    tick.report.claimed,
    tick.report.pushed,
    tick.ms,
    due > 0 ? perThousand(tick, due) : '-',
    tick.pgStatements,
    tick.redisRequests,
    tick.peakHeapMb,
    tick.maxRssMb,
  ];
  printTable([
    [
      'tick',
      'claimed',
      'pushed',
      'ms',
      'ms / 1,000 due',
      'PG statements',
      'Redis requests',
      'peak heap MB',
      'max RSS MB',
    ],
    tickRow(`${SMALL_DUE.toLocaleString('en')} due`, small, SMALL_DUE),
    tickRow(`${DUE.toLocaleString('en')} due`, large, DUE),
    ...overlapping.map((tick, i) => tickRow(`overlapping tick ${i + 1} of ${OVERLAPPING}`, tick, 0)),
    tickRow('cut short by its budget', budgeted, 0),
    tickRow('the next tick, at once', afterBudget, 0),
    tickRow('the tick after a SIGKILL, at once', afterKill, 0),
    ...(afterLease ? [tickRow(`the tick after the push lease (${PUSH_LEASE_SECONDS} s)`, afterLease, 0)] : []),
  ]);
  const flat = perThousand(large, DUE) / perThousand(small, SMALL_DUE);
  console.log(
    `\ntime per 1,000 due at ${DUE.toLocaleString('en')} / at ${SMALL_DUE.toLocaleString('en')}: ${round(flat)}x`,
  );
  console.log(
    `overlapping ticks: ${overlap.executions} executions (${overlap.perSlot} per task and slot), ${overlap.listed} ids on ` +
      `the list, ${overlap.duplicates} listed twice, ${overlap.notListed} queued but not listed: ${overlap.ok ? 'exactly once' : 'NOT exactly once'}`,
  );
  console.log(
    `cut short: the budgeted tick claimed ${budgeted.report.claimed} and stopped with due runs left ` +
      `(${budgeted.report.dueLeft ? 'yes' : 'no'}); the next tick claimed ${afterBudget.report.claimed} at once; ` +
      `${cutShort.ok ? 'every run listed exactly once, none waiting' : `NOT complete: ${JSON.stringify(cutShort)}`}`,
  );
  console.log(
    `killed: ${killedClaimed} runs recorded before SIGKILL; the next tick pushed ${afterKill.report.pushed} at once ` +
      `(${listedAtOnce} listed); ${lease.waiting} the dead tick had claimed but not marked pushed waited for its push lease` +
      (afterLease ? `, and the tick after it pushed ${afterLease.report.pushed} of them (those not on the list)` : '') +
      `; in the end ${killed.listed} listed, ${killed.duplicates} twice, ${killed.notListed} not listed`,
  );
  const tickTimeout = 60_000;
  console.log(
    `goals: ${DUE.toLocaleString('en')} due within one tick's ${tickTimeout / 1000} s (${large.ms < tickTimeout ? 'met' : 'MISSED'}); ` +
      `time per 1,000 flat (${flat < 1.5 ? 'met' : 'MISSED'}); overlapping ticks exactly once (${overlap.ok ? 'met' : 'MISSED'}); ` +
      `a tick cut short continued at once (${cutShort.ok && afterBudget.report.claimed > 0 ? 'met' : 'MISSED'})`,
  );

  recordResults('midnight', {
    tasks: TASKS,
    due: DUE,
    seed_s: round(seedSeconds),
    [`due_${SMALL_DUE / 1000}k_ms`]: round(small.ms),
    [`due_${DUE / 1000}k_ms`]: round(large.ms),
    [`ms_per_1k_due_at_${SMALL_DUE / 1000}k`]: round(perThousand(small, SMALL_DUE)),
    [`ms_per_1k_due_at_${DUE / 1000}k`]: round(perThousand(large, DUE)),
    per_1k_large_vs_small: round(flat),
    pg_statements: large.pgStatements,
    redis_requests: large.redisRequests,
    peak_heap_mb: round(large.peakHeapMb),
    max_rss_mb: round(large.maxRssMb),
    overlap_executions: overlap.executions,
    overlap_listed: overlap.listed,
    overlap_duplicates: overlap.duplicates,
    overlap_not_listed: overlap.notListed,
    overlap_exactly_once: overlap.ok,
    cut_short_claimed: budgeted.report.claimed,
    cut_short_next_claimed: afterBudget.report.claimed,
    cut_short_complete: cutShort.ok,
    killed_recorded_before: killedClaimed,
    killed_next_pushed_at_once: afterKill.report.pushed,
    killed_waiting_for_lease: lease.waiting,
    killed_duplicates: killed.duplicates,
    measured_at: new Date().toISOString(),
  });
} finally {
  direct.disconnect();
  await bench.close();
}

function tickProcess(options: { timeLeftMs?: number } = {}): {
  child: ChildProcess;
  done: Promise<TickRun>;
  exited: Promise<void>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', tickScript], {
    env: {
      ...process.env,
      ...(options.timeLeftMs ? { TICK_TIME_LEFT_MS: String(Math.round(options.timeLeftMs)) } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // 'close', not 'exit': the report may still be in the pipe when the process exits.
  let status = '';
  const exited = new Promise<void>((resolve) =>
    child.once('close', (code, signal) => {
      status = signal ? `signal ${signal}` : `exit code ${code}`;
      resolve();
    }),
  );
  const done = exited.then(() => {
    const line = output.trim().split('\n').pop() ?? '';
    if (!line.startsWith('{'))
      throw new Error(`tick process ended (${status}) without a report: ${output.slice(-500)}`);
    return JSON.parse(line) as TickRun;
  });
  return { child, done, exited };
}

async function waitForExecutions(
  run: (statement: ReturnType<typeof sql>) => Promise<Array<Record<string, unknown>>>,
  atLeast: number,
): Promise<void> {
  for (;;) {
    const [{ n }] = await run(sql`select count(*)::int as n from task_executions`);
    if (Number(n) >= atLeast) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
