/**
 * Throughput end to end: 20,000 executions of a trivial custom_sql task (`select 1`) against a
 * local target (a database of the benchmark's own on the local PostgreSQL), queued and pushed to
 * Redis, then drained by one consumer invocation with its configured concurrency
 * (CONSUMER_CONCURRENCY). Reports executions per second and the latency from enqueue to `completed`
 * (p50, p99). In the same run on the same PostgreSQL, graphile-worker drains the same number of jobs
 * with the same concurrency, each running our same review (runAnalysis of the same custom_sql over
 * the same pooled target sessions): the queue's share of the cost against the review's. Each first
 * drains 1,000 unmeasured, to warm up; then ours and graphile-worker's take turns, THROUGHPUT_ROUNDS
 * times (2), so load from other work falls on both, and every process's CPU is sampled from /proc
 * while each drains: CPU per execution for the consumer, the service database's backends, the
 * target's, the REST endpoint and PostgreSQL's background processes, and the whole machine's busy
 * time, which other work on this shared machine disturbs far less than a rate.
 * Then graphile-worker with no-op jobs, and fan-out over 1, 2 and 4 consumer processes.
 *
 *   npx tsx bench/throughput.ts          (THROUGHPUT_EXECUTIONS=5000 for a quicker run) */
import { spawn } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { getDb, getDrainDb } from '../db/client.js';
import { handler as consumer } from '../functions/scheduler/consumer.js';
import { findConnection } from '../db/queries/connections.js';
import type { ConnectionRow } from '../db/schema/index.js';
import { runAnalysis } from '../lib/analyses/index.js';
import type { TaskParams } from '../lib/analyses/types.js';
import { targetOptionsFor } from '../lib/target/target-options.js';
import { env } from '../lib/env.js';
import { configuredSessionLimit, TargetPool } from '../lib/target/target-pool.js';
import { pushExecutionIds } from '../lib/queue/execution-queue.js';
import { createBenchDatabase } from './support/bench-database.js';
import { ensureBenchDependencies } from './support/bench-dependencies.js';
import { heading, printTable, round } from './support/figures.js';
import { observeQueries, serviceClient } from './support/query-observer.js';
import { recordResults } from './support/results-file.js';
import { SELECT_ONE_PARAMS, startQueueBench } from './support/queue-bench.js';
import { cpuByGroup, measureMachineCpu, OTHER_WORK, type ProcessCpu } from './support/machine-cpu.js';
import { runGraphileWorker } from './support/graphile-worker-run.js';

const EXECUTIONS = Number(process.env.THROUGHPUT_EXECUTIONS ?? 20_000);
const TASKS = 1_000;
const FAN_OUT = [1, 2, 4];
const FAN_OUT_CONCURRENCY = 4;
const ROUNDS = Number(process.env.THROUGHPUT_ROUNDS ?? 2);
const WARM_UP = 1_000;
const SAME_REVIEW_GOAL = 0.95;
// graphile-worker's databases are named by createBenchDatabase('graphile').
const GRAPHILE_DATABASE_PREFIX = 'pgr_bench_graphile_';
const consumerScript = new URL('support/consumer-process.ts', import.meta.url).pathname;

ensureBenchDependencies();
const bench = await startQueueBench('throughput');
const { database, redis } = bench;

const target = await createBenchDatabase('target', { migrated: false });

