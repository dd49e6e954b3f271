import { loadSecretSettings } from '../../lib/env.js';
import { runTick } from '../../lib/scheduling/tick.js';
import { startConsumer } from '../../lib/consumer/start-consumer.js';
import { withLogContext } from '../../lib/log/logger.js';
import { runNotificationTick } from '../../lib/notifications/notifications-tick.js';

/** Every minute: claim due runs, recover lost ones, push ids; then start a consumer if there is work. */
export const handler = withLogContext(
  async (_event?: unknown, context?: { getRemainingTimeInMillis?: () => number }) => {
    const remainingMs = context?.getRemainingTimeInMillis;
    await loadSecretSettings();
    const report = await runTick({ remainingMs });
    if (report.pushed > 0) await startConsumer();
    // Retries whose time has come, events a consumer left behind, old delivery history.
    await runNotificationTick(remainingMs);
    return report;
  },
);
