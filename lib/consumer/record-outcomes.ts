import type { Db } from '../../db/client.js';
import { clearNotificationsPending, finishExecutions, type StoredOutcome } from '../../db/queries/executions.js';
import { log } from '../log/logger.js';
import { queueNotificationEvents } from '../notifications/queue-events.js';
import { notStoredMessage } from './stored-outcome.js';
import { errorMessageForLog, isTransientDatabaseError } from '../../db/transient-errors.js';

export interface RecordingReport {
  /** Ids whose outcome is now recorded. */
  recorded: Set<number>;
  /** Outcomes not recorded because the database could not be reached in time: keep them elsewhere. */
  unrecorded: StoredOutcome[];
}

/** Until when (epoch ms) transient errors are retried. */
export type RetryUntil = () => number;

const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 2000;

/**
 * Records a batch of outcomes. Each is recorded on its own merits:
 * - a transient error (connection lost, failover, too many clients, deadlock) is retried with
 *   backoff until `retryUntil`; the write is idempotent under its status and attempt guard, so a
 *   retry after a lost reply changes nothing twice;
 * - any other failure of the batch statement (a result jsonb refuses, a batch over a server limit)
 *   makes the batch be recorded one by one, and an outcome the server refuses alone is recorded as
 *   a failure carrying the server's reason;
 * - what still could not be written when time is up comes back as `unrecorded`. Never throws.
 */
export async function recordOutcomes(
  db: Db,
  outcomes: readonly StoredOutcome[],
  retryUntil: RetryUntil,
): Promise<RecordingReport> {
  const report: RecordingReport = { recorded: new Set(), unrecorded: [] };
  if (outcomes.length === 0) return report;
  try {
    for (const id of await withRetries(() => writeOutcomes(db, outcomes), retryUntil)) report.recorded.add(id);
    return report;
  } catch (error) {
    if (isTransientDatabaseError(error)) return { ...report, unrecorded: [...outcomes] };
    if (outcomes.length > 1)
      log.warn('outcome batch refused; recording its outcomes one by one', {
        executions: outcomes.length,
        error: errorMessageForLog(error),
      });
  }
  for (const one of outcomes) await recordAlone(db, one, retryUntil, report);
  return report;
}

async function recordAlone(
  db: Db,
  outcome: StoredOutcome,
  retryUntil: RetryUntil,
  report: RecordingReport,
): Promise<void> {
  let toWrite = outcome;
  for (let refusals = 0; ; refusals++) {
    try {
      for (const id of await withRetries(() => writeOutcomes(db, [toWrite]), retryUntil)) report.recorded.add(id);
      return;
    } catch (error) {
      if (isTransientDatabaseError(error)) {
        report.unrecorded.push(toWrite);
        return;
      }
      // A failure with no result carries nothing the server could refuse; refused twice, give up loudly.
      if (refusals > 0) {
        log.error('execution outcome could not be recorded', {
          executionId: outcome.id,
          error: errorMessageForLog(error),
        });
        return;
      }
      const reason = notStoredMessage(errorMessageForLog(error));
      log.error('execution result refused by the database; recorded as failed', {
        executionId: outcome.id,
        error: reason,
      });
      toWrite = { ...outcome, status: 'failed', resultJson: null, errorMessage: reason };
    }
  }
}

/**
 * Writes an outcome batch and queues the notification events it causes. Not wrapped in a
 * transaction: when the server ends a session inside `begin()`, postgres.js 3.4 sends its own
 * ROLLBACK to the closed socket and the process dies with an uncaught TypeError (porsager/postgres
 * #1208). Instead the outcome statement itself marks each outcome `notifications_pending` (when an
 * active channel exists); the mark is cleared only after the events are queued, so events that fail
 * to queue here (or are lost with this process) are queued by the next tick. Queueing twice is
 * harmless: a delivery is unique per run, channel and event type.
 */
async function writeOutcomes(db: Db, outcomes: readonly StoredOutcome[]): Promise<Set<number>> {
  const { recorded, notificationsPending } = await finishExecutions(db, outcomes);
  // The outcome statement marks its rows pending exactly when an active channel exists: with none
  // marked there is nothing to queue, and asking for the channels again would cost a statement a batch.
  if (notificationsPending.length === 0) return recorded;
  try {
    await queueNotificationEvents(db, [...recorded]);
    await clearNotificationsPending(db, notificationsPending);
  } catch (error) {
    log.error('notification events of recorded outcomes could not be queued now; the next tick queues them', {
      executions: [...recorded],
      error: errorMessageForLog(error),
    });
  }
  return recorded;
}

async function withRetries<T>(write: () => Promise<T>, retryUntil: RetryUntil): Promise<T> {
  for (let backoff = FIRST_BACKOFF_MS; ; backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)) {
    try {
      return await write();
    } catch (error) {
      if (!isTransientDatabaseError(error) || Date.now() + backoff > retryUntil()) throw error;
      log.warn('service database unavailable while recording outcomes; retrying', {
        error: errorMessageForLog(error),
        retryInMs: backoff,
      });
      await new Promise((resolve) => setTimeout(resolve, backoff));
    }
  }
}
