import { loadSecretSettings } from '../../lib/env.js';
import { drainQueue } from '../../lib/executions/drain-queue.js';
import { withLogContext } from '../../lib/log/logger.js';
import { deliverNotifications } from '../../lib/notifications/deliver.js';

// Stop taking new executions when less than this is left of the invocation: one running
// analysis still needs time to finish and record its outcome.
const RESERVE_MS = 6 * 60_000;

/** Scheduled every minute and started at once by `run`, `queue` and the tick. */
export const handler = withLogContext(async (event: { executionIds?: unknown } = {}, context?: { getRemainingTimeInMillis?: () => number }) => {
  const executionIds = Array.isArray(event?.executionIds) ? event.executionIds.filter((id): id is number => Number.isSafeInteger(id) && id > 0) : [];
  const remaining = context?.getRemainingTimeInMillis;
  await loadSecretSettings();
  const report = await drainQueue({ executionIds, shouldStop: () => (remaining ? remaining() < RESERVE_MS : false) });
  // The reviews are recorded: their notifications go out now rather than at the next tick.
  await deliverNotifications({ budgetMs: 60_000 });
  return report;
});
