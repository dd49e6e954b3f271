import { getDrainDb } from '../../db/client.js';
import { claimExecutions, type ClaimedExecution, type ExecutionOutcome } from '../../db/queries/executions.js';
import { errorMessageForLog } from '../../db/transient-errors.js';
import { env } from '../env.js';
import { log } from '../log/logger.js';
import { acknowledgeExecutionIds, takeExecutionIds } from '../queue/execution-queue.js';
import { configuredSessionLimit, TargetPool } from '../target/target-pool.js';
import { Batcher } from './batcher.js';
import { OUTCOME_RECORDING_SECONDS } from './consumer-budget.js';
import { writeBackStashedOutcomes } from './outcome-stash.js';
import { reviewClaimedExecution } from './review-execution.js';
import { recordOutcome, settleOutcomes, type OutcomeBatcher } from './settle-outcomes.js';

export interface DrainOptions {
  /** Run these first (from `POST .../run`), then drain the queue. */
  executionIds?: number[];
  concurrency?: number;
  /** Asked before each new item: e.g. "is there enough Lambda time left for one more?" */
  shouldStop?: () => boolean;
  /** Milliseconds left of the invocation (Lambda's getRemainingTimeInMillis); outcomes are retried within it. */
  remainingMs?: () => number;
}

export interface DrainReport {
  completed: number;
  failed: number;
  notClaimed: number;
  dropped: number;
  /** Outcomes kept in Redis because the service database could not take them in time. */
  stashed: number;
  /** Outcomes neither recorded nor kept: recovery runs those executions again. */
  lost: number;
  /** Why the drain stopped taking work early (Redis or the service database unreachable), if it did. */
  stoppedBy: string | null;
}

/**
 * A queue entry and, when it is the id of a queued execution, that execution, now claimed; or
 * `deferred` when the execution could not finish in the time left and was left queued.
 */
interface Work {
  entry: string;
  claimed: ClaimedExecution | undefined;
  deferred?: boolean;
}

const isExecutionId = (entry: string) => /^\d{1,18}$/.test(entry) && Number(entry) > 0;

// A worker whose take fails tries again this many times (backoff 0.2, 0.4, 0.8 s) before it stops.
const TAKE_ATTEMPTS = 4;

/**
 * Runs executions with `concurrency` workers until the queue is empty or it is time to stop.
 * Never throws: an unreachable Redis or service database stops the drain early (`stoppedBy`), and
 * whatever was taken but not run is recovered by the tick.
 */
