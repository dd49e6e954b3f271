import { getDb } from '../../db/client.js';
import { deleteExpiredDeliveries } from '../../db/queries/notifications.js';
import { env } from '../env.js';
import { log } from '../log/logger.js';
import { deliverNotifications, type DeliveryReport } from './deliver.js';

// The tick runs every minute with a 60-second limit: its own work comes first, sending gets a third.
const TICK_SENDING_BUDGET_MS = 20_000;
const RETENTION_BATCH = 1000;

/** The tick's part: send what is due (retries, events a consumer left) and trim old delivery history. */
export async function runNotificationTick(): Promise<DeliveryReport & { expiredDeleted: number }> {
  const report = await deliverNotifications({ budgetMs: TICK_SENDING_BUDGET_MS });
  // Housekeeping: a failure leaves the rows for the next tick.
  const expiredDeleted = await deleteExpiredDeliveries(getDb(), env().EXECUTION_RETENTION_DAYS, RETENTION_BATCH).catch(
    (error: Error) => {
      log.warn('old notification deliveries could not be deleted now', { error: error.message });
      return 0;
    },
  );
  return { ...report, expiredDeleted };
}
