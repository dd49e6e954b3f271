import { runTick } from '../../lib/scheduling/tick.js';
import { startConsumer } from '../../lib/executions/start-consumer.js';
import { withLogContext } from '../../lib/log/logger.js';

/** Every minute: claim due runs, recover lost ones, push ids; then start a consumer if there is work. */
export const handler = withLogContext(async () => {
  const report = await runTick();
  if (report.pushed > 0) await startConsumer();
  return report;
});
