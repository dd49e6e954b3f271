import { getDb } from '../../db/client.js';
import { claimExecutions, finishExecutions, type ClaimedExecution, type FinishedExecution } from '../../db/queries/executions.js';
import { env } from '../env.js';
import { log } from '../log/logger.js';
import { acknowledgeExecutionIds, takeExecutionIds } from '../queue/execution-queue.js';
import { Batcher } from './batcher.js';
import { runExecution, type ExecutionLedger } from './run-execution.js';
import { TargetConnections } from './target-connections.js';

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

const isExecutionId = (entry: string) => /^\d{1,18}$/.test(entry) && Number(entry) > 0;

/** Runs executions with `concurrency` workers until the queue is empty or it is time to stop. */
export async function drainQueue(options: DrainOptions = {}): Promise<DrainReport> {
  const report: DrainReport = { completed: 0, failed: 0, notClaimed: 0, dropped: 0 };
  const direct = [...(options.executionIds ?? [])];
  const shouldStop = options.shouldStop ?? (() => false);
  const queue = new QueueReader();
  const ledger = drainLedger();
  let queueEmpty = false;

  const count = (outcome: string) => {
    if (outcome === 'completed') report.completed++;
    else if (outcome === 'failed') report.failed++;
    else report.notClaimed++;
  };

  const worker = async () => {
    while (!shouldStop()) {
      const directId = direct.shift();
      if (directId !== undefined) {
        count((await runExecution(directId, ledger)).outcome);
        continue;
      }
      if (queueEmpty) return;
      const entry = await queue.next();
      if (entry === null) {
        queueEmpty = true;
        return;
      }
      if (!isExecutionId(entry)) {
        log.warn('dropping a queue entry that is not an execution id', { entry: entry.slice(0, 100) });
        report.dropped++;
      } else {
        count((await runExecution(Number(entry), ledger)).outcome);
      }
      queue.finished(entry);
    }
  };

  const concurrency = options.concurrency ?? env().CONSUMER_CONCURRENCY;
  // Every worker stops before the connections close; the first failure (Redis down, say) is the drain's.
  const workers = await Promise.allSettled(Array.from({ length: concurrency }, worker));
  await Promise.all([ledger.targets.close(), queue.close()]);
  const failure = workers.find((w) => w.status === 'rejected');
  if (failure) throw failure.reason;
  if (report.completed + report.failed + report.dropped + report.notClaimed > 0) log.info('drain finished', { ...report });
  return report;
}

/**
 * Claims and outcomes of the drain's workers, each batched into one statement per round trip:
 * under load the service database sees a few statements per batch of executions, not two each.
 */
function drainLedger(): ExecutionLedger {
  const db = getDb();
  const graceSeconds = env().RUNNING_GRACE_SECONDS;
  const claims = new Batcher<number, ClaimedExecution | undefined>(async (ids) => {
    const claimed = await claimExecutions(db, ids, graceSeconds);
    return ids.map((id) => claimed.get(id));
  });
  const outcomes = new Batcher<FinishedExecution, boolean>(async (finished) => {
    const recorded = await finishExecutions(db, finished);
    return finished.map((f) => recorded.has(f.id));
  });
  return {
    claim: (id) => claims.run(id),
    finish: (id, attempt, outcome) => outcomes.run({ id, attempt, outcome }),
    targets: new TargetConnections(),
  };
}

/**
 * Takes ids for the workers that are waiting, all in one Redis request, and acknowledges the
 * entries finished since the previous request in that same request.
 */
class QueueReader {
  #finished: string[] = [];
  readonly #takes = new Batcher<void, string | null>(async (waiting) => {
    const finished = this.#finished;
    this.#finished = [];
    try {
      const ids = await takeExecutionIds(waiting.length, finished);
      return waiting.map((_, i) => ids[i] ?? null);
    } catch (error) {
      this.#finished.push(...finished);
      throw error;
    }
  });

  next(): Promise<string | null> {
    return this.#takes.run(undefined);
  }

  finished(entry: string): void {
    this.#finished.push(entry);
  }

  /** Housekeeping only: an entry left on the processing list is trimmed by the next tick. */
  async close(): Promise<void> {
    const finished = this.#finished;
    this.#finished = [];
    await acknowledgeExecutionIds(finished).catch((error: Error) => log.warn('could not acknowledge finished queue entries; the next tick trims them', { error: error.message }));
  }
}
