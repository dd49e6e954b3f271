import { env } from '../env.js';
import { withRedis } from './redis.js';

// Pushes go in pipelines of this many ids per RPUSH so 10,000 due runs cost a handful of HTTP requests.
const PUSH_CHUNK = 1000;

const queueKey = () => env().QUEUE_NAME;
const processingKey = () => `${env().QUEUE_NAME}:processing`;

/** Appends execution ids to the queue (FIFO: pushed right, taken from the left). */
export async function pushExecutionIds(ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await withRedis(async (redis) => {
    const pipeline = redis.pipeline();
    for (let i = 0; i < ids.length; i += PUSH_CHUNK) {
      const chunk = ids.slice(i, i + PUSH_CHUNK).map(String);
      pipeline.rpush(queueKey(), ...(chunk as [string, ...string[]]));
    }
    await pipeline.exec();
  });
}

/**
 * Moves up to `count` of the oldest ids onto the processing list and returns them, each move atomic
 * (LMOVE), so an id taken by a consumer that then dies is still visible on the processing list.
 * `finished`, entries the caller has completed, are removed from the processing list in the same
 * request: one HTTP round trip for a whole batch of takes and acknowledgements.
 *
 * Entries are read one by one: a failed acknowledgement is left for the tick to trim, and the ids
 * that were moved are returned even when another entry of the request failed, so none is taken
 * without being handed out. A take whose reply is lost (the request is then sent again) leaves
 * its ids on the processing list, still queued: the next tick puts them back on the queue.
 */
export async function takeExecutionIds(count: number, finished: readonly string[] = []): Promise<string[]> {
  if (count === 0 && finished.length === 0) return [];
  return withRedis(async (redis) => {
    const pipeline = redis.pipeline();
    for (const entry of finished) pipeline.lrem(processingKey(), 0, entry);
    for (let i = 0; i < count; i++) pipeline.lmove(queueKey(), processingKey(), 'left', 'right');
    const replies = (await pipeline.exec({ keepErrors: true })).slice(finished.length);
    const taken = replies.flatMap((reply) => (typeof reply.result === 'string' ? [reply.result] : []));
    const failure = replies.find((reply) => reply.error);
    if (failure && taken.length === 0) throw new Error(`Redis refused the take: ${failure.error}`);
    return taken;
  });
}

/**
 * Takes entries off the processing list, in one request: `finished` ones (done, or stale) and
 * `untaken` ones (taken but never started), which go back to the head of the queue in their order.
 */
export async function acknowledgeExecutionIds(
  finished: readonly string[],
  untaken: readonly string[] = [],
): Promise<void> {
  if (untaken.length === 0 && finished.length === 0) return;
  await withRedis(async (redis) => {
    const pipeline = redis.pipeline();
    for (const entry of [...finished, ...untaken]) pipeline.lrem(processingKey(), 0, entry);
    // LPUSH puts its last argument first: reversed, the oldest untaken id is next again.
    if (untaken.length > 0) pipeline.lpush(queueKey(), ...([...untaken].reverse() as [string, ...string[]]));
    await pipeline.exec();
  });
}

/**
 * In one request: how many entries the queue and the processing list hold together, and the oldest
 * entries of the processing list (at most `limit`: the tick inspects no more per run).
 */
export async function readQueueLists(limit = 1000): Promise<{ listed: number; processing: string[] }> {
  return withRedis(async (redis) => {
    const [waiting, taken, processing] = await redis
      .pipeline()
      .llen(queueKey())
      .llen(processingKey())
      .lrange<string>(processingKey(), 0, limit - 1)
      .exec<[number, number, string[]]>();
    return { listed: waiting + taken, processing };
  });
}

export async function queueLength(): Promise<number> {
  return withRedis((redis) => redis.llen(queueKey()));
}
