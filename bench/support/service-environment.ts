import { randomBytes } from 'node:crypto';

export interface ServiceEnvironment {
  databaseUrl: string;
  redisUrl?: string;
  redisToken?: string;
}

/**
 * Points the service code at the benchmark's database, REST endpoint and queue keys of its own.
 * lib/env.ts parses the environment once, on first use: call this before anything reads it.
 * Logging stays at warn: one JSON line per execution would measure the terminal, not the service.
 */
export function useServiceEnvironment(settings: ServiceEnvironment): { queueName: string } {
  const queueName = `pgr-bench:${randomBytes(4).toString('hex')}`;
  process.env.DATABASE_URL = settings.databaseUrl;
  if (settings.redisUrl) process.env.UPSTASH_REDIS_REST_URL = settings.redisUrl;
  if (settings.redisToken) process.env.UPSTASH_REDIS_REST_TOKEN = settings.redisToken;
  process.env.QUEUE_NAME = queueName;
  process.env.LOG_LEVEL ??= 'warn';
  return { queueName };
}
