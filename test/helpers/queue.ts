import { getRedis } from '../../lib/queue/redis.js';

// This test file's Redis keys: isolated-service-db.ts gives every integration test file a queue name of its own.

/** The list of queued execution ids (QUEUE_NAME). */
export const queueName = () => process.env.QUEUE_NAME!;

/** Ids a consumer took from the queue and has not finished. */
export const processingKey = () => `${queueName()}:processing`;

/** Outcomes kept in Redis until the service database takes them (lib/consumer/outcome-stash.ts). */
export const stashKey = () => `${queueName()}:outcomes`;

/** Empties the queue, its processing list and the kept outcomes. */
export async function clearQueue(): Promise<void> {
  await getRedis().del(queueName(), processingKey(), stashKey());
}

export async function queuedIds(): Promise<string[]> {
  return getRedis().lrange<string>(queueName(), 0, -1);
}
