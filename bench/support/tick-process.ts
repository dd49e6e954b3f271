/**
 * One tick in a process of its own, as one Lambda container runs it: the parent starts several at
 * once (overlapping ticks), kills one mid-way (a tick cut short), and reads the peak memory of each.
 * Environment as the service reads it (DATABASE_URL, UPSTASH_REDIS_REST_*, QUEUE_NAME), plus
 * TICK_TIME_LEFT_MS: the invocation's time left at the start, as Lambda's getRemainingTimeInMillis
 * tells the handler. Prints one JSON line: the tick's report, its duration, the statements and
 * Redis requests it sent, and peak heap and RSS.
 */
import { closeDb, getDb } from '../../db/client.js';
import { runTick } from '../../lib/scheduling/tick.js';
import { countRequestsTo } from './counted-redis.js';
import { observeQueries, serviceClient } from './query-observer.js';

const timeLeft = process.env.TICK_TIME_LEFT_MS ? Number(process.env.TICK_TIME_LEFT_MS) : undefined;

const redis = countRequestsTo(process.env.UPSTASH_REDIS_REST_URL ?? '');

const observer = observeQueries(serviceClient(getDb()));
let peakHeap = process.memoryUsage().heapUsed;
const sampler = setInterval(() => {
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
}, 10);

const started = performance.now();
const ends = timeLeft === undefined ? undefined : Date.now() + timeLeft;
const report = await runTick(ends === undefined ? {} : { remainingMs: () => ends - Date.now() });
const ms = performance.now() - started;
clearInterval(sampler);
peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
await closeDb();
console.log(
  JSON.stringify({
    report,
    ms,
    pgStatements: observer.count(),
    redisRequests: redis.requests(),
    peakHeapMb: peakHeap / 2 ** 20,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);
