import { runTick } from '../../lib/scheduling/tick.js';
import { startConsumer } from '../../lib/executions/start-consumer.js';
import { withLogContext } from '../../lib/log/logger.js';
import { deliverNotifications } from '../../lib/notifications/deliver.js';

/** Every minute: claim due runs, recover lost ones, push ids; then start a consumer if there is work. */
export const handler = withLogContext(async () => {
  const report = await runTick();
  if (report.pushed > 0) await startConsumer();
  // Retries whose time has come, and events a consumer left behind; within the tick's minute.
  await deliverNotifications({ budgetMs: 20_000 });
  return report;
});
