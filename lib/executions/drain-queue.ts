import { env } from '../env.js';
import { log } from '../log/logger.js';
import { acknowledgeExecutionIds, takeNextExecutionId } from '../queue/execution-queue.js';
import { runExecution } from './run-execution.js';
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
  let queueEmpty = false;

  // Shared by the workers for this invocation only: closed when the drain ends.
  const targets = new TargetConnections();
  const count = (outcome: string) => {
    if (outcome === 'completed') report.completed++;
    else if (outcome === 'failed') report.failed++;
    else report.notClaimed++;
  };

  const worker = async () => {
    // The entry this worker finished last: acknowledged together with taking the next one.
    let finished: string | undefined;
    try {
      while (!shouldStop()) {
        const directId = direct.shift();
        if (directId !== undefined) {
          count((await runExecution(directId, undefined, targets)).outcome);
          continue;
        }
        if (queueEmpty) return;
        const entry = await takeNextExecutionId(finished);
        finished = undefined;
        if (entry === null) {
          queueEmpty = true;
          return;
        }
        if (!isExecutionId(entry)) {
          log.warn('dropping a queue entry that is not an execution id', { entry: entry.slice(0, 100) });
          report.dropped++;
        } else {
          count((await runExecution(Number(entry), undefined, targets)).outcome);
        }
        finished = entry;
      }
    } finally {
      if (finished !== undefined) await acknowledgeExecutionIds([finished]);
    }
  };

  const concurrency = options.concurrency ?? env().CONSUMER_CONCURRENCY;
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await targets.close();
  }
  if (report.completed + report.failed + report.dropped + report.notClaimed > 0) log.info('drain finished', { ...report });
  return report;
}