try {
  const db = getDb();
  const observer = observeQueries(serviceClient(db), serviceClient(getDrainDb()));
  const run = (statement: ReturnType<typeof sql>) => db.execute(statement);
  const concurrency = env().CONSUMER_CONCURRENCY;

  // The reviewed database is a database of its own, so the CPU of its backends is told from the service's.
  const [connection] = await run(sql`
    insert into connections (name, host, port, database, username, sslmode)
    values ('local target', '127.0.0.1', 5432, ${target.name}, 'postgres', 'disable') returning id`);
  await run(sql`
    insert into scheduled_tasks (name, task_type, connection_id, cron_schedule, task_params, is_active)
    select 'select one ' || g, 'custom_sql', ${connection.id}, '0 2 * * *', ${JSON.stringify(SELECT_ONE_PARAMS)}::jsonb, false
      from generate_series(1, ${TASKS}::int) g`);

  // Enqueued as `POST .../queue` does it: a queued row, then its id pushed (here all at once).
  const enqueueAndPush = async (count = EXECUTIONS) => {
    await run(sql`truncate task_executions`);
    const ids = (
      await run(sql`
        insert into task_executions (scheduled_task_id, connection_id, task_type, task_params, trigger, enqueued_at)
        select t.id, t.connection_id, t.task_type, t.task_params, 'queue', now()
          from generate_series(1, ${count}::int) g join scheduled_tasks t on t.id = 1 + g % ${TASKS}
        returning id`)
    ).map((r) => Number(r.id));
    await run(sql`vacuum analyze`);
    await pushExecutionIds(ids);
  };
  const completedOrThrow = async (what: string, count = EXECUTIONS) => {
    const [row] = await run(sql`
      select (count(*) filter (where status = 'completed'))::int as completed, min(error_message) as an_error
        from task_executions`);
    if (Number(row.completed) !== count)
      throw new Error(`${what} completed ${row.completed} of ${count} (${row.an_error ?? 'no error message'})`);
  };

  /** One consumer invocation (functions/scheduler/consumer.ts) drains the list. */
  const ourDrain = async (count = EXECUTIONS): Promise<OurDrain> => {
    await enqueueAndPush(count);
    const pgBefore = observer.count();
    const redisBefore = redis.requests();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const { processes, machineBusyMs } = await measureMachineCpu(() => consumer({}));
    const drainMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    await completedOrThrow('the consumer', count);
    const [outcome] = await run(sql`
      select percentile_cont(0.5) within group (order by extract(epoch from completed_at - created_at) * 1000) as latency_p50,
             percentile_cont(0.99) within group (order by extract(epoch from completed_at - created_at) * 1000) as latency_p99,
             percentile_cont(0.5) within group (order by extract(epoch from completed_at - started_at) * 1000) as run_p50,
             percentile_cont(0.99) within group (order by extract(epoch from completed_at - started_at) * 1000) as run_p99
        from task_executions`);
    return {
      drainMs,
      perSecond: count / (drainMs / 1000),
      latencyP50Ms: Number(outcome.latency_p50),
      latencyP99Ms: Number(outcome.latency_p99),
      runP50Ms: Number(outcome.run_p50),
      runP99Ms: Number(outcome.run_p99),
      cpuMsPerExecution: (cpu.user + cpu.system) / 1000 / count,
      pgPerExecution: (observer.count() - pgBefore) / count,
      redisPerExecution: (redis.requests() - redisBefore) / count,
      machineCpu: cpuByGroup(processes, cpuGroups(database.name)),
      machineBusyMs,
    };
  };

  const targets = new TargetPool(configuredSessionLimit());
  const reviewConnection = (await findConnection(db, Number(connection.id)))!;
  /** graphile-worker's jobs run our same review over the same kind of pooled sessions. */
  const graphileReviewing = async (count = EXECUTIONS) => {
    const { result, processes, machineBusyMs } = await measureMachineCpu(() =>
      runGraphileWorker({ jobs: count, concurrency, work: () => sameReview(targets, reviewConnection) }),
    );
    return { ...result, machineCpu: cpuByGroup(processes, cpuGroups(GRAPHILE_DATABASE_PREFIX)), machineBusyMs };
  };

  // A short drain of each first, not measured: code compiled and caches warm, as in a warm Lambda container.
  await ourDrain(WARM_UP);
  await graphileReviewing(WARM_UP);
  // Ours and graphile-worker's in turn, ROUNDS times: load from other work on the machine then falls on both.
  const ours: OurDrain[] = [];
  const theirs: Array<Awaited<ReturnType<typeof graphileReviewing>>> = [];
  for (let i = 0; i < ROUNDS; i++) {
    ours.push(await ourDrain());
    theirs.push(await graphileReviewing());
  }
  await targets.close();
  const graphile = await runGraphileWorker({ jobs: EXECUTIONS, concurrency });

  // Fan-out: 1, 2 and 4 consumer processes draining one list at once, each with FAN_OUT_CONCURRENCY workers.
  const fanOut: FanOut[] = [];
  for (const consumers of FAN_OUT) {
    await enqueueAndPush();
    fanOut.push(await drainWithProcesses(consumers, FAN_OUT_CONCURRENCY, FAN_OUT_CONCURRENCY * consumers));
    await completedOrThrow(`${consumers} consumers`);
  }
  // Two consumers at the default concurrency sharing the default cap on one database: more reviews want a
  // session than there are places, so the consumers must take them in turn; every execution must complete.
  const sharedCap = env().TARGET_SESSIONS_PER_DATABASE;
  await enqueueAndPush();
  const contended = await drainWithProcesses(2, concurrency, sharedCap);
  await completedOrThrow(`2 consumers sharing ${sharedCap} sessions`);

  const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
  const totalRate = (drains: Array<{ drainMs: number }>) =>
    (EXECUTIONS * drains.length) / (drains.reduce((sum, d) => sum + d.drainMs, 0) / 1000);
  const perSecond = totalRate(ours);
  const sameReviewPerSecond = totalRate(theirs);

  heading(
    `Throughput: ${EXECUTIONS.toLocaleString('en')} executions, one consumer, concurrency ${concurrency}, ` +
      `${ROUNDS} rounds of ours then graphile-worker's`,
  );
  printTable([
    [
      'queue',
      'drain s',
      'per s',
      'latency p50 ms',
      'latency p99 ms',
      'run p50 ms',
      'worker CPU ms / exec',
      'service stmts / exec',
      'Redis reqs / exec',
    ],
    ...ours.flatMap((o, i) => [
      [
        `pg-reviewer: custom_sql select 1 (round ${i + 1})`,
        o.drainMs / 1000,
        o.perSecond,
        o.latencyP50Ms,
        o.latencyP99Ms,
        o.runP50Ms,
        o.cpuMsPerExecution,
        o.pgPerExecution,
        o.redisPerExecution,
      ],
      [
        `graphile-worker: the same review (round ${i + 1})`,
        theirs[i].drainMs / 1000,
        theirs[i].perSecond,
        theirs[i].latencyP50Ms,
        theirs[i].latencyP99Ms,
        '-',
        theirs[i].cpuMsPerJob,
        '-',
        '-',
      ],
    ]),
    [
      'graphile-worker: no-op job',
      graphile.drainMs / 1000,
      graphile.perSecond,
      graphile.latencyP50Ms,
      graphile.latencyP99Ms,
      '-',
      graphile.cpuMsPerJob,
      '-',
      '-',
    ],
  ]);

  const groupNames = Object.keys(ours[0].machineCpu);
  const cpuPerExecution = (drains: Array<{ machineCpu: Record<string, number> }>, group: string) =>
    mean(drains.map((d) => d.machineCpu[group])) / EXECUTIONS;
  const cpuTotal = (drains: Array<{ machineCpu: Record<string, number> }>) =>
    groupNames.filter((g) => g !== OTHER_WORK).reduce((sum, g) => sum + cpuPerExecution(drains, g), 0);
  type Measured = { machineCpu: Record<string, number>; machineBusyMs: number };
  const machineBusy = (drains: Measured[]) => mean(drains.map((d) => d.machineBusyMs)) / EXECUTIONS;
  const cpuRow = (name: string, drains: Measured[]) => [
    name,
    ...groupNames.map((g) => cpuPerExecution(drains, g)),
    cpuTotal(drains),
    machineBusy(drains),
  ];
  heading('CPU per execution on this machine, ms (every process, sampled from /proc)');
  printTable([
    ['queue', ...groupNames, 'total without other work', 'machine busy'],
    ...ours.flatMap((o, i) => [
      cpuRow(`pg-reviewer (round ${i + 1})`, [o]),
      cpuRow(`graphile-worker, the same review (round ${i + 1})`, [theirs[i]]),
    ]),
    cpuRow('pg-reviewer, mean of the rounds', ours),
    cpuRow('graphile-worker, the same review, mean of the rounds', theirs),
  ]);

  heading(
    `Fan-out: ${EXECUTIONS.toLocaleString('en')} executions drained by 1, 2 and 4 consumer processes at once ` +
      `(concurrency ${FAN_OUT_CONCURRENCY} each, one list, the target's session cap ${FAN_OUT_CONCURRENCY} per consumer)`,
  );
  printTable([
    ['consumers', 'drain s', 'per s', 'vs 1 consumer', 'service stmts / exec', 'Redis reqs / exec', 'CPU ms / exec'],
    ...fanOut.map((f) => [
      String(f.consumers),
      f.drainMs / 1000,
      f.perSecond,
      f.perSecond / fanOut[0].perSecond,
      f.pgPerExecution,
      f.redisPerExecution,
      f.cpuMsPerExecution,
    ]),
  ]);
  console.log(
    `2 consumers of concurrency ${concurrency} sharing the default cap of ${sharedCap} sessions to the target: ` +
      `${round(contended.perSecond)} per s, all ${EXECUTIONS.toLocaleString('en')} completed`,
  );

  const ratio = perSecond / graphile.perSecond;
  const sameWorkRatio = perSecond / sameReviewPerSecond;
  const cpuRatio = cpuTotal(theirs) / cpuTotal(ours);
  const busyRatio = machineBusy(theirs) / machineBusy(ours);
  console.log(
    `\nour rate / graphile-worker's: ${ratio.toFixed(3)}x (goal at least 0.5x: ${ratio >= 0.5 ? 'met' : 'MISSED'})`,
  );
  console.log(
    `our rate / graphile-worker's running the same review: ${round(sameWorkRatio)}x over the rounds ` +
      `(${ours.map((o, i) => round(o.perSecond / theirs[i].perSecond)).join(', ')} round by round; goal at least ` +
      `${SAME_REVIEW_GOAL}x: ${sameWorkRatio >= SAME_REVIEW_GOAL ? 'met' : 'MISSED'})`,
  );
  console.log(
    `graphile-worker's CPU per execution / ours, the same review, other work left out: ${round(cpuRatio)}x ` +
      `(goal at least ${SAME_REVIEW_GOAL}x: ${cpuRatio >= SAME_REVIEW_GOAL ? 'met' : 'MISSED'})`,
  );
  console.log(
    `graphile-worker's machine busy time per execution / ours, the same review: ${round(busyRatio)}x ` +
      "(counts the kernel's loopback network work no process is charged with, and other work on the machine)",
  );
  console.log(
    'latency is from the row being queued to `completed`; all ids are pushed at once, so it is mostly time ' +
      'spent waiting on the list;',
  );
  console.log(
    "run is started to completed; worker CPU is the consumer process's own (user + system), PostgreSQL's and " +
      "Redis's not included",
  );

  const ourMean = (pick: (o: OurDrain) => number) => round(mean(ours.map(pick)));
  recordResults('throughput', {
    executions: EXECUTIONS,
    concurrency,
    rounds: ROUNDS,
    per_s: round(perSecond),
    latency_p50_ms: ourMean((o) => o.latencyP50Ms),
    latency_p99_ms: ourMean((o) => o.latencyP99Ms),
    run_p50_ms: ourMean((o) => o.runP50Ms),
    run_p99_ms: ourMean((o) => o.runP99Ms),
    consumer_cpu_ms_per_execution: ourMean((o) => o.cpuMsPerExecution),
    graphile_worker_cpu_ms_per_job: round(graphile.cpuMsPerJob),
    pg_statements_per_execution: ourMean((o) => o.pgPerExecution),
    redis_requests_per_execution: ourMean((o) => o.redisPerExecution),
    graphile_worker_per_s: round(graphile.perSecond),
    graphile_worker_latency_p50_ms: round(graphile.latencyP50Ms),
    graphile_worker_latency_p99_ms: round(graphile.latencyP99Ms),
    ratio: round(ratio),
    graphile_worker_same_review_per_s: round(sameReviewPerSecond),
    ratio_same_review: round(sameWorkRatio),
    machine_cpu_ms_per_execution: round(cpuTotal(ours)),
    graphile_worker_same_review_machine_cpu_ms_per_job: round(cpuTotal(theirs)),
    cpu_ratio_same_review: round(cpuRatio),
    machine_busy_ms_per_execution: round(machineBusy(ours)),
    graphile_worker_same_review_machine_busy_ms_per_job: round(machineBusy(theirs)),
    machine_busy_ratio_same_review: round(busyRatio),
    ...Object.fromEntries(
      fanOut.flatMap((f) => [
        [`consumers_${f.consumers}.per_s`, round(f.perSecond)],
        [`consumers_${f.consumers}.pg_statements_per_execution`, round(f.pgPerExecution)],
        [`consumers_${f.consumers}.redis_requests_per_execution`, round(f.redisPerExecution)],
      ]),
    ),
    two_consumers_sharing_default_cap_per_s: round(contended.perSecond),
    measured_at: new Date().toISOString(),
  });
} finally {
  await bench.close();
  await target.drop();
}

