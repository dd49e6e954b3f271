import { getDb, type Db } from '../../db/client.js';
import { readExecutionStatuses } from '../../db/queries/executions.js';
import { claimExecutionsToPush, recoverOverdueExecutions, type RecoveredExecution } from '../../db/queries/recovery.js';
import { databaseNow } from '../../db/queries/tasks.js';
import { env } from '../env.js';
import { writeBackStashedOutcomes } from '../consumer/outcome-stash.js';
import { errorMessageForLog, isTransientDatabaseError } from '../../db/transient-errors.js';
import { driverError } from '../../db/errors.js';
import { log } from '../log/logger.js';
import { queueNotificationEvents } from '../notifications/queue-events.js';
import { acknowledgeExecutionIds, readQueueLists } from '../queue/execution-queue.js';
import { CLAIM_RESERVE_MS, claimDueRuns, pushClaimed } from './claim-due-runs.js';
import { foldExecutionCounts } from '../../db/queries/execution-counts.js';
import { deleteExpiredHistory, RETENTION_BUDGET_MS } from './retention.js';

// Left after retention for the rest of the tick and the notifications it sends (functions/scheduler/tick.ts).
const RETENTION_RESERVE_MS = 20_000;

export interface TickReport {
  now: string;
  claimed: number;
  skipped: number;
  /** Tasks set inactive because their next slot could not be computed. */
  deactivated: number;
  recovered: { requeued: number; failed: number };
  pushed: number;
  pushFailed: string | null;
  /** Claiming stopped on the invocation's time budget with due tasks possibly left; the next tick claims them. */
  dueLeft: boolean;
  expiredDeleted: number;
  expiredRemaining: number;
  durationMs: number;
}

export interface TickOptions {
  now?: Date;
  db?: Db;
  /** Milliseconds left of the invocation (Lambda's getRemainingTimeInMillis): claiming stops in time. */
  remainingMs?: () => number;
}

/**
 * One scheduler tick: claim due slots and push them, write back outcomes a consumer had to stash,
 * recover executions whose consumer died, push every queued id that is not known to be on the Redis
 * list, and trim old history. `now` decides which slots are due and is an input so tests pin it; by
 * default it is the database's clock.
 */
export async function runTick(options: TickOptions = {}): Promise<TickReport> {
  try {
    // A pooled session the server ended (failover, pg_terminate_backend) answers its next statement
    // with that error once: every step of a tick is idempotent, so it is run again once.
    return await tick(options).catch((error: unknown) =>
      isTransientDatabaseError(error) ? tick(options) : Promise.reject(error),
    );
  } catch (error) {
    // Drizzle's message carries every parameter of the failed statement and the runtime logs the whole cause
    // chain, so the cause is the driver's error under it, not the caught one.
    // eslint-disable-next-line preserve-caught-error
    throw new Error(`The tick failed: ${errorMessageForLog(error)}`, { cause: driverError(error) });
  }
}

