import postgres from 'postgres';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { closeDb } from '../../db/client.js';

/**
 * Every integration test file gets its own service database (cloned from the migrated template)
 * and its own Redis queue keys, so files running in parallel never see each other's rows or ids.
 */
const suffix = randomBytes(4).toString('hex');
const databaseName = `pgr_t_${inject('runId')}_${suffix}`;
const adminUrl = inject('adminUrl');
const serviceUrl = new URL(adminUrl);
serviceUrl.pathname = `/${databaseName}`;

process.env.DATABASE_URL = serviceUrl.toString();
process.env.UPSTASH_REDIS_REST_URL = inject('redisRestUrl');
process.env.UPSTASH_REDIS_REST_TOKEN = inject('redisRestToken');
process.env.QUEUE_NAME = `pgr-test:${suffix}`;
process.env.LOG_LEVEL ??= 'error';
// Handlers are called without tokens here; test/integration/auth.test.ts turns authentication back on.
process.env.API_AUTH = 'disabled';

beforeAll(async () => {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${databaseName}" template "${inject('templateDatabase')}"`);
  await admin.end();
});

afterAll(async () => {
  await closeDb();
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists "${databaseName}" with (force)`);
  await admin.end();
});