interface OurDrain {
  drainMs: number;
  perSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  runP50Ms: number;
  runP99Ms: number;
  cpuMsPerExecution: number;
  pgPerExecution: number;
  redisPerExecution: number;
  machineCpu: Record<string, number>;
  /** The whole machine's busy CPU while it drained, other work included (see cpu-sampler.ts). */
  machineBusyMs: number;
}

/** Processes by what they do for a queue whose own database's name starts with `queueDatabase`. */
function cpuGroups(queueDatabase: string): Array<[string, (p: ProcessCpu) => boolean]> {
  return [
    ['consumer', (p) => p.pid === process.pid],
    ['queue database', (p) => p.cmdline.includes(queueDatabase) && !p.cmdline.includes('autovacuum')],
    ['target database', (p) => p.cmdline.includes(target.name)],
    // The REST endpoint of the benchmark's own; the Redis server behind it serves every other user of the machine too.
    ['Redis REST endpoint', (p) => p.pid === redis.pid],
    // WAL writer, checkpointer, background writer, autovacuum: work the writes cause, later or elsewhere.
    ['PostgreSQL background', (p) => p.cmdline.startsWith('postgres: ') && !/\d\(\d+\)/.test(p.cmdline)],
  ];
}

interface FanOut {
  consumers: number;
  drainMs: number;
  perSecond: number;
  pgPerExecution: number;
  redisPerExecution: number;
  cpuMsPerExecution: number;
}

