import { createServer, request, type Server } from 'node:http';
import { sql } from 'drizzle-orm';
import { Redis as IORedis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { drainQueue } from '../../lib/consumer/drain-queue.js';
import { pushExecutionIds } from '../../lib/queue/execution-queue.js';
import { getRedis } from '../../lib/queue/redis.js';
import { runTick } from '../../lib/scheduling/tick.js';
import { createLocalConnection, createTaskVia, customSqlTask } from '../helpers/factories.js';
import { query } from '../helpers/service-db.js';
import { withoutConsumerStarts } from '../helpers/environment.js';
import { clearQueue, processingKey, queuedIds } from '../helpers/queue.js';

withoutConsumerStarts();
process.env.LOG_LEVEL = 'silent';

let taskId: number;

/**
 * Between the client and the REST endpoint (every request of this file goes through it): forwards
 * each request, and for the next take (a pipeline with LMOVE) when asked lets Redis do the work but
 * drops the reply, as a network cut would.
 */
let dropNextTakeReply = false;
const upstream = new URL(process.env.UPSTASH_REDIS_REST_URL!);
const proxy: Server = createServer((incoming, outgoing) => {
  const chunks: Buffer[] = [];
  incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
  incoming.on('end', () => {
    const body = Buffer.concat(chunks);
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: incoming.url,
        method: incoming.method,
        headers: incoming.headers,
      },
      (reply) => {
        if (dropNextTakeReply && /lmove/i.test(body.toString())) {
          dropNextTakeReply = false;
          reply.resume();
          reply.on('end', () => outgoing.socket?.destroy());
          return;
        }
        outgoing.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(outgoing);
      },
    );
    forward.end(body);
  });
});
await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
process.env.UPSTASH_REDIS_REST_URL = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;

beforeAll(async () => {
  taskId = (await createTaskVia(customSqlTask((await createLocalConnection()).id))).id;
});
afterAll(async () => {
  await new Promise((resolve) => proxy.close(resolve));
});
beforeEach(async () => {
  await clearQueue();
});

async function queued(count: number): Promise<number[]> {
  const rows = await query<{ id: string }>(sql`
    insert into task_executions (scheduled_task_id, connection_id, task_type, task_params, trigger, enqueued_at)
    select t.id, t.connection_id, t.task_type, t.task_params, 'queue', now() from scheduled_tasks t, generate_series(1, ${count}::int) where t.id = ${taskId}
    returning id`);
  const ids = rows.map((r) => Number(r.id));
  await pushExecutionIds(ids);
  return ids;
}

const statuses = async (ids: number[]) =>
  await query<{ status: string; attempts: number; n: number }>(sql`
    select status, attempts, count(*)::int as n from task_executions where id = any(${`{${ids.join(',')}}`}::bigint[]) group by 1, 2`);

describe('a queue request that fails', () => {
  it('stops the drain with the reason, not an exception, when every take is refused, and strands no id', async () => {
    const ids = await queued(3);
    // The processing list is not a list: Redis refuses each LMOVE of the pipeline (WRONGTYPE).
    // Written to Redis itself: the REST endpoint serves only what the application sends.
    const redis = new IORedis('redis://127.0.0.1:6379');
    await redis.set(processingKey(), 'not a list').finally(() => redis.disconnect());

    const report = await drainQueue({ concurrency: 2 });

    expect(report.stoppedBy).toMatch(/WRONGTYPE/);
    expect(await queuedIds()).toEqual(ids.map(String));
    await getRedis().del(processingKey());
    expect(await drainQueue({ concurrency: 2 })).toMatchObject({ completed: 3, stoppedBy: null });
    expect(await statuses(ids)).toEqual([{ status: 'completed', attempts: 1, n: 3 }]);
  });

  it('puts ids whose take reply was lost back on the queue at the next tick; each then runs once', async () => {
    const ids = await queued(6);
    dropNextTakeReply = true;
    // The client sends the take again after the cut: the first take's ids sit on the processing list, never received.
    const report = await drainQueue({ concurrency: 2 });
    expect(dropNextTakeReply).toBe(false);
    const stranded = await getRedis().lrange<string>(processingKey(), 0, -1);
    expect(report.stoppedBy).toBeNull();
    expect(report.completed + stranded.length).toBe(6);
    expect(stranded.length).toBeGreaterThan(0);

    await runTick();
    expect(await getRedis().llen(processingKey())).toBe(0);
    expect((await queuedIds()).sort()).toEqual(stranded.sort());
    await drainQueue({ concurrency: 2 });
    expect(await statuses(ids)).toEqual([{ status: 'completed', attempts: 1, n: 6 }]);
  });
});
