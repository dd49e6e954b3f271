import { configChecks } from './config/index.js';
import { runCustomSql } from './custom-sql/run-custom-sql.js';
import { diffFindings } from './changes.js';
import { logChecks } from './logs/index.js';
import { queryChecks } from './queries/index.js';
import { runChecks, type ChecksOutcome } from './run-checks.js';
import { readServerFacts } from './server-facts.js';
import { tableChecks } from './tables/index.js';
import { openTarget, type TargetOptions } from '../target/open-target.js';
import { defaultTarget } from './targets.js';
import {
  ReviewFailedError,
  type Check,
  type PreviousRun,
  type ReviewResult,
  type ServerFacts,
  type TaskParams,
  type TaskType,
} from './types.js';

const checksByType: Record<Exclude<TaskType, 'custom_sql'>, Check[]> = {
  config_check: configChecks,
  table_analysis: tableChecks,
  query_analysis: queryChecks,
  log_analysis: logChecks,
};

export interface AnalysisInput {
  taskType: TaskType;
  params: TaskParams;
  target: TargetOptions;
  previous: PreviousRun | null;
  /**
   * An open connection to `target` owned by the caller (the consumer reuses them across
   * executions); without one, a connection is opened here and closed at the end.
   */
  sql?: ReturnType<typeof openTarget>;
}

/** One review of one database over one connection, bounded as a whole by query_timeout. */
export async function runAnalysis(input: AnalysisInput): Promise<ReviewResult> {
  const started = performance.now();
  const sql = input.sql ?? openTarget(input.target);
  const timeoutMs = input.params.query_timeout * 1000;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ReviewFailedError(
            `The analysis did not finish within query_timeout (${input.params.query_timeout} s) and was cancelled`,
          ),
        ),
      timeoutMs,
    );
  });
  let finished = false;
  try {
    const result = await Promise.race([review(sql, input, started), deadline]);
    finished = true;
    return result;
  } finally {
    clearTimeout(timer);
    // Closing the socket ends our backend; the server cancels whatever statement was still running.
    // The caller's connection is kept only after a review that finished.
    if (!input.sql || !finished) await sql.end({ timeout: 0 });
  }
}

async function review(
  sql: ReturnType<typeof openTarget>,
  input: AnalysisInput,
  started: number,
): Promise<ReviewResult> {
  const target = input.params.analysis_target ?? defaultTarget(input.taskType);
  const state: Record<string, unknown> = {};
  let server: ServerFacts;
  let data: ReviewResult['data'];
  let outcome: ChecksOutcome = { findings: [], notAssessable: [] };
  if (input.taskType === 'custom_sql') {
    ({ server, data } = await runCustomSql(sql, input.params));
  } else {
    server = await readServerFacts(sql);
    const previousState = (input.previous?.result.state as Record<string, unknown> | undefined) ?? {};
    const ctx = { sql, params: input.params, server, previous: input.previous, state, previousState };
    const checks = checksByType[input.taskType].filter((c) => c.targets.includes(target));
    outcome = await runChecks(checks, ctx);
  }

  const count = (s: string) => outcome.findings.filter((f) => f.severity === s).length;
  return {
    task_type: input.taskType,
    analysis_target: target,
    summary: {
      critical: count('critical'),
      warning: count('warning'),
      info: count('info'),
      not_assessable: outcome.notAssessable.length,
    },
    findings: outcome.findings,
    not_assessable: outcome.notAssessable,
    changes: diffFindings(outcome.findings, input.previous),
    server,
    duration_ms: Math.round(performance.now() - started),
    state,
    ...(data ? { data } : {}),
  };
}
