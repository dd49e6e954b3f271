import type { EventEmitter } from 'node:events';
import postgres from 'postgres';
import { createBenchDatabase } from './bench-database.js';
import { percentile } from './figures.js';

/** The part of graphile-worker 0.16's API used here. */
interface GraphileWorker {
  run(options: {
    connectionString: string;
    concurrency: number;
    noHandleSignals: boolean;
    pollInterval: number;
    taskList: Record<string, () => Promise<void>>;
    logger: unknown;
  }): Promise<{ stop(): Promise<void>; events: EventEmitter }>;
  runMigrations(options: { connectionString: string; logger: unknown }): Promise<void>;
  Logger: new (factory: () => () => void) => unknown;
}

export interface GraphileWorkerFigures {
  drainMs: number;
  perSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** CPU of this process (where the runner runs) per job, user + system. */
  cpuMsPerJob: number;
}

// A variable, not a literal: graphile-worker lives in bench/node_modules, which a plain checkout's
// type check (npm test) does not have, so the compiler must not try to resolve it.
const graphileWorkerPackage = 'graphile-worker';

/**
 * graphile-worker on a database of its own on the same PostgreSQL: `jobs` jobs added in one
 * statement, then drained by one runner with `concurrency`, timed from start to the last success.
 * Each job runs `work` (by default nothing).
 */
export async function runGraphileWorker({
  jobs,
  concurrency,
  work = async () => {},
}: {
  jobs: number;
  concurrency: number;
  work?: () => Promise<void>;
}): Promise<GraphileWorkerFigures> {
  const worker = (await import(graphileWorkerPackage)) as GraphileWorker;
  const logger = new worker.Logger(() => () => {});
  const database = await createBenchDatabase('graphile', { migrated: false });
  try {
    await worker.runMigrations({ connectionString: database.url, logger });
    const client = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      await client`
        select count(*) from graphile_worker.add_jobs(array(
          select ('job', '{}'::json, null, null, null, null, null, null)::graphile_worker.job_spec
            from generate_series(1, ${jobs}::int)))`;
      await client`vacuum analyze`;
    } finally {
      await client.end();
    }

    const latencies: number[] = [];
    let finish: () => void = () => {};
    const allDone = new Promise<void>((resolve) => (finish = resolve));
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const runner = await worker.run({
      connectionString: database.url,
      concurrency,
      noHandleSignals: true,
      pollInterval: 1000,
      taskList: { job: work },
      logger,
    });
    runner.events.on('job:success', ({ job }: { job: { created_at: Date } }) => {
      latencies.push(Date.now() - new Date(job.created_at).getTime());
      if (latencies.length === jobs) finish();
    });
    await allDone;
    const drainMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    await runner.stop();
    return {
      drainMs,
      perSecond: jobs / (drainMs / 1000),
      latencyP50Ms: percentile(latencies, 50),
      latencyP99Ms: percentile(latencies, 99),
      cpuMsPerJob: (cpu.user + cpu.system) / 1000 / jobs,
    };
  } finally {
    await database.drop();
  }
}