async function tick(options: TickOptions): Promise<TickReport> {
  const started = performance.now();
  const db = options.db ?? getDb();
  const now = options.now ?? (await databaseNow(db));
  const { MAX_ATTEMPTS, REQUEUE_AFTER_SECONDS, EXECUTION_RETENTION_DAYS } = env();

  const remainingMs = options.remainingMs;
  const claim = await claimDueRuns(
    db,
    now,
    REQUEUE_AFTER_SECONDS,
    remainingMs ? () => remainingMs() < CLAIM_RESERVE_MS : undefined,
  );
  const recovered = await recoverUnlessOutcomesWait(db, MAX_ATTEMPTS);

  // The claim here finds the rest: pushes that failed earlier, runs of a tick that died before its
  // push, ids Redis lost.
  const rest = claim.pushFailed
    ? { pushed: 0, pushFailed: claim.pushFailed, processing: [] }
    : await pushTheRest(db, REQUEUE_AFTER_SECONDS);
  const pushFailed = rest.pushFailed;
  // Trimming is housekeeping: a failure leaves stale entries for the next tick, never loses a run.
  if (!pushFailed) await trimProcessingList(db, rest.processing).catch(() => undefined);

  // Retention gets what is left of its share, if anything: scheduling and pushing come first.
  const expired = await deleteExpiredHistory(
    db,
    EXECUTION_RETENTION_DAYS,
    remainingMs ? Math.min(RETENTION_BUDGET_MS, remainingMs() - RETENTION_RESERVE_MS) : RETENTION_BUDGET_MS,
  );

  // Housekeeping too: unfolded rows only make the stats read a few more rows.
  await foldExecutionCounts(db).catch((error: unknown) =>
    log.warn('execution counts not folded this tick', { error: errorMessageForLog(error) }),
  );

  const report: TickReport = {
    now: now.toISOString(),
    claimed: claim.claimed,
    skipped: claim.skipped,
    deactivated: claim.deactivated,
    recovered: {
      requeued: recovered.filter((r) => r.status === 'queued').length,
      failed: recovered.filter((r) => r.status === 'failed').length,
    },
    pushed: claim.pushed + rest.pushed,
    pushFailed,
    dueLeft: claim.dueLeft,
    expiredDeleted: expired.deleted,
    expiredRemaining: expired.remaining,
    durationMs: Math.round(performance.now() - started),
  };
  log.info('tick', { ...report });
  return report;
}

/**
 * Pushes the queued executions the claim did not push; says how many, or why Redis could not take them, and
 * what the processing list held, read in the same request as the lists' lengths the push depends on.
 */
async function pushTheRest(
  db: Db,
  requeueAfterSeconds: number,
): Promise<{ pushed: number; pushFailed: string | null; processing: string[] }> {
  let lists: Awaited<ReturnType<typeof readQueueLists>>;
  try {
    lists = await readQueueLists();
  } catch (error) {
    log.warn('tick could not reach Redis; queued executions will be pushed on a later tick', {
      error: (error as Error).message,
    });
    return { pushed: 0, pushFailed: (error as Error).message, processing: [] };
  }
  const toPush = await claimExecutionsToPush(db, requeueAfterSeconds, lists.listed);
  const pushFailed = await pushClaimed(db, toPush);
  return { pushed: pushFailed ? 0 : toPush.length, pushFailed, processing: lists.processing };
}

/**
 * A running execution past its deadline may have finished with its outcome stashed in Redis (the
 * service database was unreachable when it ended): those are written first, and while the stash
 * cannot be read nothing is recovered, so a finished review is never run again.
 */
async function recoverUnlessOutcomesWait(db: Db, maxAttempts: number): Promise<RecoveredExecution[]> {
  try {
    const { pending } = await writeBackStashedOutcomes(db);
    if (pending > 0) {
      log.warn('recovery postponed: stashed outcomes are still waiting to be recorded', { pending });
      return [];
    }
  } catch (error) {
    log.warn('recovery postponed: stashed outcomes cannot be read', { error: errorMessageForLog(error) });
    return [];
  }
  return db.transaction(async (tx) => {
    const rows = await recoverOverdueExecutions(tx, maxAttempts);
    await queueNotificationEvents(
      tx,
      rows.filter((r) => r.status === 'failed').map((r) => r.id),
    );
    return rows;
  });
}

/**
 * Drops processing-list entries whose execution is no longer running (finished, recovered or gone),
 * and hands back to the queue those still queued: an id whose take reached Redis but whose reply
 * never reached a consumer. Pushing one that a consumer is just about to claim is harmless (the
 * second copy is not claimed).
 */
async function trimProcessingList(db: Db, entries: string[]): Promise<void> {
  if (entries.length === 0) return;
  const ids = entries.map(Number).filter((n) => Number.isSafeInteger(n) && n > 0);
  const statuses = await readExecutionStatuses(db, ids);
  const untaken = entries.filter((entry) => statuses.get(Number(entry)) === 'queued');
  // A recovered execution is queued or failed by now; one running again belongs to a live consumer.
  const finished = entries.filter((entry) => !['running', 'queued'].includes(statuses.get(Number(entry)) ?? ''));
  await acknowledgeExecutionIds(finished, untaken);
}
