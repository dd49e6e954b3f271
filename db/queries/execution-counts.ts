import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';

/**
 * Folds each bucket's rows (one per statement that touched its executions, see
 * db/schema/execution-counts.ts) into one and drops buckets the stats no longer read. Rows written
 * while it runs are not seen by its delete and stay as they are, and two folds at once each delete a
 * row at most once, so the sums never change.
 */
export async function foldExecutionCounts(db: DbOrTx): Promise<void> {
  await db.execute(sql`
    with folded as (
      delete from execution_counts
       where bucket < now() - interval '25 hours'
          or bucket in (select bucket from execution_counts group by bucket having count(*) > 1)
      returning *)
    insert into execution_counts (bucket, total, completed, failed, running)
    select bucket, sum(total), sum(completed), sum(failed), sum(running)
      from folded
     where bucket >= now() - interval '25 hours'
     group by bucket`);
}
