import { getDb } from '../../db/client.js';
import { readSchedulerStats, type SchedulerStats } from '../../db/queries/stats.js';
import { queueLength } from '../queue/execution-queue.js';

export async function readQueueStatus(): Promise<{ queue_length: number; timestamp: string }> {
  return { queue_length: await queueLength(), timestamp: new Date().toISOString() };
}

export async function readStats(): Promise<SchedulerStats> {
  return readSchedulerStats(getDb());
}
