import { z } from 'zod';
import { executionStatuses, executionTriggers } from '../../db/schema/index.js';
import type { SchedulerStats } from '../../db/queries/stats.js';
import { sslModes } from '../target/open-target.js';
import { analysisTargets, taskTypes, type ReviewResult } from '../analyses/types.js';
import type { ConnectionTestResult, toConnectionResponse } from '../connections/connections.js';
import { findingStates, type FindingHistory, type FindingHistoryEntry } from '../findings/finding-history.js';
import type { readQueueStatus } from '../scheduling/status.js';
import type { toExecutionResponse } from '../executions/execution-response.js';
import type { toTaskResponse } from '../tasks/task-response.js';
import { taskParamsSchema } from '../tasks/task-params.js';

// What the API sends back, as zod schemas so the OpenAPI document is generated from them and tests
// can hold real responses to them. The mappers that build these bodies are checked against them at
// the bottom of this file.

const timestamp = z.iso
  .datetime()
  .meta({ description: 'ISO 8601 in UTC with milliseconds', examples: ['2026-01-01T02:00:00.000Z'] });
const id = z.number().int().positive();
const severity = z.enum(['critical', 'warning', 'info']);

export const fieldError = z.object({
  path: z.string().meta({
    description: 'Dotted path of the offending field, e.g. task_params.query_timeout; empty for the whole value',
  }),
  message: z.string(),
});

export const errorBody = z.object({
  detail: z.string().meta({ description: 'One sentence; for a 500 only the request id (the detail is in the log)' }),
  errors: z.array(fieldError).optional().meta({ description: 'Every invalid field, on validation errors' }),
});

export const taskResponse = z.object({
  id,
  name: z.string(),
  task_type: z.enum(taskTypes),
  connection_id: id,
  cron_schedule: z.string(),
  timezone: z.string().meta({ description: 'IANA time zone the cron schedule is read in' }),
  description: z.string().nullable(),
  task_params: taskParamsSchema,
  is_active: z.boolean(),
  next_run_at: timestamp.nullable().meta({ description: 'Next cron slot; null while inactive' }),
  last_run_at: timestamp.nullable(),
  last_error: z
    .string()
    .nullable()
    .meta({
      description:
        'Why the scheduler set this task inactive (e.g. its time zone is no longer known); null otherwise. ' +
        'Cleared by a PUT that changes cron_schedule, timezone or is_active',
    }),
  created_at: timestamp,
  updated_at: timestamp,
});

const finding = z.object({
  check: z.string().meta({ description: 'Stable id, e.g. tables.missing_primary_key' }),
  severity,
  object: z.string().nullable().meta({ description: 'Relation, role, setting or query id the finding is about' }),
  title: z.string(),
  detail: z.string(),
  recommendation: z.string().nullable(),
  evidence: z.record(z.string(), z.unknown()),
});

const notAssessable = z.object({
  check: z.string(),
  reason: z.string(),
  enable: z.string().nullable().meta({ description: 'The grant, extension or setting that would let the check run' }),
  error: z.string().optional(),
});

const findingRef = z.object({ check: z.string(), object: z.string().nullable(), severity, title: z.string() });

export const reviewResult = z.object({
  task_type: z.enum(taskTypes),
  analysis_target: z.enum(analysisTargets),
  summary: z.object({
    critical: z.number().int(),
    warning: z.number().int(),
    info: z.number().int(),
    not_assessable: z.number().int(),
  }),
  findings: z.array(finding),
  not_assessable: z.array(notAssessable),
  changes: z
    .object({
      previous_execution_id: z.number().int().nullable(),
      new: z.array(findingRef),
      resolved: z.array(findingRef),
      worsened: z.array(findingRef.extend({ previous_severity: severity, reason: z.string() })),
    })
    .meta({ description: 'Compared with the previous completed run of the same task' }),
  server: z.object({
    version: z.string(),
    version_num: z.number().int(),
    current_user: z.string(),
    database: z.string(),
    started_at: z.string().nullable(),
    uptime_seconds: z.number().nullable(),
    stats_reset: z.string().nullable(),
    is_superuser: z.boolean(),
    in_recovery: z.boolean(),
    provider: z
      .enum(['aws_rds', 'aws_aurora', 'gcp_cloudsql', 'azure'])
      .nullable()
      .meta({ description: 'The managed service recognised, null when self-managed' }),
  }),
  duration_ms: z.number(),
  state: z.record(z.string(), z.unknown()).meta({ description: 'Facts kept for the next run of the same task' }),
  data: z
    .object({
      columns: z.array(z.object({ name: z.string(), type: z.string() })),
      rows: z.array(z.array(z.unknown())),
      row_count: z.number().int(),
      truncated: z.boolean(),
    })
    .optional()
    .meta({ description: 'custom_sql only: the rows the query returned, up to max_rows' }),
});

