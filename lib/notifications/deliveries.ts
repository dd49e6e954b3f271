import { getDb, type Db } from '../../db/client.js';
import { selectDeliveries, type DeliveryWithAttempts } from '../../db/queries/notifications.js';
import { iso } from '../http/responses.js';
import type { ListDeliveriesQuery } from './channel-schemas.js';

export function toDeliveryResponse({ delivery, channelName, attempts }: DeliveryWithAttempts) {
  return {
    id: delivery.id,
    event_id: delivery.eventId,
    event_type: delivery.eventType,
    channel_id: delivery.channelId,
    channel_name: channelName,
    execution_id: delivery.executionId,
    status: delivery.status,
    attempts: delivery.attempts,
    next_attempt_at: delivery.status === 'pending' ? iso(delivery.nextAttemptAt) : null,
    last_status_code: delivery.lastStatusCode,
    last_error: delivery.lastError,
    created_at: delivery.createdAt.toISOString(),
    delivered_at: iso(delivery.deliveredAt),
    attempt_log: attempts.map((a) => ({
      attempted_at: a.attemptedAt.toISOString(),
      status_code: a.statusCode,
      duration_ms: a.durationMs,
      error: a.error,
    })),
  };
}

export type DeliveryResponse = ReturnType<typeof toDeliveryResponse>;

export async function listDeliveries(query: ListDeliveriesQuery): Promise<DeliveryResponse[]> {
  const rows = await selectDeliveries(getDb(), {
    status: query.status,
    channelId: query.channel_id,
    executionId: query.execution_id,
    limit: query.limit,
  });
  return rows.map(toDeliveryResponse);
}

// More than any run causes (four event types per channel) unless there are hundreds of channels.
const PER_EXECUTION_LIMIT = 200;

/** The notifications a run caused, for the execution API and the report. */
export async function notificationsOfExecution(executionId: number, db: Db = getDb()): Promise<DeliveryResponse[]> {
  const rows = await selectDeliveries(db, { executionId, limit: PER_EXECUTION_LIMIT });
  return rows.map(toDeliveryResponse).reverse();
}
