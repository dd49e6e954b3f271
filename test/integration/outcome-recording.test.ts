import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { captureLogLines } from '../helpers/log-lines.js';
import { drainQueue } from '../../lib/consumer/drain-queue.js';
import { pushExecutionIds } from '../../lib/queue/execution-queue.js';
import { getRedis } from '../../lib/queue/redis.js';
import { runTick } from '../../lib/scheduling/tick.js';
import { createLocalConnection, createTaskVia, customSqlTask } from '../helpers/factories.js';
import { query } from '../helpers/service-db.js';
import { withoutConsumerStarts } from '../helpers/environment.js';
import { clearQueue, stashKey } from '../helpers/queue.js';

withoutConsumerStarts();
// Retries and refusals are logged at warn and error, finished executions at info: all are read here.
process.env.LOG_LEVEL = 'info';

// The test's own sessions, apart from the service's pool (whose connections the tests terminate).
const admin = postgres(process.env.DATABASE_URL!, {
  max: 4,
  onnotice: () => {},
  connection: { application_name: 'outcome-test-admin' },
});
let connectionId: number;
let logLines: ReturnType<typeof captureLogLines>;

beforeAll(async () => {
  connectionId = (await createLocalConnection()).id;
  await admin`create table if not exists held (id int)`;
});
afterAll(async () => {
  await admin.end();
});
beforeEach(async () => {
  await clearQueue();
  logLines = captureLogLines();
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function queueRun(customSql: string): Promise<number> {
  const task = await createTaskVia(
    customSqlTask(connectionId, { task_params: { custom_sql: customSql, analysis_target: 'security' } }),
  );
  const [row] = await query<{ id: string }>(sql`
    insert into task_executions (scheduled_task_id, connection_id, task_type, task_params, trigger, enqueued_at)
    select id, connection_id, task_type, task_params, 'queue', now() from scheduled_tasks where id = ${task.id}
    returning id`);
  await pushExecutionIds([Number(row.id)]);
  return Number(row.id);
}

// Read through the test's own sessions: the service's pool is the one whose sessions get terminated.
const executionRow = async (id: number) =>
  (
    await admin<
      { status: string; attempts: number; error_message: string | null; result: Record<string, any> | null }[]
    >`
    select status, attempts, error_message, result from task_executions where id = ${id}`
  )[0];

/** Polls the server (not the clock) until the condition holds; fails after 30 s. */
async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The service's sessions whose outcome statement waits for the row lock the test holds. */
async function blockedOutcomeWrites(): Promise<number[] | undefined> {
  const rows = await admin<{ pid: number }[]>`
    select pid from pg_stat_activity
     where datname = current_database() and application_name = 'pg-reviewer-service'
       and wait_event_type = 'Lock' and query like '%update task_executions e%set status = o.status%'`;
  return rows.length > 0 ? rows.map((r) => r.pid) : undefined;
}

/**
 * Runs one review and stops it right where its outcome is written: the review reads a table the
 * test holds locked; once the execution is running, the test locks the execution's row and lets the
 * review finish, so the outcome statement waits on that row until the test says otherwise.
 */
async function reviewBlockedAtOutcome(drainOptions: Parameters<typeof drainQueue>[0] = {}) {
  const tableLock = await admin.reserve();
  await tableLock`begin`;
  await tableLock`lock table held in access exclusive mode`;
  const id = await queueRun('select count(*) as n from held');
  const drain = drainQueue({ concurrency: 2, ...drainOptions });
  await until('the execution is running', async () =>
    (await executionRow(id)).status === 'running' ? true : undefined,
  );
  const rowLock = await admin.reserve();
  await rowLock`begin`;
  await rowLock`select 1 from task_executions where id = ${id} for update`;
  await tableLock`rollback`;
  tableLock.release();
  await until('the outcome statement waits', blockedOutcomeWrites);
  const release = async () => {
    await rowLock`rollback`;
    rowLock.release();
  };
  return { id, drain, release };
}

/** Ends the service's sessions (only those waiting for a lock, or all), never the test's own. */
const terminateServiceSessions = (waitingOnly: boolean) => admin<{ pid: number }[]>`
  with service as materialized (
    select pid from pg_stat_activity
     where datname = current_database() and application_name = 'pg-reviewer-service' and (not ${waitingOnly} or wait_event_type = 'Lock'))
  select pid from service where pg_terminate_backend(pid)`;

// Each of these tests logs database errors (retries, refusals): none may carry a statement's parameters.
const noParametersLogged = (expectedMessage: string) => {
  expect(logLines().some((line) => line.message === expectedMessage)).toBe(true);
  expect(JSON.stringify(logLines())).not.toMatch(/params:|Failed query|"parameters"/);
};

describe('results that cannot be stored as they are', () => {
  it(
    'stores a 400 MB result cut to the byte limits, fails a deeply nested one alone, and completes the plain ' +
      'ones beside them',
    async () => {
      const huge = await queueRun("select repeat('x', 20 * 1024 * 1024) as v from generate_series(1, 20)");
      const nested = await queueRun("select (repeat('[', 5000) || repeat(']', 5000))::jsonb as deep");
      const plain = await queueRun('select 1 as one');
      const after = await queueRun('select 2 as two');

      const report = await drainQueue({ concurrency: 2 });

      expect(report).toMatchObject({ completed: 3, failed: 1, stashed: 0, lost: 0, stoppedBy: null });
      const big = await executionRow(huge);
      expect(big.status).toBe('completed');
      expect(big.result!.truncated).toEqual({
        values_shortened: 20,
        value_max_bytes: 65536,
        rows_dropped: 0,
        result_max_bytes: 4 * 1024 * 1024,
      });
      expect(big.result!.data.rows).toHaveLength(20);
      expect(big.result!.data.rows[0][0]).toBe('x'.repeat(65536));
      expect(await executionRow(nested)).toMatchObject({
        status: 'failed',
        attempts: 1,
        error_message:
          'The review finished but its result could not be stored: a value in the result is nested more than 100 ' +
          'levels deep',
      });
      expect(await executionRow(plain)).toMatchObject({
        status: 'completed',
        result: expect.objectContaining({ data: expect.objectContaining({ rows: [[1]] }) }),
      });
      expect(await executionRow(after)).toMatchObject({ status: 'completed' });
      noParametersLogged('execution finished');
    },
  );
});

describe('the service database drops connections while an outcome is written', () => {
  it('records the review completed on its first attempt when the outcome statement is terminated', async () => {
    const { id, drain, release } = await reviewBlockedAtOutcome();
    const [pid] = (await blockedOutcomeWrites())!;
    await admin`select pg_terminate_backend(${pid})`;
    // The retry waits on the same row lock: the write is being retried, not given up.
    await until('the outcome write is retried', async () =>
      (await blockedOutcomeWrites())?.some((p) => p !== pid) ? true : undefined,
    );
    await release();

    const report = await drain;

    expect(report).toMatchObject({ completed: 1, failed: 0, stashed: 0, lost: 0 });
    expect(await executionRow(id)).toMatchObject({ status: 'completed', attempts: 1, error_message: null });
    noParametersLogged('service database unavailable while recording outcomes; retrying');
  });

  it('records it when every service connection is terminated at once', async () => {
    const { id, drain, release } = await reviewBlockedAtOutcome();
    const terminated = await terminateServiceSessions(false);
    expect(terminated.length).toBeGreaterThanOrEqual(1);
    const released = Date.now();
    await release();

    const report = await drain;

    expect(report).toMatchObject({ completed: 1, failed: 0, stashed: 0, lost: 0 });
    expect(await executionRow(id)).toMatchObject({ status: 'completed', attempts: 1 });
    expect(Date.now() - released).toBeLessThan(5000);
    noParametersLogged('service database unavailable while recording outcomes; retrying');
  });

  it(
    'keeps the outcome in Redis when the database stays unreachable, and the tick records it before any ' + 'recovery',
    async () => {
      let invocationEnds = Number.POSITIVE_INFINITY;
      const { id, drain, release } = await reviewBlockedAtOutcome({ remainingMs: () => invocationEnds - Date.now() });
      // The invocation is about to end (the drain keeps 10 s to stash) and every attempt to write fails.
      invocationEnds = Date.now() + 12_000;
      let stop = false;
      const terminator = (async () => {
        while (!stop) {
          await terminateServiceSessions(true);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();

      const report = await drain;
      stop = true;
      await terminator;
      await release();

      expect(report).toMatchObject({ completed: 0, failed: 0, stashed: 1, lost: 0 });
      expect(await executionRow(id)).toMatchObject({ status: 'running', attempts: 1 });
      expect(await getRedis().hkeys(stashKey())).toEqual([String(id)]);

      // Later, past the execution's deadline: the tick must not run the finished review again.
      await admin`update task_executions set deadline_at = now() - interval '1 second' where id = ${id}`;
      const tick = await runTick();

      expect(tick.recovered).toEqual({ requeued: 0, failed: 0 });
      expect(await executionRow(id)).toMatchObject({
        status: 'completed',
        attempts: 1,
        result: expect.objectContaining({ data: expect.objectContaining({ rows: [['0']] }) }),
      });
      expect(await getRedis().hkeys(stashKey())).toEqual([]);
      noParametersLogged('execution outcome kept in Redis until the service database takes it');
    },
  );
});
