/**
 * One consumer in a process of its own, as each Lambda invocation is: loads, says "ready", waits for
 * a line on stdin (so the parent starts several at the same moment), drains the queue with
 * CONSUMER_CONCURRENCY workers, and prints one JSON line: its drain report, the statements it sent
 * to the service database, its Redis requests and its CPU time.
 */
import { once } from 'node:events';
import { closeDb, getDb, getDrainDb } from '../../db/client.js';
import { drainQueue } from '../../lib/consumer/drain-queue.js';
import { countRequestsTo } from './counted-redis.js';
import { observeQueries, serviceClient } from './query-observer.js';

const redis = countRequestsTo(process.env.UPSTASH_REDIS_REST_URL ?? '');
const observer = observeQueries(serviceClient(getDb()), serviceClient(getDrainDb()));

console.log('ready');
await once(process.stdin, 'data');
const cpu = process.cpuUsage();
const report = await drainQueue({});
const used = process.cpuUsage(cpu);
await closeDb();
console.log(
  JSON.stringify({
    report,
    pgStatements: observer.count(),
    redisRequests: redis.requests(),
    cpuMs: (used.user + used.system) / 1000,
  }),
);
process.exit(0);
