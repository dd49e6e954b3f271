/**
 * Throughput end to end: 20,000 executions of a trivial custom_sql task (`select 1`) against a
 * local target (the benchmark's own database on the local PostgreSQL), queued and pushed to Redis,
 * then drained by one consumer invocation with its configured concurrency (CONSUMER_CONCURRENCY).
 * Reports executions per second and the latency from enqueue to `completed` (p50, p99), and, in
 * the same run on the same PostgreSQL, graphile-worker draining 20,000 no-op jobs with the same
 * concurrency: our rate as a ratio of its rate. A second graphile-worker run whose jobs do the
 * same review (runAnalysis of the same custom_sql over the same pooled target connections) tells
 * the queue's share of the cost from the review's.
 *
 *   npx tsx bench/throughput.ts          (THROUGHPUT_EXECUTIONS=5000 for a quicker run)
 */
import { sql } from 'drizzle-orm';
import { closeDb, getDb } from '../db/client.js';
import { handler as consumer } from '../functions/scheduler/consumer.js';
import { findConnection } from '../db/queries/connections.js';
import type { ConnectionRow } from '../db/schema/index.js';
import { runAnalysis } from '../lib/analyses/index.js';
import type { TaskParams } from '../lib/analyses/types.js';
import { targetOptionsFor } from '../lib/target/target-options.js';
import { env } from '../lib/env.js';
import { configuredSessionLimit, TargetPool } from '../lib/target/target-pool.js';
import { pushExecutionIds } from '../lib/queue/execution-queue.js';
import { getRedis } from '../lib/queue/redis.js';
import { createBenchDatabase } from './support/bench-database.js';
import { ensureBenchDependencies } from './support/bench-dependencies.js';
import { startCountedRedisEndpoint } from './support/counted-redis.js';
import { heading, printTable, round } from './support/figures.js';
import { observeQueries, serviceClient } from './support/query-observer.js';
import { recordResults } from './support/results-file.js';
import { useServiceEnvironment } from './support/service-environment.js';
import { runGraphileWorker } from './support/graphile-worker-run.js';

const EXECUTIONS = Number(process.env.THROUGHPUT_EXECUTIONS ?? 20_000);
const TASKS = 1_000;
const PARAMS = {
  custom_sql: 'select 1',
  max_rows: 1000,
  query_timeout: 300,
  output_format: 'json',
  analysis_target: 'queries',
  detailed_analysis: true,
};

ensureBenchDependencies();
const database = await createBenchDatabase('throughput');
const redis = await startCountedRedisEndpoint();
const { queueName } = useServiceEnvironment({
  databaseUrl: database.url,
  redisUrl: redis.url,
  redisToken: redis.token,
});

