import { sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { foldExecutionCounts } from '../../db/queries/execution-counts.js';
import { getDb } from '../../db/client.js';
import { handler as stats } from '../../functions/stats/get.js';
import { apiEvent, call } from '../helpers/api.js';
import { createLocalConnection } from '../helpers/factories.js';
import { query } from '../helpers/service-db.js';

const readStats = async () => (await call(stats, apiEvent('GET', '/api/v1/scheduler/stats'))).body.executions_24h;

/** What the stats must say: the executions of the last 24 hours, counted row by row. */
const countedFromRows = async () =>
  (
    await query<Record<string, number>>(sql`
      select count(*)::int as total_executions, (count(*) filter (where status = 'completed'))::int as completed,
             (count(*) filter (where status = 'failed'))::int as failed,
             (count(*) filter (where status = 'running'))::int as running
        from task_executions where created_at >= now() - interval '24 hours'`)
  )[0];

const rowsPerBucket = async () =>
  query<{ bucket: string; rows: number }>(
    sql`select bucket, count(*)::int as rows from execution_counts group by bucket having count(*) > 1`,
  );

let connectionId: number;
/** Executions created `minutesAgo` before now, `count` of each status given. */
async function plant(minutesAgo: number[], statuses: string[]) {
  await query(sql`
    insert into task_executions (connection_id, task_type, trigger, status, created_at)
    select ${connectionId}, 'custom_sql', 'manual', s, now() - make_interval(mins => m)
      from unnest(${`{${minutesAgo.join(',')}}`}::int[]) m, unnest(${`{${statuses.join(',')}}`}::text[]) s`);
}

beforeEach(async () => {
  connectionId ??= (await createLocalConnection()).id;
  await query(sql`truncate task_executions`);
});

describe('GET /scheduler/stats over the execution counts', () => {
  it('says what counting the last 24 hours row by row says, edges of the window included', async () => {
    // A run every minute from 1,434 to 1,446 minutes ago: the window's first five-minute bucket, wherever the
    // window starts in it, holds runs on both sides of its start.
    const aroundStart = Array.from({ length: 13 }, (_, i) => 1434 + i);
    await plant([1, 30, 61, 600, ...aroundStart, 1500, 2000], ['completed', 'failed', 'running', 'queued']);
    expect(await readStats()).toEqual(await countedFromRows());
    expect((await readStats()).total_executions).toBe((4 + 6) * 4);
  });

  it('follows status changes and deletes in the same transaction as they happen', async () => {
    await plant([5, 200, 1200], ['queued', 'queued', 'running']);
    await getDb().transaction(async (tx) => {
      await tx.execute(sql`update task_executions set status = 'running' where status = 'queued'`);
      await tx.execute(
        sql`update task_executions set status = case when id % 2 = 0 then 'completed' else 'failed' end where status = 'running'`,
      );
    });
    await query(sql`delete from task_executions where created_at < now() - interval '1000 minutes'`);
    await query(sql`update task_executions set error_message = 'no status change' where status = 'failed'`);
    const counted = await countedFromRows();
    expect(counted.completed + counted.failed).toBe(6);
    expect(await readStats()).toEqual(counted);
  });

  it('is unchanged by folding, which leaves one row a bucket and drops buckets past the window', async () => {
    for (const status of ['queued', 'running', 'completed', 'failed'])
      await plant([2, 3, 700, 1440 + 120, 3000], [status]);
    await query(sql`update task_executions set status = 'completed' where status = 'running'`);
    const before = await readStats();
    expect((await rowsPerBucket()).length).toBeGreaterThan(0);

    // Two folds at once while executions are written: no row is counted twice or lost.
    await Promise.all([foldExecutionCounts(getDb()), foldExecutionCounts(getDb()), plant([4], ['completed'])]);
    await foldExecutionCounts(getDb());

    expect(await rowsPerBucket()).toEqual([]);
    const [{ old }] = await query<{ old: number }>(
      sql`select count(*)::int as old from execution_counts where bucket < now() - interval '25 hours'`,
    );
    expect(old).toBe(0);
    expect(await readStats()).toEqual({
      ...before,
      total_executions: before.total_executions + 1,
      completed: before.completed + 1,
    });
    expect(await readStats()).toEqual(await countedFromRows());
  });

  it('starts from zero after the executions are truncated', async () => {
    await plant([1, 2], ['completed']);
    await query(sql`truncate task_executions`);
    expect(await readStats()).toEqual({ total_executions: 0, completed: 0, failed: 0, running: 0 });
  });
});
