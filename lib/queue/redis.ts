import { Redis } from '@upstash/redis';
import { env } from '../env.js';
import { AppError } from '../http/errors.js';

let client: Redis | undefined;

export function getRedis(): Redis {
  if (!client) {
    client = new Redis({
      url: env().UPSTASH_REDIS_REST_URL,
      token: env().UPSTASH_REDIS_REST_TOKEN,
      // Ids are parsed by us: a malformed entry must be seen as such, not coerced by JSON parsing.
      automaticDeserialization: false,
      // Fail fast: an API request must answer 503 promptly, and the tick retries on its next run anyway.
      retry: { retries: 1, backoff: () => 100 },
      enableTelemetry: false,
    });
  }
  return client;
}

/** Any failure to reach Redis (endpoint down, Redis behind it down) becomes one clear 503. */
export async function withRedis<T>(operation: (redis: Redis) => Promise<T>): Promise<T> {
  try {
    return await operation(getRedis());
  } catch (error) {
    throw new AppError('unavailable', `Redis is unavailable: ${(error as Error).message}`);
  }
}
