import type { Db } from '../../db/client.js';
import { countExpiredExecutions, deleteExpiredExecutions } from '../../db/queries/recovery.js';

// Rows per delete statement: small enough to hold locks briefly, large enough that a few statements
// a tick outpace the rate history grows (10,000 every-minute tasks write 10,000 rows a minute).
export const RETENTION_BATCH = 5000;
// The tick's share for retention; the rest of a busy tick's minute is for scheduling.
export const RETENTION_BUDGET_MS = 10_000;
const REMAINING_COUNT_CAP = 100_000;

export interface RetentionReport {
  deleted: number;
  /** Expired rows still there when the budget ran out (counted up to 100,000). */
  remaining: number;
}

/** Deletes expired executions in batches until none is left or the time budget is used. */
export async function deleteExpiredHistory(
  db: Db,
  retentionDays: number,
  budgetMs = RETENTION_BUDGET_MS,
): Promise<RetentionReport> {
  const started = performance.now();
  let deleted = 0;
  for (;;) {
    const batch = await deleteExpiredExecutions(db, retentionDays, RETENTION_BATCH);
    deleted += batch;
    if (batch < RETENTION_BATCH) return { deleted, remaining: 0 };
    if (performance.now() - started >= budgetMs) break;
  }
  return { deleted, remaining: await countExpiredExecutions(db, retentionDays, REMAINING_COUNT_CAP) };
}
