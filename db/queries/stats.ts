import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';

export interface SchedulerStats {
  tasks: { total_tasks: number; active_tasks: number; inactive_tasks: number };
  executions_24h: { total_executions: number; completed: number; failed: number; running: number };
  timestamp: string;
}

/** One round trip; the 24-hour window uses the created_at index. */
export async function readSchedulerStats(db: DbOrTx): Promise<SchedulerStats> {
  const [row] = await db.execute<Record<string, string | number>>(sql`
    select t.total, t.active, e.total as executions, e.completed, e.failed, e.running, now() as now
      from (select count(*)::int as total, (count(*) filter (where is_active))::int as active from scheduled_tasks) t,
           (select count(*)::int as total,
                   (count(*) filter (where status = 'completed'))::int as completed,
                   (count(*) filter (where status = 'failed'))::int as failed,
                   (count(*) filter (where status = 'running'))::int as running
              from task_executions where created_at >= now() - interval '24 hours') e`);
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
