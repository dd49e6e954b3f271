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