export const executionResponse = z.object({
  id,
  scheduled_task_id: id.nullable().meta({ description: 'null once the task is deleted' }),
  connection_id: id,
  task_type: z.enum(taskTypes),
  trigger: z.enum(executionTriggers).meta({ description: 'schedule (cron slot), manual (run) or queue' }),
  status: z.enum(executionStatuses),
  scheduled_for: timestamp.nullable().meta({ description: 'The cron slot, for scheduled runs' }),
  queued_at: timestamp,
  started_at: timestamp.nullable(),
  completed_at: timestamp.nullable(),
  attempts: z.number().int().min(0),
  result: reviewResult.nullable().meta({ description: 'The review, once completed' }),
  error_message: z.string().nullable(),
});

export const connectionResponse = z.object({
  id,
  name: z.string(),
  host: z.string(),
  port: z.number().int(),
  database: z.string(),
  username: z.string(),
  has_password: z.boolean().meta({ description: 'The password itself is never returned' }),
  sslmode: z.enum(sslModes),
  has_sslrootcert: z.boolean().meta({ description: 'Whether a CA bundle (sslrootcert) is stored for verify-full' }),
  created_at: timestamp,
  updated_at: timestamp,
});

export const connectionTestResponse = z.object({
  ok: z.boolean(),
  server_version: z.string().nullable(),
  round_trip_ms: z.number().nullable(),
  error: z.string().nullable().meta({ description: "The server's message with its SQLSTATE, or the network error" }),
});

export const taskStartedResponse = z.object({
  message: z.literal('Задача запущена'),
  execution_id: id,
});

export const taskQueuedResponse = z.object({
  message: z.string().meta({ examples: ['Задача 1 добавлена в очередь'] }),
  task_id: id,
  execution_id: id,
});

export const queueStatusResponse = z.object({
  queue_length: z.number().int().min(0),
  timestamp,
});

export const statsResponse = z.object({
  tasks: z.object({ total_tasks: z.number().int(), active_tasks: z.number().int(), inactive_tasks: z.number().int() }),
  executions_24h: z.object({
    total_executions: z.number().int(),
    completed: z.number().int(),
    failed: z.number().int(),
    running: z.number().int(),
  }),
  timestamp,
});

const findingHistoryEntry = z.object({
  task_id: id,
  task_name: z.string(),
  task_type: z.enum(taskTypes),
  analysis_target: z.enum(analysisTargets).nullable(),
  check: z.string().meta({ description: 'With object, the identity of the finding across runs' }),
  object: z.string().nullable(),
  severity,
  title: z.string(),
  recommendation: z.string().nullable().meta({ description: 'From the latest run; null for resolved findings' }),
  first_seen_execution_id: id.meta({
    description:
      "The run that listed the finding as new (following each run's changes.previous_execution_id), or the " +
      'oldest stored run of the task when retention deleted that one',
  }),
  first_seen: timestamp,
  last_seen_execution_id: id,
  last_seen: timestamp,
  runs: z
    .number()
    .int()
    .positive()
    .meta({ description: 'Completed runs of the task from first_seen to last_seen, all with the finding' }),
  resolved_execution_id: id.nullable().meta({ description: 'The run that no longer found it (state=resolved)' }),
  resolved_at: timestamp.nullable(),
});

export const findingHistoryResponse = z.object({
  connection_id: id,
  state: z.enum(findingStates),
  findings: z.array(findingHistoryEntry).meta({ description: 'Most severe first, then the oldest' }),
});

export const redirectBody = z.object({
  detail: z.string(),
  location: z.string().meta({ description: 'Same path and query under /api/v1/scheduler' }),
});

// The mappers build these bodies by hand: a field added to or dropped from one of them without
// its schema here, or a shape that drifts, stops the build.
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type ResponseSchemasMatchMappers = [
  Holds<SameKeys<ReturnType<typeof toTaskResponse>, z.infer<typeof taskResponse>>>,
  Holds<SameKeys<ReturnType<typeof toExecutionResponse>, z.infer<typeof executionResponse>>>,
  Holds<SameKeys<ReturnType<typeof toConnectionResponse>, z.infer<typeof connectionResponse>>>,
  Holds<Same<ConnectionTestResult, z.infer<typeof connectionTestResponse>>>,
  Holds<Same<Awaited<ReturnType<typeof readQueueStatus>>, z.infer<typeof queueStatusResponse>>>,
  Holds<Same<SchedulerStats, z.infer<typeof statsResponse>>>,
  Holds<Same<ReviewResult, z.infer<typeof reviewResult>>>,
  Holds<SameKeys<FindingHistoryEntry, z.infer<typeof findingHistoryEntry>>>,
  Holds<SameKeys<FindingHistory, z.infer<typeof findingHistoryResponse>>>,
];
