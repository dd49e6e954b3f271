import type { Db } from '../../db/client.js';
import type { ExecutionOutcome, StoredOutcome } from '../../db/queries/executions.js';
import type { ExecutionRow } from '../../db/schema/index.js';
import { errorMessageForLog } from '../../db/transient-errors.js';
import { log } from '../log/logger.js';
import type { Batcher } from './batcher.js';
import { stashOutcomes } from './outcome-stash.js';
import { recordOutcomes } from './record-outcomes.js';
import { storedOutcome } from './stored-outcome.js';

/**
 * What became of one outcome: recorded; superseded (the tick gave this attempt up meanwhile); stashed
 * (kept in Redis until the service database takes it); lost (neither: recovery will run the execution again).
 */
export type OutcomeFate = 'recorded' | 'superseded' | 'stashed' | 'lost';

/** What one execution counts as in the drain's report. */
export type ExecutionReport = 'completed' | 'failed' | 'superseded' | 'stashed' | 'lost';

export interface PendingOutcome {
  outcome: StoredOutcome;
  /** Epoch ms by which it must be recorded or stashed: before the tick may recover the execution. */
  recordBy: number;
}

/** The drain's outcomes, batched across its workers by settleOutcomes. */
export type OutcomeBatcher = Batcher<PendingOutcome, OutcomeFate>;

// Outcomes stop being retried this long before a deadline, to leave time to stash them in Redis.
const STASH_MARGIN_MS = 10_000;

/**
 * Outcomes of the drain's workers, batched into one statement per round trip: under load the
 * service database sees one statement per batch of finished executions, not one each. A batch is
 * retried through transient errors until the earliest deadline among its executions (or the
 * invocation's end) comes near; what is still unrecorded then is stashed in Redis. Never throws.
 */
export async function settleOutcomes(
  db: Db,
  pending: PendingOutcome[],
  invocationEnds: () => number,
): Promise<OutcomeFate[]> {
  try {
    const retryUntil = () => Math.min(invocationEnds(), ...pending.map((p) => p.recordBy)) - STASH_MARGIN_MS;
    const { recorded, unrecorded } = await recordOutcomes(
      db,
      pending.map((p) => p.outcome),
      retryUntil,
    );
    const lost = new Set(await stashOutcomes(unrecorded));
    const stashed = new Set(unrecorded.map((o) => o.id));
    return pending.map(({ outcome: { id } }) =>
      recorded.has(id) ? 'recorded' : lost.has(id) ? 'lost' : stashed.has(id) ? 'stashed' : 'superseded',
    );
  } catch (error) {
    log.error('execution outcomes could not be settled; recovery will run them again', {
      executions: pending.map((p) => p.outcome.id),
      error: errorMessageForLog(error),
    });
    return pending.map(() => 'lost' as const);
  }
}

/** Records the outcome of a review that started at `started` (performance.now()) in the drain's next batch. */
export async function recordOutcome(
  execution: ExecutionRow,
  outcome: ExecutionOutcome,
  started: number,
  outcomes: OutcomeBatcher,
): Promise<ExecutionReport> {
  const id = execution.id;
  const stored = storedOutcome(id, execution.attempts, outcome);
  const recordBy = execution.deadlineAt ? execution.deadlineAt.getTime() : Number.POSITIVE_INFINITY;
  const fate = await outcomes.run({ outcome: stored, recordBy });
  if (fate === 'superseded') {
    log.warn('execution outcome discarded: the attempt was given up by the tick meanwhile', {
      executionId: id,
      attempt: execution.attempts,
    });
    return 'superseded';
  }
  if (fate !== 'recorded') return fate;
  log.info('execution finished', {
    executionId: id,
    status: stored.status,
    durationMs: Math.round(performance.now() - started),
    error: stored.errorMessage ?? undefined,
  });
  return stored.status;
}
