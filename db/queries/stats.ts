import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';

export interface SchedulerStats {
  tasks: { total_tasks: number; active_tasks: number; inactive_tasks: number };
  executions_24h: { total_executions: number; completed: number; failed: number; running: number };
  timestamp: string;
}

/**
 * One round trip. The window's buckets are read from execution_counts; only the part of its first bucket
 * inside the window (under five minutes of runs) is counted from the executions themselves.
 */
export async function readSchedulerStats(db: DbOrTx): Promise<SchedulerStats> {
  const [row] = await db.execute<Record<string, string | number>>(sql`
    select t.total, t.active, e.total as executions, e.completed, e.failed, e.running, now() as now
      from (select count(*)::int as total, (count(*) filter (where is_active))::int as active from scheduled_tasks) t,
           (select coalesce(sum(total), 0)::int as total, coalesce(sum(completed), 0)::int as completed,
                   coalesce(sum(failed), 0)::int as failed, coalesce(sum(running), 0)::int as running
              from (select count(*) as total, count(*) filter (where status = 'completed') as completed,
                           count(*) filter (where status = 'failed') as failed,
                           count(*) filter (where status = 'running') as running
                      from task_executions
                     where created_at >= now() - interval '24 hours'
                       and created_at < execution_count_bucket_end(now() - interval '24 hours')
                    union all
                    select sum(total), sum(completed), sum(failed), sum(running)
                      from execution_counts
                     where bucket >= execution_count_bucket_end(now() - interval '24 hours')) parts) e`);
  const n = (k: string) => Number(row[k]);
  return {
    tasks: { total_tasks: n('total'), active_tasks: n('active'), inactive_tasks: n('total') - n('active') },
    executions_24h: {
      total_executions: n('executions'),
      completed: n('completed'),
      failed: n('failed'),
      running: n('running'),
    },
    timestamp: new Date(String(row.now)).toISOString(),
  };
}
