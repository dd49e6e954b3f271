import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drainQueue } from '../../lib/consumer/drain-queue.js';
import { queueViaApi } from '../helpers/review-now.js';
import { createLocalConnection, createTaskVia, customSqlTask } from '../helpers/factories.js';
import { query } from '../helpers/service-db.js';
import { withoutConsumerStarts } from '../helpers/environment.js';
import { clearQueue } from '../helpers/queue.js';

withoutConsumerStarts();

let connectionId: number;
let admin: postgres.Sql;
beforeAll(async () => {
  connectionId = (await createLocalConnection()).id;
  admin = postgres(process.env.DATABASE_URL!, { max: 2, onnotice: () => {} });
  await clearQueue();
});
afterAll(async () => {
  await admin.end();
});

const backendPids = async (taskId: number) =>
  (
    await query<{ status: string; pid: string | null }>(sql`
    select status, result->'data'->'rows'->0->>0 as pid from task_executions where scheduled_task_id = ${taskId} order by id`)
  ).map((r) => [r.status, r.pid]);
const ourSessions = () =>
  admin<
    { pid: number }[]
  >`select pid from pg_stat_activity where application_name = 'pg-reviewer' and datname = current_database()`;

describe('connections to the reviewed database during a drain', () => {
  it(
    'reuses one connection for consecutive executions against the same database, and closes it when the drain ' +
      'ends',
    async () => {
      const task = await createTaskVia(
        customSqlTask(connectionId, { task_params: { custom_sql: 'select pg_backend_pid()' } }),
      );
      for (let i = 0; i < 3; i++) await queueViaApi(task.id);
      await drainQueue({ concurrency: 1 });
      const pids = await backendPids(task.id);
      expect(pids.map(([status]) => status)).toEqual(['completed', 'completed', 'completed']);
      expect(new Set(pids.map(([, pid]) => pid)).size).toBe(1);
      expect(await ourSessions()).toEqual([]);
    },
  );

  it('opens at most TARGET_SESSIONS_PER_DATABASE sessions to one database, however many workers run', async () => {
    const task = await createTaskVia(
      customSqlTask(connectionId, { task_params: { custom_sql: 'select pg_backend_pid()' } }),
    );
    for (let i = 0; i < 16; i++) await queueViaApi(task.id);
    await drainQueue({ concurrency: 8 });
    const pids = await backendPids(task.id);
    expect(pids.map(([status]) => status)).toEqual(Array(16).fill('completed'));
    // The default limit is 4: the first eight executions start together and share four sessions.
    expect(new Set(pids.map(([, pid]) => pid)).size).toBe(4);
    expect(await ourSessions()).toEqual([]);
  });

  it('never hands on a connection whose review failed: the next execution gets a new one', async () => {
    await admin`create table if not exists locked (id int)`;
    const slow = await createTaskVia(
      customSqlTask(connectionId, { task_params: { custom_sql: 'select count(*) from locked', query_timeout: 1 } }),
    );
    const pid = await createTaskVia(
      customSqlTask(connectionId, { task_params: { custom_sql: 'select pg_backend_pid()', query_timeout: 1 } }),
    );
    const holder = await admin.reserve();
    await holder`begin`;
    await holder`lock table locked in access exclusive mode`;
    await queueViaApi(pid.id);
    await queueViaApi(slow.id);
    await queueViaApi(pid.id);
    await drainQueue({ concurrency: 1 });
    await holder`rollback`;
    holder.release();
    expect((await backendPids(slow.id))[0][0]).toBe('failed');
    const [first, second] = await backendPids(pid.id);
    expect([first[0], second[0]]).toEqual(['completed', 'completed']);
    expect(first[1]).not.toBe(second[1]);
  });
});
