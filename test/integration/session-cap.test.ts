import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { sql } from 'drizzle-orm';
import { Redis as IORedis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionRow } from '../../db/schema/index.js';
import { handler as queueTask } from '../../functions/tasks/queue.js';
import { SessionLeases } from '../../lib/target/session-leases.js';
import { TargetPool } from '../../lib/target/target-pool.js';
import { getRedis } from '../../lib/queue/redis.js';
import { apiEvent, call } from '../helpers/api.js';
import { createLocalConnection, createTaskVia, customSqlTask } from '../helpers/factories.js';
import { query } from '../helpers/service-db.js';
import { withoutConsumerStarts } from '../helpers/environment.js';
import { clearQueue, queueName } from '../helpers/queue.js';

// The queue handler would start a consumer through Lambda: here the test starts its own consumers.
withoutConsumerStarts();
const CAP = 2;

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

/** A consumer process, loaded and waiting; go() starts its drain and resolves to its report. */
async function startConsumer(settings: Record<string, string>) {
  const child = spawn('npx', ['tsx', 'test/helpers/consumer-drain-process.ts', '4'], {
    env: { ...process.env, ...settings },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  while (!output.includes('ready')) await once(child.stdout, 'data');
  return {
    go: async () => {
      child.stdin.write('go\n');
      const [code] = await once(child, 'exit');
      if (code !== 0) throw new Error(`consumer exited with ${code}: ${output}`);
      return JSON.parse(output.trim().split('\n').at(-1)!);
    },
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

describe('the cap on sessions to one reviewed database, across consumers', () => {
  it('keeps three consumers running at once within TARGET_SESSIONS_PER_DATABASE sessions to the database', async () => {
    // Each review keeps its session busy for a while, so the consumers' drains overlap.
    const task = await createTaskVia(
      customSqlTask(connectionId, { task_params: { custom_sql: 'select count(*) from generate_series(1, 1500000)' } }),
    );
    for (let i = 0; i < 36; i++)
      expect(
        (await call(queueTask, apiEvent('POST', `/x/${task.id}/queue`, { path: { task_id: String(task.id) } }))).status,
      ).toBe(200);

    // Each consumer alone would allow CAP sessions, so three without a shared cap would reach 3 * CAP. Reviews
    // here queue up for sessions for longer than the default wait on a busy machine: the grace is raised so
    // that none fails waiting (that path has its own test below).
    const consumers = await Promise.all(
      Array.from({ length: 3 }, () =>
        startConsumer({ TARGET_SESSIONS_PER_DATABASE: String(CAP), RUNNING_GRACE_SECONDS: '600' }),
      ),
    );
    let most = 0;
    let done = false;
    const all = Promise.all(consumers.map((c) => c.go())).finally(() => (done = true));
    while (!done) {
      most = Math.max(most, await ourSessions());
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const reports = await all;

    const statuses = await query<{ status: string; n: string }>(
      sql`select status, count(*) as n from task_executions where scheduled_task_id = ${task.id} group by status`,
    );
    expect(statuses).toEqual([{ status: 'completed', n: '36' }]);
    // Every consumer did reviews (each takes at most two ids per worker from the queue at once),
    // and their drains overlapped in time.
    expect(
      reports.map((r) => r.completed),
      JSON.stringify(reports),
    ).not.toContain(0);
    expect(Math.max(...reports.map((r) => r.startedAt))).toBeLessThan(Math.min(...reports.map((r) => r.endedAt)));
    expect(most).toBe(CAP);
    expect(await ourSessions()).toBe(0);
    // Read from Redis itself: the REST endpoint serves only what the application sends.
    const redis = new IORedis('redis://127.0.0.1:6379');
    const database = new URL(process.env.DATABASE_URL!);
    const leases = `${queueName()}:sessions:${database.hostname}:5432/${database.pathname.slice(1)}`;
    expect(await redis.zcard(leases).finally(() => redis.disconnect())).toBe(0);
  }, 180_000);

  it('fails a review that waited its longest for a session, saying why, instead of opening one over the cap', async () => {
    const url = new URL(process.env.DATABASE_URL!);
    const options = {
      host: url.hostname,
      port: Number(url.port || 5432),
      database: url.pathname.slice(1),
      username: 'postgres',
      sslmode: 'disable' as const,
      statementTimeoutSeconds: 30,
    };
    const connection = { id: connectionId, updatedAt: new Date(0) } as ConnectionRow;
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
    releaseFirst();
    await holding;
    await first.close();
    // Once the first consumer's session is closed, its place is free for the other one.
    await expect(second.use(connection, options, async (sql) => (await sql`select 1 as one`)[0].one)).resolves.toBe(1);
    await second.close();
    expect(await ourSessions()).toBe(0);
  });
});
