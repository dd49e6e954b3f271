import { getDb } from '../../db/client.js';
import { claimExecutions, type ClaimedExecution, type ExecutionOutcome, type FinishedExecution } from '../../db/queries/executions.js';
import { env } from '../env.js';
import { log } from '../log/logger.js';
import { acknowledgeExecutionIds, takeExecutionIds } from '../queue/execution-queue.js';
import { Batcher } from './batcher.js';
import { recordOutcomes } from './record-outcomes.js';
import { recordOutcome, reviewClaimedExecution, type ExecutionLedger } from './run-execution.js';
import { configuredSessionLimit, TargetConnections } from './target-connections.js';

export interface DrainOptions {
  /** Run these first (from `POST .../run`), then drain the queue. */
  executionIds?: number[];
  concurrency?: number;
  /** Asked before each new item: e.g. "is there enough Lambda time left for one more?" */
  shouldStop?: () => boolean;
}

export interface DrainReport {
  completed: number;
  failed: number;
  notClaimed: number;
  dropped: number;
}

/** A queue entry and, when it is the id of a queued execution, that execution, now claimed. */
interface Work {
  entry: string;
  claimed: ClaimedExecution | undefined;
}

const isExecutionId = (entry: string) => /^\d{1,18}$/.test(entry) && Number(entry) > 0;

/** Runs executions with `concurrency` workers until the queue is empty or it is time to stop. */
export async function drainQueue(options: DrainOptions = {}): Promise<DrainReport> {
  const report: DrainReport = { completed: 0, failed: 0, notClaimed: 0, dropped: 0 };
  const shouldStop = options.shouldStop ?? (() => false);
  const concurrency = options.concurrency ?? env().CONSUMER_CONCURRENCY;
  // Direct ids go first, claimed in the same batches as ids from the queue.
  const queue = new QueueReader(env().RUNNING_GRACE_SECONDS, concurrency, (options.executionIds ?? []).map(String));
  const ledger = drainLedger();
  let queueEmpty = false;

  // Outcomes wait for their batch in the background while the worker goes on to its next execution;
  // the queue entry is let go of once its outcome is recorded.
  const recording = new Set<Promise<void>>();
  const record = (entry: string, claimed: ClaimedExecution, outcome: ExecutionOutcome, started: number) => {
    const done = recordOutcome(claimed.execution, outcome, started, ledger).then((recorded) => {
      if (recorded === 'completed') report.completed++;
      else if (recorded === 'failed') report.failed++;
      else report.notClaimed++;
      queue.finished(entry);
    });
    recording.add(done);
    // A failure is kept in the set and reported when the drain ends.
    void done.then(() => recording.delete(done), () => undefined);
  };

  const run = async ({ entry, claimed }: Work) => {
    if (!isExecutionId(entry)) {
      log.warn('dropping a queue entry that is not an execution id', { entry: entry.slice(0, 100) });
      report.dropped++;
      queue.finished(entry);
    } else if (!claimed) {
      log.info('execution not run: it is not queued (already taken, cancelled or missing)', { executionId: Number(entry) });
      report.notClaimed++;
      queue.finished(entry);
    } else {
      const started = performance.now();
      const outcome = await reviewClaimedExecution(claimed, ledger.targets);
      record(entry, claimed, outcome, started);
    }
  };

  const worker = async () => {
    while (!queueEmpty && !shouldStop()) {
      const work = await queue.next();
      if (work === null) queueEmpty = true;
      else await run(work);
    }
  };

  // Every worker stops before the connections close; the first failure (Redis down, say) is the drain's.
  const workers = await Promise.allSettled(Array.from({ length: concurrency }, worker));
  const recorded = await Promise.allSettled(recording);
  await Promise.all([ledger.targets.close(), queue.close()]);
  const failure = [...workers, ...recorded].find((w) => w.status === 'rejected');
  if (failure) throw failure.reason;
  if (report.completed + report.failed + report.dropped + report.notClaimed > 0) log.info('drain finished', { ...report });
  return report;
}

/**
 * Outcomes of the drain's workers, batched into one statement per round trip: under load the
 * service database sees one statement per batch of finished executions, not one each.
 */
function drainLedger(): ExecutionLedger {
  const db = getDb();
  const outcomes = new Batcher<FinishedExecution, boolean>(async (finished) => {
    const recorded = await recordOutcomes(db, finished);
    return finished.map((f) => recorded.has(f.id));
  });
  return {
    finish: (id, attempt, outcome) => outcomes.run({ id, attempt, outcome }),
    targets: new TargetConnections(configuredSessionLimit()),
  };
}

/**
 * Work for the workers that are waiting, all in one step: one statement claims an execution for
 * each. Ids come from a small buffer refilled by one Redis request that takes what is needed plus
 * one id per worker, and acknowledges the entries finished since the previous request. Ids in the
 * buffer are on the processing list and still `queued`: if this consumer dies they are pushed
 * again by the tick; when it stops early they are put back at the queue's head. A claim that
 * fails leaves its ids on the processing list, for the tick to recover.
 */
class QueueReader {
  readonly #graceSeconds: number;
  readonly #prefetch: number;
  #buffer: string[] = [];
  #finished: string[] = [];
  readonly #takes = new Batcher<void, Work | null>(async (waiting) => {
    if (this.#buffer.length < waiting.length) await this.#refill(waiting.length - this.#buffer.length + this.#prefetch);
    const entries = this.#buffer.splice(0, waiting.length);
    const ids = entries.filter(isExecutionId).map(Number);
    const claimed = await claimExecutions(getDb(), ids, this.#graceSeconds);
    return waiting.map((_, i) => {
      const entry = entries[i];
      if (entry === undefined) return null;
      // An id on the list twice is claimed once: only its first entry gets the execution.
      const execution = claimed.get(Number(entry));
      claimed.delete(Number(entry));
      return { entry, claimed: execution };
    });
  });

  /** `first`: ids to run before any from Redis (from `POST .../run`); they are not on the processing list. */
  constructor(graceSeconds: number, prefetch: number, first: string[]) {
    this.#graceSeconds = graceSeconds;
    this.#prefetch = prefetch;
    this.#buffer = first;
  }

  async #refill(count: number): Promise<void> {
    const finished = this.#finished;
    this.#finished = [];
    try {
      this.#buffer.push(...(await takeExecutionIds(count, finished)));
    } catch (error) {
      this.#finished.push(...finished);
      throw error;
    }
  }

  next(): Promise<Work | null> {
    return this.#takes.run(undefined);
  }

  finished(entry: string): void {
    this.#finished.push(entry);
  }

  /** Housekeeping only: an entry left on the processing list is trimmed by the next tick, and pushed again if still queued. */
  async close(): Promise<void> {
    const finished = this.#finished;
    const untouched = this.#buffer;
    this.#finished = [];
    this.#buffer = [];
    await acknowledgeExecutionIds(finished, untouched).catch((error: Error) =>
      log.warn('could not hand back queue entries; the next ticks trim and push them again', { error: error.message }),
    );
  }
}
