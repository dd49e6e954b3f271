import { randomBytes } from 'node:crypto';
import { startRedisRestServer } from '../../scripts/redis-rest/server.js';

export interface CountedRedisEndpoint {
  url: string;
  token: string;
  /** HTTP requests sent to this endpoint so far: one per Upstash round trip, a pipeline counts once. */
  requests(): number;
  close(): Promise<void>;
}

/**
 * An Upstash-compatible REST endpoint of the benchmark's own, in front of the machine's Redis.
 * @upstash/redis calls the global fetch for every request, so wrapping it counts round trips
 * without a proxy hop that would add its own latency to what is measured.
 */
export async function startCountedRedisEndpoint(): Promise<CountedRedisEndpoint> {
  const token = randomBytes(8).toString('hex');
  const server = await startRedisRestServer({ port: 0, token, redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
  let count = 0;
  const originalFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const target = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (target.startsWith(server.url)) count++;
    return originalFetch(input, init);
  };
  return {
    url: server.url,
    token,
    requests: () => count,
    async close() {
      globalThis.fetch = originalFetch;
      await server.close();
    },
  };
}
