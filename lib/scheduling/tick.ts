import { getDb, type Db } from '../../db/client.js';
import { advanceAndRecordRuns, lockDueTasks } from '../../db/queries/due-runs.js';
import { executionStatuses, markNotEnqueued } from '../../db/queries/executions.js';
import { claimExecutionsToPush, deleteExpiredExecutions, recoverOverdueExecutions } from '../../db/queries/recovery.js';
import { databaseNow } from '../../db/queries/tasks.js';
import { env } from '../env.js';
import { log } from '../log/logger.js';
import { queueNotificationEvents } from '../notifications/queue-events.js';
import { acknowledgeExecutionIds, peekProcessing, pushExecutionIds } from '../queue/execution-queue.js';
import { nextRunAfter } from './cron.js';

// Due tasks are claimed in batches of this size; each batch is one transaction, so a tick with a
// huge backlog makes progress even if it is cut short.
const CLAIM_BATCH = 5000;
const RETENTION_BATCH = 1000;

export interface TickReport {
  now: string;
  claimed: number;
  skipped: number;
  recovered: { requeued: number; failed: number };
  pushed: number;
  pushFailed: string | null;
  expiredDeleted: number;
  durationMs: number;
}

/**
 * One scheduler tick: claim due slots, recover executions whose consumer died, push every queued
 * id that is not known to be on the Redis list, and trim old history. `now` decides which slots
 * are due and is an input so tests pin it; by default it is the database's clock.
 */
export async function runTick(options: { now?: Date; db?: Db } = {}): Promise<TickReport> {
  const started = performance.now();
  const db = options.db ?? getDb();
  const now = options.now ?? (await databaseNow(db));
  const { MAX_ATTEMPTS, REQUEUE_AFTER_SECONDS, EXECUTION_RETENTION_DAYS } = env();

  const claimedIds: number[] = [];
  let skipped = 0;
  const nextSlot = memoizedNextSlot(now);
  for (;;) {
    const runs = await db.transaction(async (tx) => {
      const due = await lockDueTasks(tx, now, CLAIM_BATCH);
      const advanced = due.map((task) => ({ id: task.id, slot: task.nextRunAt, next: nextSlot(task) }));
      return { count: due.length, runs: await advanceAndRecordRuns(tx, advanced) };
    });
    for (const run of runs.runs) {
      if (run.status === 'queued') claimedIds.push(run.id);
      else skipped++;
    }
    if (runs.count < CLAIM_BATCH) break;
  }

  const recovered = await db.transaction(async (tx) => {
    const rows = await recoverOverdueExecutions(tx, MAX_ATTEMPTS);
    await queueNotificationEvents(tx, rows.filter((r) => r.status === 'failed').map((r) => r.id));
    return rows;
  });
  // Runs claimed above are already stamped as pushed by this tick; the claim here finds the rest
  // (pushes that failed earlier, ids Redis lost), which are older and so go first.
  const toPush = [...(await claimExecutionsToPush(db, REQUEUE_AFTER_SECONDS)), ...claimedIds.sort((a, b) => a - b)];

  let pushFailed: string | null = null;
  try {
    await pushExecutionIds(toPush);
  } catch (error) {
    // Rows stay queued, marked not pushed; the next tick pushes them again. Nothing is lost.
    pushFailed = (error as Error).message;
    await markNotEnqueued(db, toPush);
    log.warn('tick could not reach Redis; queued executions will be pushed on a later tick', { error: pushFailed, waiting: toPush.length });
  }
  // Trimming is housekeeping: a failure leaves stale entries for the next tick, never loses a run.
  if (!pushFailed) await trimProcessingList(db).catch(() => undefined);

  const expiredDeleted = await deleteExpiredExecutions(db, EXECUTION_RETENTION_DAYS, RETENTION_BATCH);

  const report: TickReport = {
    now: now.toISOString(),
    claimed: claimedIds.length,
    skipped,
    recovered: { requeued: recovered.filter((r) => r.status === 'queued').length, failed: recovered.filter((r) => r.status === 'failed').length },
    pushed: pushFailed ? 0 : toPush.length,
    pushFailed,
    expiredDeleted,
    durationMs: Math.round(performance.now() - started),
  };
  log.info('tick', { ...report });
  return report;
}

// Tasks sharing a schedule and zone share the computation: at 10,000 due tasks most do.
function memoizedNextSlot(now: Date) {
  const cache = new Map<string, Date>();
  return (task: { cronSchedule: string; timezone: string }): Date => {
    const key = `${task.timezone}\u0000${task.cronSchedule}`;
    let next = cache.get(key);
    if (!next) {
      next = nextRunAfter(task.cronSchedule, task.timezone, now);
      cache.set(key, next);
    }
    return next;
  };
}

/** Drops processing-list entries whose execution is no longer running (finished, recovered or gone). */
async function trimProcessingList(db: Db): Promise<void> {
  const entries = await peekProcessing();
  if (entries.length === 0) return;
  const ids = entries.map(Number).filter((n) => Number.isSafeInteger(n) && n > 0);
  const statuses = await executionStatuses(db, ids);
  // A recovered execution is queued or failed by now; one running again belongs to a live consumer.
  await acknowledgeExecutionIds(entries.filter((entry) => statuses.get(Number(entry)) !== 'running'));
}