/** Starts `consumers` consumer processes, lets them go at the same moment and times until the last is done. */
async function drainWithProcesses(consumers: number, concurrency: number, sessionCap: number): Promise<FanOut> {
  const children = Array.from({ length: consumers }, () => {
    const child = spawn(process.execPath, ['--import', 'tsx', consumerScript], {
      // With a cap of the workers times the consumers no review waits for a session, and what is measured is
      // the queue's scaling; with a lower one the consumers take the sessions in turn (lib/target/session-leases.ts).
      env: {
        ...process.env,
        CONSUMER_CONCURRENCY: String(concurrency),
        TARGET_SESSIONS_PER_DATABASE: String(sessionCap),
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const ready = new Promise<void>((resolve) => {
      const onData = () => {
        if (output.includes('ready')) {
          child.stdout.off('data', onData);
          resolve();
        }
      };
      child.stdout.on('data', onData);
    });
    const closed = new Promise<ConsumerProcessReport>((resolve, reject) =>
      child.once('close', (code) => {
        const line = output.trim().split('\n').pop() ?? '';
        if (code !== 0 || !line.startsWith('{'))
          reject(new Error(`consumer process ended with ${code}: ${output.slice(-300)}`));
        else resolve(JSON.parse(line) as ConsumerProcessReport);
      }),
    );
    return { child, ready, closed };
  });
  await Promise.all(children.map((c) => c.ready));
  const started = performance.now();
  for (const c of children) c.child.stdin.end('go\n');
  const reports = await Promise.all(children.map((c) => c.closed));
  const drainMs = performance.now() - started;
  const total = (pick: (r: ConsumerProcessReport) => number) => reports.reduce((sum, r) => sum + pick(r), 0);
  return {
    consumers,
    drainMs,
    perSecond: EXECUTIONS / (drainMs / 1000),
    pgPerExecution: total((r) => r.pgStatements) / EXECUTIONS,
    redisPerExecution: total((r) => r.redisRequests) / EXECUTIONS,
    cpuMsPerExecution: total((r) => r.cpuMs) / EXECUTIONS,
  };
}

interface ConsumerProcessReport {
  report: { completed: number };
  pgStatements: number;
  redisRequests: number;
  cpuMs: number;
}

/** The review each of our executions runs, as a graphile-worker job: same code, same pooled connections. */
async function sameReview(targets: TargetPool, connection: ConnectionRow): Promise<void> {
  const target = targetOptionsFor(connection, SELECT_ONE_PARAMS.query_timeout);
  await targets.use(connection, target, (sql) =>
    runAnalysis({ taskType: 'custom_sql', params: SELECT_ONE_PARAMS as TaskParams, target, previous: null, sql }),
  );
}
