import type { PreviousRun, ReviewResult } from '../../lib/analyses/types.js';

export const findingsOf = (result: ReviewResult, check: string) => result.findings.filter((f) => f.check === check);

/** A review result as the previous run the next review compares with. */
export const asPrevious = (result: ReviewResult, executionId = 1): PreviousRun => ({ executionId, result });
