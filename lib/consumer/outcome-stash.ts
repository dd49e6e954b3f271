import type { Db } from '../../db/client.js';
import type { StoredOutcome } from '../../db/queries/executions.js';
import { env } from '../env.js';
import { log } from '../log/logger.js';
import { withRedis } from '../queue/redis.js';
import { serialiseBoundedResult, UnstorableResult } from './bounded-result.js';
import { recordOutcomes } from './record-outcomes.js';
import { notStoredMessage } from './stored-outcome.js';

/**
 * Finished reviews whose outcome the service database could not take before the consumer had to
 * stop: a Redis hash, one field per execution id. The next consumer or tick writes them to the
 * database before any recovery may decide to run those executions again, so a review that finished
 * is never run twice because recording it failed. The attempt guard of the write makes a stale
 * entry harmless: it is dropped once its attempt is no longer the running one.
 */
const stashKey = () => `${env().QUEUE_NAME}:outcomes`;

// Long enough to outlive any outage worth waiting for; an entry older than that is moot anyway
// (its execution has been recovered and retried).
const STASH_TTL_SECONDS = 7 * 24 * 3600;
// Each entry is its own request, and a REST request body is capped (1 MB locally, often on Upstash):
// a larger result is kept in a smaller bounded form rather than not at all.
const STASH_ENTRY_BYTES = 512 * 1024;
const STASH_VALUE_BYTES = 8 * 1024;
// Entries written back per call: a large backlog drains over a few ticks.
const WRITE_BACK_BATCH = 100;
const WRITE_BACK_RETRY_MS = 10_000;

/** Keeps outcomes in Redis; returns the ids it could not keep (those will be run again by recovery). */
export async function stashOutcomes(outcomes: readonly StoredOutcome[]): Promise<number[]> {
  const lost: number[] = [];
  for (const outcome of outcomes) {
    try {
      const entry = JSON.stringify(withinStashLimit(outcome));
      await withRedis(async (redis) => {
        // HSET of one field is idempotent, so the client's retry of a lost reply is harmless.
        const pipeline = redis.pipeline();
        pipeline.hset(stashKey(), { [String(outcome.id)]: entry });
        pipeline.expire(stashKey(), STASH_TTL_SECONDS);
        await pipeline.exec();
      });
      log.warn('execution outcome kept in Redis until the service database takes it', {
        executionId: outcome.id,
        status: outcome.status,
      });
    } catch (error) {
      lost.push(outcome.id);
      log.error('execution outcome could not be recorded nor kept; the execution will be run again', {
        executionId: outcome.id,
        error: (error as Error).message,
      });
    }
  }
  return lost;
}

/**
 * Writes stashed outcomes to the service database and removes each entry that is settled (recorded,
 * or superseded because its attempt was given up). Throws when Redis cannot be read: the caller
 * must then not recover running executions, since some of them may have finished.
 */
export async function writeBackStashedOutcomes(db: Db): Promise<{ recorded: number; pending: number }> {
  const ids = await withRedis((redis) => redis.hkeys(stashKey()));
  if (ids.length === 0) return { recorded: 0, pending: 0 };
  const batch = ids.slice(0, WRITE_BACK_BATCH);
  // Without the client's deserialisation, HMGET answers the raw values in the order asked.
  const entries = (await withRedis((redis) => redis.hmget(stashKey(), ...batch))) as unknown as Array<string | null>;
  const outcomes = entries.flatMap((entry) => (typeof entry === 'string' ? [JSON.parse(entry) as StoredOutcome] : []));
  const until = Date.now() + WRITE_BACK_RETRY_MS;
  const { recorded, unrecorded } = await recordOutcomes(db, outcomes, () => until);
  const unsettled = new Set(unrecorded.map((o) => String(o.id)));
  const settled = batch.filter((id) => !unsettled.has(id));
  if (settled.length > 0) await withRedis((redis) => redis.hdel(stashKey(), ...settled));
  if (recorded.size > 0) log.info('stashed execution outcomes recorded', { executions: recorded.size });
  return { recorded: recorded.size, pending: ids.length - settled.length };
}

function withinStashLimit(outcome: StoredOutcome): StoredOutcome {
  if (outcome.resultJson === null || outcome.resultJson.length <= STASH_ENTRY_BYTES / 3) return outcome;
  if (Buffer.byteLength(outcome.resultJson) <= STASH_ENTRY_BYTES) return outcome;
  try {
    const result = JSON.parse(outcome.resultJson) as Record<string, unknown>;
    return {
      ...outcome,
      resultJson: serialiseBoundedResult(result, { valueBytes: STASH_VALUE_BYTES, resultBytes: STASH_ENTRY_BYTES }),
    };
  } catch (error) {
    if (!(error instanceof UnstorableResult)) throw error;
    return { ...outcome, status: 'failed', resultJson: null, errorMessage: notStoredMessage(error.message) };
  }
}
