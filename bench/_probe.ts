import { sql } from 'drizzle-orm';
import { closeDb, getDb } from '../db/client.js';
import { advanceAndRecordRuns, lockDueTasks } from '../db/queries/due-runs.js';
import { claimExecutionsToPush } from '../db/queries/recovery.js';
import { pushExecutionIds } from '../lib/queue/execution-queue.js';
import { nextRunAfter } from '../lib/scheduling/cron.js';
import { createBenchDatabase } from './support/bench-database.js';
import { startCountedRedisEndpoint } from './support/counted-redis.js';
import { useServiceEnvironment } from './support/service-environment.js';

const database = await createBenchDatabase('probe');
const redis = await startCountedRedisEndpoint();
useServiceEnvironment({ databaseUrl: database.url, redisUrl: redis.url, redisToken: redis.token });
const db = getDb();
try {
  await db.execute(sql`insert into connections (name, host, port, database, username, sslmode) values ('b','127.0.0.1',5432,'x','postgres','disable')`);
  await db.execute(sql`insert into scheduled_tasks (name, task_type, connection_id, cron_schedule, task_params, next_run_at)
    select 'b'||g, 'custom_sql', 1, '*/5 * * * *', '{"custom_sql":"select 1","query_timeout":300}'::jsonb, case when g % 10 = 0 then now() - interval '1 minute' else now() + interval '1 day' end from generate_series(1,100000) g`);
  await db.execute(sql`vacuum analyze`);
  for (let rep = 0; rep < 3; rep++) {
    const t = (label: string, t0: number) => console.log(label, Math.round(performance.now() - t0));
    const now = new Date();
    let t0 = performance.now();
    for (;;) {
      const n = await db.transaction(async (tx) => {
        let s = performance.now();
        const due = await lockDueTasks(tx, now, 5000);
        t('  lock', s);
        s = performance.now();
        const adv = due.map((d) => ({ id: d.id, slot: d.nextRunAt, next: nextRunAfter('*/5 * * * *', 'UTC', now) }));
        t('  cron', s);
        s = performance.now();
        await advanceAndRecordRuns(tx, adv);
        t('  advance', s);
        return due.length;
      });
      if (n < 5000) break;
    }
    t('claim total', t0);
    t0 = performance.now();
    const ids = await claimExecutionsToPush(db, 300);
    t('claimToPush', t0);
    t0 = performance.now();
    await pushExecutionIds(ids);
    t('push', t0);
    await db.execute(sql`delete from task_executions`);
    await db.execute(sql`update scheduled_tasks set next_run_at = now() - interval '1 minute' where id % 10 = 0`);
    await db.execute(sql`vacuum analyze`);
  }
} finally {
  await closeDb();
  await redis.close();
  await database.drop();
}
