import { env } from '../env.js';

/**
 * The consumer stops taking new executions when less than this is left of its invocation: one
 * running analysis still needs time to finish and record its outcome.
 */
export const CONSUMER_RESERVE_SECONDS = 6 * 60;

/**
 * The longest query_timeout a task may have: what one consumer invocation can give a review,
 * its function timeout less the reserve it keeps. A longer review would be killed with the whole
 * invocation and every review beside it, recovered after its deadline, retried and killed again.
 */
export function maxQueryTimeoutSeconds(): number {
  return env().CONSUMER_TIMEOUT_SECONDS - CONSUMER_RESERVE_SECONDS;
}

/**
 * What recording an outcome needs after its review ends: a batch write with its retries through
 * transient errors and, failing those, the stash into Redis (10 s before the invocation ends). A
 * review is started only if its query_timeout plus this fits in what is left of the invocation.
 */
export const OUTCOME_RECORDING_SECONDS = 30;
