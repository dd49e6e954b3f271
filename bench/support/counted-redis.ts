import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { freePort, waitForPort } from '../../test/helpers/private-redis.js';

export interface CountedRedisEndpoint {
  url: string;
  token: string;
  /** HTTP requests sent to this endpoint so far: one per Upstash round trip, a pipeline counts once. */
  requests(): number;
  /** The endpoint's process, whose CPU a benchmark may count. */
  pid: number | undefined;
  close(): Promise<void>;
}

const serverScript = new URL('../../scripts/redis-rest/server.ts', import.meta.url).pathname;

/**
 * An Upstash-compatible REST endpoint of the benchmark's own (scripts/redis-rest/server.ts) in
 * front of the machine's Redis. It runs in a process of its own, as Upstash is a service of its
 * own: in the benchmark's process its work would be charged to the code being measured.
 */
export async function startCountedRedisEndpoint(): Promise<CountedRedisEndpoint> {
  const token = randomBytes(8).toString('hex');
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', serverScript], {
    env: { ...process.env, REDIS_REST_PORT: String(port), UPSTASH_REDIS_REST_TOKEN: token },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitForPort(port, 20_000);
  const url = `http://127.0.0.1:${port}`;

  const counter = countRequestsTo(url);
  return {
    url,
    token,
    requests: counter.requests,
    pid: child.pid,
    async close() {
      counter.stop();
      if (child.exitCode === null) await new Promise<void>((done) => child.once('exit', () => done()).kill('SIGTERM'));
    },
  };
}

/**
 * Counts the HTTP requests this process sends to `url` from now on: @upstash/redis calls the global
 * fetch for every request, so wrapping fetch counts round trips without a proxy hop of its own.
 */
export function countRequestsTo(url: string): { requests(): number; stop(): void } {
  let count = 0;
  const originalFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const target = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (target.startsWith(url)) count++;
    return originalFetch(input, init);
  };
  return {
    requests: () => count,
    stop: () => {
      globalThis.fetch = originalFetch;
    },
  };
}