export async function drainQueue(options: DrainOptions = {}): Promise<DrainReport> {
  const report: DrainReport = {
    completed: 0,
    failed: 0,
    notClaimed: 0,
    dropped: 0,
    stashed: 0,
    lost: 0,
    stoppedBy: null,
  };
  const shouldStop = options.shouldStop ?? (() => false);
  const concurrency = options.concurrency ?? env().CONSUMER_CONCURRENCY;
  const remainingMs = options.remainingMs;
  const invocationEnds = () => (remainingMs ? Date.now() + remainingMs() : Number.POSITIVE_INFINITY);
  // Outcomes a previous consumer could not record go in before anything is claimed.
  await writeBackStashedOutcomes(getDrainDb()).catch((error: unknown) =>
    log.warn('could not write back stashed outcomes; the next consumer or tick will', {
      error: errorMessageForLog(error),
    }),
  );
  // Direct ids go first, claimed in the same batches as ids from the queue.
  // A review is started only if its query_timeout and the recording of its outcome fit in what is
  // left: one started later would be killed with the invocation and every review beside it.
  const longestQueryTimeout = () => (remainingMs ? remainingMs() / 1000 - OUTCOME_RECORDING_SECONDS : null);
  const queue = new QueueReader(
    env().RUNNING_GRACE_SECONDS,
    concurrency,
    (options.executionIds ?? []).map(String),
    longestQueryTimeout,
  );
  // What the drain holds for its workers: the batcher every outcome is recorded through (settleOutcomes),
  // and the pool of target sessions the reviews borrow from.
  const db = getDrainDb();
  const outcomes: OutcomeBatcher = new Batcher((pending) => settleOutcomes(db, pending, invocationEnds));
  const targets = new TargetPool(configuredSessionLimit());
  let queueEmpty = false;

  // Outcomes wait for their batch in the background while the worker goes on to its next execution;
  // the queue entry is let go of once its outcome is recorded or stashed.
  const recording = new Set<Promise<void>>();
  const record = (entry: string, claimed: ClaimedExecution, outcome: ExecutionOutcome, started: number) => {
    const done = recordOutcome(claimed.execution, outcome, started, outcomes).then((recorded) => {
      if (recorded === 'completed') report.completed++;
      else if (recorded === 'failed') report.failed++;
      else if (recorded === 'stashed') report.stashed++;
      else if (recorded === 'lost') report.lost++;
      else report.notClaimed++;
      // A lost outcome's entry stays on the processing list: the tick recovers its execution.
      if (recorded !== 'lost') queue.finished(entry);
    });
    recording.add(done);
    void done.finally(() => recording.delete(done));
  };

  const run = async (work: Work) => {
    const { entry, claimed } = work;
    if (!isExecutionId(entry)) {
      log.warn('dropping a queue entry that is not an execution id', { entry: entry.slice(0, 100) });
      report.dropped++;
      queue.finished(entry);
    } else if (work.deferred) {
      log.info('execution not started: its query_timeout does not fit in the time left; handed back to the queue', {
        executionId: Number(entry),
      });
      queue.handBack(entry);
    } else if (!claimed) {
      log.info('execution not run: it is not queued (already taken, cancelled or missing)', {
        executionId: Number(entry),
      });
      report.notClaimed++;
      queue.finished(entry);
    } else {
      const started = performance.now();
      const outcome = await reviewClaimedExecution(claimed, targets);
      record(entry, claimed, outcome, started);
    }
  };

  // One failed request is retried with backoff; a worker stops only when the queue keeps failing.
  const take = async (): Promise<Work | null> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await queue.next();
      } catch (error) {
        if (attempt >= TAKE_ATTEMPTS || queueEmpty) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  };

  const worker = async () => {
    while (!queueEmpty && !shouldStop()) {
      let work: Work | null;
      try {
        work = await take();
      } catch (error) {
        report.stoppedBy ??= errorMessageForLog(error);
        queueEmpty = true;
        break;
      }
      if (work === null) queueEmpty = true;
      else await run(work);
    }
  };

  // Every worker stops before the connections close.
  await Promise.all(Array.from({ length: concurrency }, worker));
  await Promise.all(recording);
  await Promise.all([targets.close(), queue.close()]);
  if (report.stoppedBy)
    log.warn('drain stopped early; what it took and did not run is recovered by the tick', { error: report.stoppedBy });
  const { stoppedBy: _, ...counts } = report;
  if (Object.values(counts).some((n) => n > 0)) log.info('drain finished', { ...report });
  return report;
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
  readonly #longestQueryTimeout: () => number | null;
  #buffer: string[] = [];
  #finished: string[] = [];
  #handedBack: string[] = [];
  readonly #takes = new Batcher<void, Work | null>(async (waiting) => {
    if (this.#buffer.length < waiting.length) await this.#refill(waiting.length - this.#buffer.length + this.#prefetch);
    const entries = this.#buffer.splice(0, waiting.length);
    const ids = entries.filter(isExecutionId).map(Number);
    const { claimed, deferred } = await claimExecutions(
      getDrainDb(),
      ids,
      this.#graceSeconds,
      this.#longestQueryTimeout(),
    );
    return waiting.map((_, i) => {
      const entry = entries[i];
      if (entry === undefined) return null;
      if (deferred.delete(Number(entry))) return { entry, claimed: undefined, deferred: true };
      // An id on the list twice is claimed once: only its first entry gets the execution.
      const execution = claimed.get(Number(entry));
      claimed.delete(Number(entry));
      return { entry, claimed: execution };
    });
  });

  /** `first`: ids to run before any from Redis (from `POST .../run`); they are not on the processing list. */
  constructor(graceSeconds: number, prefetch: number, first: string[], longestQueryTimeout: () => number | null) {
    this.#graceSeconds = graceSeconds;
    this.#prefetch = prefetch;
    this.#longestQueryTimeout = longestQueryTimeout;
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

  /**
   * Taken but not to be started here: back at the queue's head when the drain ends, like the
   * buffer. Not sooner: this drain would take it again, while a shorter review behind it may fit.
   */
  handBack(entry: string): void {
    this.#handedBack.push(entry);
  }

  /**
   * Housekeeping only: an entry left on the processing list is trimmed by the next tick, and pushed again if still
   * queued.
   */
  async close(): Promise<void> {
    const finished = this.#finished;
    const untouched = [...this.#handedBack, ...this.#buffer];
    this.#finished = [];
    this.#buffer = [];
    this.#handedBack = [];
    await acknowledgeExecutionIds(finished, untouched).catch((error: Error) =>
      log.warn('could not hand back queue entries; the next ticks trim and push them again', { error: error.message }),
    );
  }
}
