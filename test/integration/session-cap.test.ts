import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { sql } from 'drizzle-orm';
import { Redis as IORedis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionRow } from '../../db/schema/index.js';
import { SessionLeases, sessionTarget, type SessionLease } from '../../lib/target/session-leases.js';
import { TargetPool } from '../../lib/target/target-pool.js';
import { getRedis } from '../../lib/queue/redis.js';
import { queueViaApi } from '../helpers/review-now.js';
import { createLocalConnection, createTaskVia, customSqlTask } from '../helpers/factories.js';
import { query } from '../helpers/service-db.js';
import { withoutConsumerStarts } from '../helpers/environment.js';
import { clearQueue, queueName } from '../helpers/queue.js';

// The queue handler would start a consumer through Lambda: here the test starts its own consumers.
withoutConsumerStarts();
const CAP = 2;
// Each review keeps its session busy for a while (~0.2 s), so the consumers' drains overlap.
const BUSY_SQL = 'select count(*) from generate_series(1, 1500000)';

let connectionId: number;
let admin: postgres.Sql;
beforeAll(async () => {
  connectionId = (await createLocalConnection()).id;
  admin = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  await clearQueue();
});
afterAll(async () => {
  await admin.end();
});

interface ConsumerReport {
  completed: number;
  failed: number;
  startedAt: number;
  endedAt: number;
}

/**
 * A consumer process, loaded and waiting; go() starts its drain and resolves to its report. `runningGraceSeconds`
 * below the minimum a stage accepts makes a review's longest wait for a session (half the grace) short.
 */
