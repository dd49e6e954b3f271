import { getDb, type Db } from '../../db/client.js';
import { clearNotificationsPending, executionsWithPendingNotifications } from '../../db/queries/executions.js';
import { deleteExpiredDeliveries } from '../../db/queries/notifications.js';
import { env } from '../env.js';
import { log } from '../log/logger.js';
import { deliverNotifications, type DeliveryReport } from './deliver.js';
import { queueNotificationEvents } from './queue-events.js';

// The tick runs every minute with a 60-second limit: its own work comes first, sending gets a third.
const TICK_SENDING_BUDGET_MS = 20_000;
const RETENTION_BATCH = 1000;
// Outcomes whose events a consumer failed to queue are rare; a backlog drains over a few ticks.
const PENDING_EVENTS_BATCH = 1000;

/**
 * The tick's part: queue the events of outcomes a consumer recorded but could not queue events for,
 * send what is due (retries, events a consumer left) and trim old delivery history.
 */
export async function runNotificationTick(
  remainingMs?: () => number,
): Promise<DeliveryReport & { expiredDeleted: number; eventsQueued: number }> {
  const eventsQueued = await queuePendingEvents(getDb()).catch((error: Error) => {
    log.warn('pending notification events could not be queued now; the next tick tries again', {
      error: error.message,
    });
    return 0;
  });
  // A tick whose scheduling took long (a midnight with 100,000 due) leaves sending less time, not none of its own.
  const budgetMs = remainingMs
    ? // A delivery started at the end of the budget may take its whole timeout to answer.
      Math.max(0, Math.min(TICK_SENDING_BUDGET_MS, remainingMs() - (env().NOTIFICATION_TIMEOUT_SECONDS + 2) * 1000))
    : TICK_SENDING_BUDGET_MS;
  const report = await deliverNotifications({ budgetMs });
  // Housekeeping: a failure leaves the rows for the next tick.
  const expiredDeleted = await deleteExpiredDeliveries(getDb(), env().EXECUTION_RETENTION_DAYS, RETENTION_BATCH).catch(
    (error: Error) => {
      log.warn('old notification deliveries could not be deleted now', { error: error.message });
      return 0;
    },
  );
  return { ...report, expiredDeleted, eventsQueued };
}

async function queuePendingEvents(db: Db): Promise<number> {
  const ids = await executionsWithPendingNotifications(db, PENDING_EVENTS_BATCH);
  if (ids.length === 0) return 0;
  const queued = await queueNotificationEvents(db, ids);
  await clearNotificationsPending(db, ids);
  if (queued > 0)
    log.info('queued notification events a consumer left unqueued', { executions: ids.length, events: queued });
  return queued;
}
