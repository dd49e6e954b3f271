import type { Db } from '../../db/client.js';
import { finishExecutions, type FinishedExecution } from '../../db/queries/executions.js';
import { databaseSqlState, driverError } from '../../db/errors.js';
import { log } from '../log/logger.js';
import { queueNotificationEvents } from '../notifications/queue-events.js';

const isDataError = (error: unknown) => databaseSqlState(error)?.startsWith('22') ?? false;

/** The server's message and detail. */
function refusal(error: unknown): string {
  const e = driverError(error) as { message?: string; detail?: string };
  return `The review finished but its result could not be stored: ${e.message}${e.detail ? ` (${e.detail})` : ''}`;
}

/**
 * Records a batch of outcomes in one statement. An outcome the database refuses as data (a NUL
 * character read from a server log, say: jsonb cannot hold it) must not take the rest of its batch
 * with it, nor stay `running` to be retried into the same refusal: the batch is then recorded one
 * by one, and a refused result is replaced by a failure that says why.
 */
export async function recordOutcomes(db: Db, finished: readonly FinishedExecution[]): Promise<Set<number>> {
  try {
    return await finishAndNotify(db, finished);
  } catch (error) {
    if (!isDataError(error)) throw error;
  }
  const recorded = new Set<number>();
  for (const one of finished) {
    const ids = await finishAndNotify(db, [one]).catch(async (error: unknown) => {
      if (!isDataError(error)) throw error;
      const reason = refusal(error);
      log.error('execution result refused by the database; recorded as failed', { executionId: one.id, error: reason });
      return finishAndNotify(db, [{ ...one, outcome: { status: 'failed', result: null, errorMessage: reason } }]);
    });
    for (const id of ids) recorded.add(id);
  }
  return recorded;
}

/** Outcomes and the notification events they cause are recorded together or not at all. */
const finishAndNotify = (db: Db, finished: readonly FinishedExecution[]) =>
  db.transaction(async (tx) => {
    const recorded = await finishExecutions(tx, finished);
    await queueNotificationEvents(tx, [...recorded]);
    return recorded;
  });
