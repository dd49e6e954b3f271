import type postgres from 'postgres';

export const taskTypes = ['log_analysis', 'config_check', 'query_analysis', 'custom_sql', 'table_analysis'] as const;
export type TaskType = (typeof taskTypes)[number];

export const analysisTargets = ['logs', 'config', 'performance', 'security', 'tables', 'queries'] as const;
export type AnalysisTarget = (typeof analysisTargets)[number];

export type Severity = 'critical' | 'warning' | 'info';

/** A finding's identity across runs is `check` + `object`. */
export interface Finding {
  check: string; // stable id, e.g. "tables.missing_primary_key"
  severity: Severity;
  object: string | null; // schema-qualified relation, role, setting name or query id
  title: string;
  detail: string; // one or two sentences with the measured values
  recommendation: string | null; // SQL or setting to apply, where one exists
  evidence: Record<string, unknown>; // the raw numbers behind the finding
}

export interface NotAssessable {
  check: string;
  /** Every check that could not run for this same reason, when there are several (check is the first). */
  checks?: string[];
  reason: string;
  /** The exact grant, extension or setting that would let the check run. */
  enable: string | null;
  error?: string;
}

export interface FindingRef {
  check: string;
  object: string | null;
  severity: Severity;
  title: string;
}

export interface Changes {
  previous_execution_id: number | null;
  new: FindingRef[];
  resolved: FindingRef[];
  worsened: Array<FindingRef & { previous_severity: Severity; reason: string }>;
}

/** Managed PostgreSQL services recognised by their own settings and functions. */
export type ManagedProvider = 'aws_rds' | 'aws_aurora' | 'gcp_cloudsql' | 'azure';

export interface ServerFacts {
  version: string;
  version_num: number;
  current_user: string;
  database: string;
  started_at: string | null;
  uptime_seconds: number | null;
  stats_reset: string | null;
  is_superuser: boolean;
  in_recovery: boolean;
  /** The managed service the server runs on, or null for a self-managed server. */
  provider: ManagedProvider | null;
}

export interface ReviewResult {
  task_type: TaskType;
  analysis_target: AnalysisTarget;
  summary: { critical: number; warning: number; info: number; not_assessable: number };
  findings: Finding[];
  not_assessable: NotAssessable[];
  changes: Changes;
  server: ServerFacts;
  duration_ms: number;
  /** Facts kept for the next run of the same task (settings for drift, statement counters, log position). */
  state: Record<string, unknown>;
  /** custom_sql only. */
  data?: { columns: Array<{ name: string; type: string }>; rows: unknown[][]; row_count: number; truncated: boolean };
}

export interface PreviousRun {
  executionId: number;
  result: Partial<ReviewResult>;
}

export interface TaskParams {
  analysis_target?: AnalysisTarget;
  custom_sql?: string;
  target_tables?: string[];
  query_timeout: number;
  output_format?: 'json';
  detailed_analysis?: boolean;
  max_rows?: number;
}

export interface CheckContext {
  /** The one connection to the reviewed database: read-only, statement timeout and application_name set. */
  sql: postgres.Sql;
  params: TaskParams;
  server: ServerFacts;
  previous: PreviousRun | null;
  /** Write what the next run needs here, under a key named after the check. */
  state: Record<string, unknown>;
  /** The previous run's state (or {} on a first run). */
  previousState: Record<string, unknown>;
}

export interface Check {
  id: string;
  /** The analysis targets under which this check runs for its task type. */
  targets: AnalysisTarget[];
  run(ctx: CheckContext): Promise<Finding[]>;
}

/** Thrown by a check that cannot run here; becomes a `not_assessable` entry, never a failed review. */
export class NotAssessableError extends Error {
  constructor(
    reason: string,
    readonly enable: string | null,
  ) {
    super(reason);
    this.name = 'NotAssessableError';
  }
}

/** Thrown when the review as a whole cannot go on (target unreachable, whole-analysis timeout). */
export class ReviewFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReviewFailedError';
  }
}