async function startConsumer(
  settings: Record<string, string>,
  { concurrency = 4, runningGraceSeconds }: { concurrency?: number; runningGraceSeconds?: number } = {},
) {
  const grace = runningGraceSeconds === undefined ? [] : [String(runningGraceSeconds)];
  // Node itself, not npx, so that the process killed is the consumer.
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/helpers/consumer-drain-process.ts', String(concurrency), ...grace],
    { env: { ...process.env, ...settings }, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  while (!output.includes('ready')) await once(child.stdout, 'data');
  return {
    go: async (): Promise<ConsumerReport> => {
      child.stdin.write('go\n');
      const [code] = await once(child, 'exit');
      if (code !== 0) throw new Error(`consumer exited with ${code}: ${output}`);
      return JSON.parse(output.trim().split('\n').at(-1)!);
    },
    kill: () => child.kill('SIGKILL'),
  };
}

const ourSessions = async () =>
  Number(
    (
      await admin<
        { n: string }[]
      >`select count(*) as n from pg_stat_activity where application_name = 'pg-reviewer' and datname = current_database()`
    )[0].n,
  );

async function queueExecutions(taskId: number, count: number) {
  for (let i = 0; i < count; i++) expect((await queueViaApi(taskId)).status).toBe(200);
}

/** Starts the consumers' drains at the same moment; the most of our sessions seen open until the last one ended. */
async function drainTogether(consumers: Array<{ go: () => Promise<ConsumerReport> }>) {
  let most = 0;
  let done = false;
  const all = Promise.all(consumers.map((c) => c.go())).finally(() => (done = true));
  while (!done) {
    most = Math.max(most, await ourSessions());
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { reports: await all, most };
}

const statusesOf = (taskId: number) =>
  query<{ status: string; n: string }>(
    sql`select status, count(*) as n from task_executions where scheduled_task_id = ${taskId} group by status`,
  );

/** Where the service database is: the database these tests review. */
const localAddress = () => {
  const url = new URL(process.env.DATABASE_URL!);
  return { host: url.hostname, port: Number(url.port || 5432), database: url.pathname.slice(1) };
};
const localDatabase = () => sessionTarget(localAddress());

/**
 * What the session leases of a database hold in Redis: leases, requests in line and their last polls. Read from
 * Redis itself, as the REST endpoint serves only what the application sends.
 */
async function inRedis(keyPrefix: string, target = localDatabase()) {
  const redis = new IORedis('redis://127.0.0.1:6379');
  try {
    return {
      leases: await redis.zcard(`${keyPrefix}:sessions:${target}`),
      waiting: await redis.zcard(`${keyPrefix}:session-waiters:${target}`),
      polled: await redis.zcard(`${keyPrefix}:session-polls:${target}`),
    };
  } finally {
    redis.disconnect();
  }
}

function localReviews() {
  const options = {
    ...localAddress(),
    username: 'postgres',
    sslmode: 'disable' as const,
    statementTimeoutSeconds: 30,
  };
  const connection = { id: connectionId, updatedAt: new Date(0) } as ConnectionRow;
  return { options, connection };
}

describe('the cap on sessions to one reviewed database, across consumers', () => {
  it('keeps three consumers running at once within TARGET_SESSIONS_PER_DATABASE sessions to the database', async () => {
    const task = await createTaskVia(customSqlTask(connectionId, { task_params: { custom_sql: BUSY_SQL } }));
    await queueExecutions(task.id, 36);

    // Each consumer alone would allow CAP sessions, so three without a shared cap would reach 3 * CAP. Reviews
    // here queue up for sessions for longer than the default wait on a busy machine: the grace is raised so
    // that none fails waiting (that path has its own test below).
    const consumers = await Promise.all(
      Array.from({ length: 3 }, () =>
        startConsumer({ TARGET_SESSIONS_PER_DATABASE: String(CAP), RUNNING_GRACE_SECONDS: '600' }),
      ),
    );
    const { reports, most } = await drainTogether(consumers);

    expect(await statusesOf(task.id)).toEqual([{ status: 'completed', n: '36' }]);
    // Every consumer did reviews (each takes at most two ids per worker from the queue at once),
    // and their drains overlapped in time.
    expect(
      reports.map((r) => r.completed),
      JSON.stringify(reports),
    ).not.toContain(0);
    expect(Math.max(...reports.map((r) => r.startedAt))).toBeLessThan(Math.min(...reports.map((r) => r.endedAt)));
    expect(most).toBe(CAP);
    expect(await ourSessions()).toBe(0);
    expect(await inRedis(queueName())).toEqual({ leases: 0, waiting: 0, polled: 0 });
  }, 180_000);

  it('hands the sessions of a busy database to both consumers in turn, so no review waits out its deadline', async () => {
    // Twice as long a review as BUSY_SQL's: ~0.3 s.
    const custom_sql = 'select count(*) from generate_series(1, 3000000)';
    const task = await createTaskVia(customSqlTask(connectionId, { task_params: { custom_sql } }));
    await queueExecutions(task.id, 80);

    // A review waits at most half the running grace for a session: 8 s here. Two sessions take half as long again
    // to run the 80 reviews, so a consumer that kept its sessions while it had work would leave the other's
    // reviews waiting until they failed.
    const consumers = await Promise.all(
      Array.from({ length: 2 }, () =>
        startConsumer({ TARGET_SESSIONS_PER_DATABASE: String(CAP) }, { concurrency: CAP, runningGraceSeconds: 16 }),
      ),
    );
    const { reports, most } = await drainTogether(consumers);

    expect(await statusesOf(task.id), JSON.stringify(reports)).toEqual([{ status: 'completed', n: '80' }]);
    expect(
      reports.map((r) => r.completed),
      JSON.stringify(reports),
    ).not.toContain(0);
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(CAP);
    expect(await ourSessions()).toBe(0);
    expect(await inRedis(queueName())).toEqual({ leases: 0, waiting: 0, polled: 0 });
  }, 180_000);

  it('gives a freed place to the request that has waited longest, not to a newer one that asks first', async () => {
    const keyPrefix = `${queueName()}-order`;
    const target = 'reviewed.example:5432/orders';
    const consumer = () => new SessionLeases(getRedis(), { keyPrefix, cap: 1 });
    const deadline = Date.now() + 30_000;
    const granted: string[] = [];
    const grant = (name: string, lease: Promise<SessionLease>) =>
      lease.then((held) => {
        granted.push(name);
        return held;
      });

    const holder = await consumer().acquire(target, deadline);
    const longest = grant('longest waiter', consumer().acquire(target, deadline));
    await expect.poll(async () => (await inRedis(keyPrefix, target)).waiting).toBe(1);
    await holder.release();
    // Asked right after the release, before the waiter polls again: it queues behind it.
    const newer = grant('newer request', consumer().acquire(target, deadline));
    await (await longest).release();
    await (await newer).release();

    expect(granted).toEqual(['longest waiter', 'newer request']);
    expect(await inRedis(keyPrefix, target)).toEqual({ leases: 0, waiting: 0, polled: 0 });
  });

  it('gives an idle session back as soon as another consumer waits for it, not after its idle time', async () => {
    const { options, connection } = localReviews();
    const leases = () => new SessionLeases(getRedis(), { keyPrefix: `${queueName()}-idle`, cap: 1 });
    const first = new TargetPool({ perDatabase: 1, maxWaitMs: 60_000, leases: leases() });
    // Shorter than the 5 s a session stays idle before it closes by itself.
    const second = new TargetPool({ perDatabase: 1, maxWaitMs: 4_000, leases: leases() });

    await first.use(connection, options, async (sql) => sql`select 1`);
    expect(await ourSessions()).toBe(1);
    await expect(second.use(connection, options, async (sql) => (await sql`select 1 as one`)[0].one)).resolves.toBe(1);
    expect(await ourSessions()).toBe(1);
    await Promise.all([first.close(), second.close()]);
    expect(await ourSessions()).toBe(0);
  });

  it('lets a consumer that died waiting for a session hold up the others only briefly', async () => {
    const holder = await new SessionLeases(getRedis(), { keyPrefix: queueName(), cap: 1 }).acquire(
      localDatabase(),
      Date.now() + 30_000,
    );
    const task = await createTaskVia(customSqlTask(connectionId));
    await queueExecutions(task.id, 1);
    const doomed = await startConsumer({ TARGET_SESSIONS_PER_DATABASE: '1' }, { concurrency: 1 });
    const draining = doomed.go().catch(() => 'killed');
    await expect.poll(async () => (await inRedis(queueName())).waiting, { timeout: 20_000 }).toBe(1);
    doomed.kill();
    expect(await draining).toBe('killed');
    await holder.release();

    // Its request, first in line, stops polling: the place goes to the next one once it has been silent a few
    // seconds, well before this one's deadline.
    const next = await new SessionLeases(getRedis(), { keyPrefix: queueName(), cap: 1 }).acquire(
      localDatabase(),
      Date.now() + 10_000,
    );
    await next.release();
    expect(await inRedis(queueName())).toEqual({ leases: 0, waiting: 0, polled: 0 });
  }, 60_000);

  it('fails a review that waited its longest for a session, saying why, instead of opening one over the cap', async () => {
    const { options, connection } = localReviews();
    const leases = () => new SessionLeases(getRedis(), { keyPrefix: `${queueName()}-wait`, cap: 1 });
    const first = new TargetPool({ perDatabase: 1, maxWaitMs: 60_000, leases: leases() });
    const second = new TargetPool({ perDatabase: 1, maxWaitMs: 300, leases: leases() });
    let releaseFirst!: () => void;
    const holding = first.use(connection, options, async (sql) => {
      await sql`select 1`;
      await new Promise<void>((resolve) => (releaseFirst = resolve));
    });
    await expect.poll(ourSessions).toBe(1);
    await expect(second.use(connection, options, async (sql) => sql`select 1`)).rejects.toThrow(
      `1 pg-reviewer session is already open to ${options.host}:${options.port}/${options.database} ` +
        '(TARGET_SESSIONS_PER_DATABASE, across all consumers); the review waited 0 s for one to close',
    );
    // The refused request left the line at once: it holds no place back from the requests after it.
    expect(await inRedis(`${queueName()}-wait`)).toEqual({ leases: 1, waiting: 0, polled: 0 });
    releaseFirst();
    await holding;
    await first.close();
    // Once the first consumer's session is closed, its place is free for the other one.
    await expect(second.use(connection, options, async (sql) => (await sql`select 1 as one`)[0].one)).resolves.toBe(1);
    await second.close();
    expect(await ourSessions()).toBe(0);
  });
});
