import { getDb } from '../../db/client.js';
import { findConnection } from '../../db/queries/connections.js';
import { findTask } from '../../db/queries/tasks.js';
import type { ExecutionStatus } from '../../db/schema/index.js';
import type { Finding, ReviewResult } from '../analyses/types.js';
import { getExecution } from '../executions/executions.js';
import { iso } from '../http/responses.js';
import { notificationsOfExecution, type DeliveryResponse } from '../notifications/deliveries.js';

/** Everything a report shows about one execution, whatever its status. */
export interface ReportData {
  executionId: number;
  taskId: number | null;
  /** Null once the task is deleted: its executions outlive it. */
  taskName: string | null;
  connectionId: number;
  connectionName: string | null;
  database: string | null;
  taskType: string;
  trigger: string;
  status: ExecutionStatus;
  scheduledFor: string | null;
  queuedAt: string;
  startedAt: string | null;
  completedAt: string | null;
  attempts: number;
  errorMessage: string | null;
  /** Only completed executions have one. */
  result: ReviewResult | null;
  /** What the run caused to be sent, and how its delivery stands (none when absent). */
  notifications?: DeliveryResponse[];
}

/** Throws not_found (404) for an unknown execution. */
export async function loadReportData(executionId: number): Promise<ReportData> {
  const execution = await getExecution(executionId);
  const db = getDb();
  const [task, connection, notifications] = await Promise.all([
    execution.scheduledTaskId === null ? undefined : findTask(db, execution.scheduledTaskId),
    findConnection(db, execution.connectionId),
    notificationsOfExecution(execution.id, db),
  ]);
  const result = readResult(execution.result);
  return {
    executionId: execution.id,
    taskId: execution.scheduledTaskId,
    taskName: task?.name ?? null,
    connectionId: execution.connectionId,
    connectionName: connection?.name ?? null,
    database: result?.server.database ?? connection?.database ?? null,
    taskType: execution.taskType,
    trigger: execution.trigger,
    status: execution.status,
    scheduledFor: iso(execution.scheduledFor),
    queuedAt: execution.createdAt.toISOString(),
    startedAt: iso(execution.startedAt),
    completedAt: iso(execution.completedAt),
    attempts: execution.attempts,
    errorMessage: execution.errorMessage,
    result,
    notifications,
  };
}

/**
 * Results are stored as JSON and outlive code changes: fill in what an older result may lack
 * rather than fail to show the rest of it.
 */
export function readResult(raw: Record<string, unknown> | null): ReviewResult | null {
  if (!raw) return null;
  const partial = raw as Partial<ReviewResult>;
  const findings: Finding[] = Array.isArray(partial.findings)
    ? partial.findings.map((f) => ({ ...f, evidence: f.evidence ?? {} }))
    : [];
  const changes = partial.changes;
  return {
    ...(partial as ReviewResult),
    findings,
    not_assessable: Array.isArray(partial.not_assessable) ? partial.not_assessable : [],
    changes: {
      previous_execution_id: changes?.previous_execution_id ?? null,
      new: changes?.new ?? [],
      resolved: changes?.resolved ?? [],
      worsened: changes?.worsened ?? [],
    },
    server: partial.server ?? ({} as ReviewResult['server']),
    state: partial.state ?? {},
  };
}
