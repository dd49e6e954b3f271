import { spawn } from 'node:child_process';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as getTask } from '../../functions/tasks/get.js';
import { handler as queueStatus } from '../../functions/queue/status.js';
import { handler as consumer } from '../../functions/scheduler/consumer.js';
import { runTick } from '../../lib/scheduling/tick.js';
import { startRedisRestServer } from '../../scripts/redis-rest/server.js';
import { apiEvent, call } from '../helpers/api.js';
import { queueViaApi } from '../helpers/review-now.js';
import { createLocalConnection, createTaskVia, customSqlTask } from '../helpers/factories.js';
import { PrivateRedis } from '../helpers/private-redis.js';
import { bulkCreateTasks, executionsOf, makeTasksDue, query } from '../helpers/service-db.js';
import { withoutConsumerStarts } from '../helpers/environment.js';
import { queuedIds } from '../helpers/queue.js';

// This file's queue lives on a Redis of its own, which the tests stop and start.
let redis: PrivateRedis;
let rest: Awaited<ReturnType<typeof startRedisRestServer>>;
let connectionId: number;
withoutConsumerStarts();
process.env.MAX_ATTEMPTS = '2';

beforeAll(async () => {
  redis = await PrivateRedis.start();
  rest = await startRedisRestServer({ port: 0, token: 'fault-token', redisUrl: redis.url });
  process.env.UPSTASH_REDIS_REST_URL = rest.url;
  process.env.UPSTASH_REDIS_REST_TOKEN = 'fault-token';
  connectionId = (await createLocalConnection()).id;
});
afterAll(async () => {
  await rest.close();
  await redis.stop();
});

/** The REST endpoint reconnects to a restarted Redis within a moment; wait for that, bounded. */
async function untilQueueAnswers(): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await call(queueStatus, apiEvent('GET', '/api/v1/scheduler/queue/status'))).status !== 200) {
    if (Date.now() > deadline) throw new Error('the queue did not come back within 10 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const countByStatus = async (taskIds: number[]) =>
  Object.fromEntries(
    (
      await query<{ status: string; n: number }>(sql`
      select status, count(*)::int as n from task_executions
       where scheduled_task_id in (select unnest(${`{${taskIds.join(',')}}`}::int[])) group by status`)
    ).map((r) => [r.status, r.n]),
  );

describe('Redis stopped', () => {
  it('loses no due run during a tick: the runs stay queued, and each executes exactly once after Redis returns', async () => {
    const ids = await bulkCreateTasks(connectionId, 50, '0 3 * * *');
    await makeTasksDue(ids, new Date(Date.now() - 60_000));
    await redis.stop();

    const down = await runTick();
    expect(down.claimed).toBe(50);
    expect(down.pushFailed).toMatch(/Redis/);
    const status = await call(queueStatus, apiEvent('GET', '/api/v1/scheduler/queue/status'));
    expect(status.status).toBe(503);
    expect(status.body.detail).toMatch(/^Redis is unavailable/);
    const task = await call(
      getTask,
      apiEvent('GET', `/api/v1/scheduler/tasks/${ids[0]}`, { path: { task_id: String(ids[0]) } }),
    );
    expect(task.status).toBe(200);

    await redis.resume();
    await untilQueueAnswers();
    const up = await runTick();
    expect(up.pushed).toBe(50);
    expect((await queuedIds()).length).toBe(50);
    await consumer({});
    expect(await countByStatus(ids)).toEqual({ completed: 50 });
  });

  it('keeps taken executions recoverable when Redis stops during a drain', async () => {
    const task = await createTaskVia(customSqlTask(connectionId));
    const queued = [];
    for (let i = 0; i < 5; i++) queued.push((await queueViaApi(task.id)).body.execution_id);
    await redis.stop();
    // The drain stops and says why instead of throwing into Lambda's retry of the invocation.
    expect((await consumer({})).stoppedBy).toMatch(/Redis is unavailable/);
    await redis.resume();
    await untilQueueAnswers();
    // The private Redis keeps nothing on disk: its list is gone, as after a real restart. The rows
    // are still queued and are pushed again once they have waited REQUEUE_AFTER_SECONDS.
    await query(
      sql`update task_executions set enqueued_at = now() - interval '1 hour' where scheduled_task_id = ${task.id}`,
    );
    await runTick();
    await consumer({});
    const executions = await executionsOf(task.id);
    expect(executions.map((e) => e.status)).toEqual(['completed', 'completed', 'completed', 'completed', 'completed']);
    expect(executions.every((e) => e.attempts === 1)).toBe(true);
  });
});

describe('a consumer killed mid-execution', () => {
  it('is detected after the execution timeout, retried, and the execution completes once', async () => {
    const target = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
    await target`create table if not exists held (id int)`;
    const task = await createTaskVia(
      customSqlTask(connectionId, { task_params: { custom_sql: 'select count(*) from held', query_timeout: 3 } }),
    );
    // Hold a lock the execution's query waits on, so the consumer is mid-execution when killed.
    const holder = await target.reserve();
    await holder`begin`;
    await holder`lock table held in access exclusive mode`;
    await queueViaApi(task.id);

    // Node itself (not npx) so SIGKILL reaches the process that holds the execution.
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/consumer-process.ts'], {
      env: { ...process.env },
      stdio: 'ignore',
    });
    const deadline = Date.now() + 30_000;
    while ((await executionsOf(task.id))[0].status !== 'running') {
      if (Date.now() > deadline) throw new Error('the consumer never started the execution');
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    await holder`rollback`;
    holder.release();

    // Once its deadline (query_timeout + grace) has passed, the tick gives the attempt up and queues it again.
    await query(
      sql`update task_executions set deadline_at = now() - interval '1 second' where scheduled_task_id = ${task.id}`,
    );
    expect((await runTick()).recovered.requeued).toBe(1);
    await consumer({});
    const [execution] = await executionsOf(task.id);
    expect(execution).toMatchObject({ status: 'completed', attempts: 2 });
    await target.end();
  });

  it('is failed, not left running, once its attempts are used up', async () => {
    const task = await createTaskVia(customSqlTask(connectionId));
    await queueViaApi(task.id);
    // A consumer that took its second attempt and vanished.
    await query(
      sql`update task_executions set status = 'running', attempts = 2, started_at = now() - interval '10 minutes', deadline_at = now() - interval '1 minute' where scheduled_task_id = ${task.id}`,
    );
    const report = await runTick();
    expect(report.recovered.failed).toBeGreaterThanOrEqual(1);
    const [execution] = await executionsOf(task.id);
    expect(execution).toMatchObject({
      status: 'failed',
      error_message: 'The execution did not finish: its consumer stopped responding after 2 attempt(s)',
    });
  });
});
