import type { Db } from '../../db/client.js';
import {
  advanceAndRecordRuns,
  deactivateUnschedulableTasks,
  lockDueTasks,
  type DueTask,
} from '../../db/queries/due-runs.js';
import { markEnqueued, markNotEnqueued } from '../../db/queries/executions.js';
import { log } from '../log/logger.js';
import { pushExecutionIds } from '../queue/execution-queue.js';
import { nextRunAfter } from './cron.js';

// Due tasks are claimed in batches of this size; each batch is one transaction and is pushed before
// the next is claimed, so a tick with a huge backlog that is cut short has lost nothing it claimed.
const CLAIM_BATCH = 5000;

/**
 * Claiming stops when less than this is left of the tick's invocation: what follows (pushing up to
 * 20,000 ids found unpushed, retention's 10 s, the notifications' share) must finish before Lambda
 * ends the tick. Stopping between batches leaves nothing half done: every batch claimed is pushed and
 * marked, and the tasks not reached are still due, so the next tick claims them at once.
 */
export const CLAIM_RESERVE_MS = 30_000;

export interface ClaimReport {
  claimed: number;
  skipped: number;
  pushed: number;
  /** Tasks set inactive because their next slot could not be computed. */
  deactivated: number;
  /** Why a push failed (Redis unreachable); those runs are pushed by a later tick. */
  pushFailed: string | null;
  /** Claiming stopped on the time budget with due tasks possibly left: the next tick claims them. */
  dueLeft: boolean;
}

/**
 * Claims every slot due at `now`, batch by batch, pushing each batch's queued runs as soon as it
 * commits, until none is left or `timeIsUp` says so (asked before each batch).
 */
export async function claimDueRuns(
  db: Db,
  now: Date,
  requeueAfterSeconds: number,
  timeIsUp: () => boolean = () => false,
): Promise<ClaimReport> {
  const report: ClaimReport = { claimed: 0, skipped: 0, pushed: 0, deactivated: 0, pushFailed: null, dueLeft: false };
  const nextSlot = memoizedNextSlot(now);
  for (;;) {
    if (timeIsUp()) {
      report.dueLeft = true;
      break;
    }
    const batch = await db.transaction(async (tx) => {
      const due = await lockDueTasks(tx, now, CLAIM_BATCH);
      const { schedulable, unschedulable } = nextSlots(due, nextSlot);
      await deactivateUnschedulableTasks(tx, unschedulable);
      return {
        count: due.length,
        unschedulable,
        runs: await advanceAndRecordRuns(tx, schedulable, requeueAfterSeconds),
      };
    });
    for (const task of batch.unschedulable)
      log.error('task set inactive: its next run cannot be computed', { taskId: task.id, reason: task.reason });
    report.deactivated += batch.unschedulable.length;
    const queued = batch.runs.filter((run) => run.status === 'queued').map((run) => run.id);
    report.claimed += queued.length;
    report.skipped += batch.runs.length - queued.length;
    // Once Redis has failed in this tick, later batches keep their lease and go to the next tick.
    if (!report.pushFailed) {
      report.pushFailed = await pushClaimed(db, queued);
      if (!report.pushFailed) report.pushed += queued.length;
    } else {
      await markNotEnqueued(db, queued);
    }
    if (batch.count < CLAIM_BATCH) break;
  }
  return report;
}

/** Pushes ids and marks them pushed only once the push succeeded; returns why it failed, if it did. */
export async function pushClaimed(db: Db, ids: number[]): Promise<string | null> {
  if (ids.length === 0) return null;
  const sorted = [...ids].sort((a, b) => a - b);
  try {
    await pushExecutionIds(sorted);
  } catch (error) {
    // Rows stay queued, marked not pushed; the next tick pushes them again. Nothing is lost.
    const reason = (error as Error).message;
    await markNotEnqueued(db, sorted);
    log.warn('tick could not reach Redis; queued executions will be pushed on a later tick', {
      error: reason,
      waiting: sorted.length,
    });
    return reason;
  }
  await markEnqueued(db, sorted);
  return null;
}

/** One task's broken schedule must not stop the tick: it is separated out, with the reason. */
function nextSlots(due: DueTask[], nextSlot: (task: DueTask) => Date) {
  const schedulable: Array<{ id: number; slot: Date; next: Date }> = [];
  const unschedulable: Array<{ id: number; reason: string }> = [];
  for (const task of due) {
    try {
      schedulable.push({ id: task.id, slot: task.nextRunAt, next: nextSlot(task) });
    } catch (error) {
      unschedulable.push({
        id: task.id,
        reason:
          `The scheduler set this task inactive: its next run cannot be computed for cron_schedule "${task.cronSchedule}" ` +
          `in time zone "${task.timezone}" (${(error as Error).message}). Correct it with PUT and set ` +
          'is_active to true.',
      });
    }
  }
  return { schedulable, unschedulable };
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
