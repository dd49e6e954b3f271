import type { DbOrTx } from '../../db/client.js';
import { insertDeliveries, recordedRuns, selectChannels } from '../../db/queries/notifications.js';
import { env } from '../env.js';
import { eventsForRun } from './event-document.js';

/**
 * Writes the notification events of executions whose outcome was just recorded into the outbox.
 * Call it inside the transaction that records the outcomes: the events then exist exactly when the
 * outcome does (never lost to a crash between the two, never written for an outcome rolled back).
 * With no active channel it costs one small query.
 */
export async function queueNotificationEvents(tx: DbOrTx, executionIds: readonly number[]): Promise<number> {
  if (executionIds.length === 0) return 0;
  const channels = await selectChannels(tx, true);
  if (channels.length === 0) return 0;
  const runs = await recordedRuns(tx, executionIds);
  const now = new Date();
  const baseUrl = env().PUBLIC_BASE_URL ?? null;
  return insertDeliveries(
    tx,
    runs.flatMap((run) => channels.flatMap((channel) => eventsForRun(run, channel, baseUrl, now))),
  );
}
