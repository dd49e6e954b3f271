import { getDb, type Db } from '../../db/client.js';
import { claimDueDeliveries, recordDeliveryAttempt, type ClaimedDelivery } from '../../db/queries/notifications.js';
import { env } from '../env.js';
import { log } from '../log/logger.js';
import { retryDelaySeconds } from './backoff.js';
import { sendEvent } from './send-event.js';

// Deliveries sent at once: a few slow receivers must not make the others wait their timeout in turn.
const PARALLEL = 8;

export interface DeliveryReport {
  delivered: number;
  retrying: number;
  failed: number;
}

/**
 * Sends every due delivery (new events and retries whose time has come) until none is left or
 * `budgetMs` is spent. Runs in the consumer after its reviews are recorded and in the tick for
 * anything left over; never throws, so neither is held up or failed by a receiver or by this.
 */
export async function deliverNotifications(options: { budgetMs: number; db?: Db }): Promise<DeliveryReport> {
  const report: DeliveryReport = { delivered: 0, retrying: 0, failed: 0 };
  const db = options.db ?? getDb();
  const deadline = performance.now() + options.budgetMs;
  const { NOTIFICATION_TIMEOUT_SECONDS, NOTIFICATION_MAX_ATTEMPTS } = env();
  // Held past one attempt's timeout, so a delivery being sent is never taken by a second sender.
  const leaseSeconds = NOTIFICATION_TIMEOUT_SECONDS + 60;
  try {
    while (performance.now() < deadline) {
      const batch = await claimDueDeliveries(db, PARALLEL, leaseSeconds);
      await Promise.all(batch.map((delivery) => attempt(db, delivery, NOTIFICATION_MAX_ATTEMPTS, report)));
      if (batch.length < PARALLEL) break;
    }
  } catch (error) {
    log.warn('notifications could not be sent now; the next consumer or tick sends them', {
      error: (error as Error).message,
    });
  }
  if (report.delivered + report.retrying + report.failed > 0) log.info('notifications sent', { ...report });
  return report;
}

async function attempt(db: Db, delivery: ClaimedDelivery, maxAttempts: number, report: DeliveryReport): Promise<void> {
  const outcome = await sendEvent(delivery.channel, delivery.payload).catch((error: Error) => ({
    ok: false,
    statusCode: null,
    durationMs: 0,
    error: error.message,
  }));
  const status = await recordDeliveryAttempt(
    db,
    delivery.id,
    outcome,
    maxAttempts,
    retryDelaySeconds(delivery.attempts + 1),
  );
  const fields = {
    deliveryId: delivery.id,
    eventId: delivery.payload.id,
    type: delivery.payload.type,
    attempt: delivery.attempts + 1,
    statusCode: outcome.statusCode,
    durationMs: outcome.durationMs,
    error: outcome.error ?? undefined,
  };
  if (status === 'delivered') report.delivered++;
  else if (status === 'failed') {
    report.failed++;
    log.error('notification given up after its last attempt', fields);
  } else if (status === 'pending') {
    report.retrying++;
    log.warn('notification not delivered; it will be tried again', fields);
  }
}
