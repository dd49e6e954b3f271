import type { ExecutionOutcome, StoredOutcome } from '../../db/queries/executions.js';
import { env } from '../env.js';
import { serialiseBoundedResult, type ResultLimits } from './bounded-result.js';

export const configuredResultLimits = (): ResultLimits => ({
  valueBytes: env().RESULT_VALUE_MAX_BYTES,
  resultBytes: env().RESULT_MAX_BYTES,
});

export const notStoredMessage = (reason: string) => `The review finished but its result could not be stored: ${reason}`;

/**
 * Serialises one execution's outcome on its own, before it joins a batch: a result that cannot be
 * serialised within the limits (too deeply nested, too large even without rows) becomes a failure
 * of that execution that says why, and never fails the executions recorded beside it.
 */
export function storedOutcome(
  id: number,
  attempt: number,
  outcome: ExecutionOutcome,
  limits: ResultLimits = configuredResultLimits(),
): StoredOutcome {
  if (outcome.result === null)
    return { id, attempt, status: outcome.status, resultJson: null, errorMessage: outcome.errorMessage };
  try {
    return {
      id,
      attempt,
      status: outcome.status,
      resultJson: serialiseBoundedResult(outcome.result, limits),
      errorMessage: outcome.errorMessage,
    };
  } catch (error) {
    // UnstorableResult, or anything JSON.stringify throws (a RangeError, a BigInt): the reason is the execution's.
    return {
      id,
      attempt,
      status: 'failed',
      resultJson: null,
      errorMessage: notStoredMessage((error as Error).message),
    };
  }
}
