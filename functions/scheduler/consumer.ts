import { CONSUMER_RESERVE_SECONDS } from '../../lib/consumer/consumer-budget.js';
import { loadSecretSettings } from '../../lib/env.js';
import { drainQueue } from '../../lib/consumer/drain-queue.js';
import { withLogContext } from '../../lib/log/logger.js';
import { deliverNotifications } from '../../lib/notifications/deliver.js';

const RESERVE_MS = CONSUMER_RESERVE_SECONDS * 1000;

/** Scheduled every minute and started at once by `run`, `queue` and the tick. */
export const handler = withLogContext(
  async (event: { executionIds?: unknown } = {}, context?: { getRemainingTimeInMillis?: () => number }) => {
    const executionIds = Array.isArray(event?.executionIds)
      ? event.executionIds.filter((id): id is number => Number.isSafeInteger(id) && id > 0)
      : [];
    const remaining = context?.getRemainingTimeInMillis;
    await loadSecretSettings();
    const report = await drainQueue({
      executionIds,
      shouldStop: () => (remaining ? remaining() < RESERVE_MS : false),
      remainingMs: remaining,
    });
    // The reviews are recorded: their notifications go out now rather than at the next tick.
    await deliverNotifications({ budgetMs: 60_000 });
    return report;
  },
);