try {
  const db = getDb();
  const observer = observeQueries(serviceClient(db));
  const run = (statement: ReturnType<typeof sql>) => db.execute(statement);
  const concurrency = env().CONSUMER_CONCURRENCY;

  const [connection] = await run(sql`
    insert into connections (name, host, port, database, username, sslmode)
    values ('local target', '127.0.0.1', 5432, ${database.name}, 'postgres', 'disable') returning id`);
  await run(sql`
    insert into scheduled_tasks (name, task_type, connection_id, cron_schedule, task_params, is_active)
    select 'select one ' || g, 'custom_sql', ${connection.id}, '0 2 * * *', ${JSON.stringify(PARAMS)}::jsonb, false
      from generate_series(1, ${TASKS}::int) g`);

  // Enqueued as `POST .../queue` does it: a queued row, then its id pushed (here all at once).
  const rows = await run(sql`
    insert into task_executions (scheduled_task_id, connection_id, task_type, task_params, trigger, enqueued_at)
    select t.id, t.connection_id, t.task_type, t.task_params, 'queue', now()
      from generate_series(1, ${EXECUTIONS}::int) g join scheduled_tasks t on t.id = 1 + g % ${TASKS}
    returning id`);
  await run(sql`vacuum analyze`);
  await pushExecutionIds(rows.map((r) => Number(r.id)));

  const pgBefore = observer.count();
  const redisBefore = redis.requests();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const report = await consumer({});
  const drainMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMsPerExecution = (cpu.user + cpu.system) / 1000 / EXECUTIONS;
  const pgPerExecution = (observer.count() - pgBefore) / EXECUTIONS;
  const redisPerExecution = (redis.requests() - redisBefore) / EXECUTIONS;

  const [outcome] = await run(sql`
    select count(*) filter (where status = 'completed')::int as completed,
           count(*)::int as total,
           percentile_cont(0.5) within group (order by extract(epoch from completed_at - created_at) * 1000) as latency_p50,
           percentile_cont(0.99) within group (order by extract(epoch from completed_at - created_at) * 1000) as latency_p99,
           percentile_cont(0.5) within group (order by extract(epoch from completed_at - started_at) * 1000) as run_p50,
           percentile_cont(0.99) within group (order by extract(epoch from completed_at - started_at) * 1000) as run_p99,
           min(error_message) as an_error
      from task_executions`);
  if (report.completed !== EXECUTIONS || Number(outcome.completed) !== EXECUTIONS) {
    throw new Error(
      `expected ${EXECUTIONS} completed executions, consumer reported ${JSON.stringify(report)}, database has ${outcome.completed} ` +
        `(${outcome.an_error ?? 'no error message'})`,
    );
  }
  const perSecond = EXECUTIONS / (drainMs / 1000);

  const graphile = await runGraphileWorker({ jobs: EXECUTIONS, concurrency });
  const targets = new TargetPool(configuredSessionLimit());
  const reviewConnection = (await findConnection(db, Number(connection.id)))!;
  const graphileReviewing = await runGraphileWorker({
    jobs: EXECUTIONS,
    concurrency,
    work: () => sameReview(targets, reviewConnection),
  }).finally(() => targets.close());

  heading(`Throughput: ${EXECUTIONS.toLocaleString('en')} executions, one consumer, concurrency ${concurrency}`);
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
    [
      'pg-reviewer: custom_sql select 1',
      drainMs / 1000,
      perSecond,
      Number(outcome.latency_p50),
      Number(outcome.latency_p99),
      Number(outcome.run_p50),
      cpuMsPerExecution,
      pgPerExecution,
      redisPerExecution,
    ],
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
    [
      'graphile-worker: the same review',
      graphileReviewing.drainMs / 1000,
      graphileReviewing.perSecond,
      graphileReviewing.latencyP50Ms,
      graphileReviewing.latencyP99Ms,
      '-',
      graphileReviewing.cpuMsPerJob,
      '-',
      '-',
    ],
  ]);
  const ratio = perSecond / graphile.perSecond;
  const sameWorkRatio = perSecond / graphileReviewing.perSecond;
  console.log(
    `\nour rate / graphile-worker's: ${ratio.toFixed(3)}x (goal at least 0.5x: ${ratio >= 0.5 ? 'met' : 'MISSED'})`,
  );
  console.log(`our rate / graphile-worker's running the same review: ${round(sameWorkRatio)}x`);
  console.log(
    'latency is from the row being queued to `completed`; all ids are pushed at once, so it is mostly time ' +
      'spent waiting on the list;',
  );
  console.log(
    "run is started to completed; worker CPU is the consumer process's own (user + system), PostgreSQL's and " +
      "Redis's not included",
  );

  recordResults('throughput', {
    executions: EXECUTIONS,
    concurrency,
    per_s: round(perSecond),
    latency_p50_ms: round(Number(outcome.latency_p50)),
    latency_p99_ms: round(Number(outcome.latency_p99)),
    run_p50_ms: round(Number(outcome.run_p50)),
    run_p99_ms: round(Number(outcome.run_p99)),
    consumer_cpu_ms_per_execution: round(cpuMsPerExecution),
    graphile_worker_cpu_ms_per_job: round(graphile.cpuMsPerJob),
    pg_statements_per_execution: round(pgPerExecution),
    redis_requests_per_execution: round(redisPerExecution),
    graphile_worker_per_s: round(graphile.perSecond),
    graphile_worker_latency_p50_ms: round(graphile.latencyP50Ms),
    graphile_worker_latency_p99_ms: round(graphile.latencyP99Ms),
    ratio: round(ratio),
    graphile_worker_same_review_per_s: round(graphileReviewing.perSecond),
    ratio_same_review: round(sameWorkRatio),
    measured_at: new Date().toISOString(),
  });
} finally {
  await getRedis()
    .del(queueName, `${queueName}:processing`)
    .catch(() => undefined);
  await closeDb();
  await redis.close();
  await database.drop();
}

/** The review each of our executions runs, as a graphile-worker job: same code, same pooled connections. */
async function sameReview(targets: TargetPool, connection: ConnectionRow): Promise<void> {
  const target = targetOptionsFor(connection, PARAMS.query_timeout);
  await targets.use(connection, target, (sql) =>
    runAnalysis({ taskType: 'custom_sql', params: PARAMS as TaskParams, target, previous: null, sql }),
  );
}
