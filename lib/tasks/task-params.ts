import { z } from 'zod';
import { defaultTarget, isValidPair, validTargets } from '../analyses/targets.js';
import { analysisTargets, type TaskParams, type TaskType } from '../analyses/types.js';
import { env } from '../env.js';
import { CONSUMER_RESERVE_SECONDS, maxQueryTimeoutSeconds } from '../consumer/consumer-budget.js';
import { fieldErrors, invalidFields } from '../http/errors.js';

// A table name as written in SQL: "table" or "schema.table", optionally double-quoted parts.
const tableName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(
    /^("[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)(\.("[^"]+"|[A-Za-z_][A-Za-z0-9_$]*))?$/,
    'must be a table name like "orders" or "sales.orders"',
  );

export const taskParamsSchema = z.strictObject({
  analysis_target: z.enum(analysisTargets).optional(),
  custom_sql: z.string().trim().min(1, 'custom_sql must not be empty').max(100_000).optional(),
  target_tables: z.array(tableName).max(1000).optional(),
  // No Lambda function runs longer than 900 s; the configured bound is checked in parseTaskParams.
  query_timeout: z
    .number()
    .int()
    .min(1)
    .max(900)
    .default(300)
    .meta({
      description:
        "Seconds; at most the consumer function's timeout less the 360 s it keeps in reserve (540 with the " +
        'default 900 s)',
    }),
  output_format: z.literal('json').default('json'),
  detailed_analysis: z.boolean().default(true),
  max_rows: z.number().int().min(1).max(10_000).optional(),
});

/** Validates params for a task type and fills the defaults, so stored params are complete. */
export function parseTaskParams(taskType: TaskType, input: unknown): TaskParams {
  const result = taskParamsSchema.safeParse(input ?? {});
  if (!result.success) {
    const errors = fieldErrors(result.error).map((e) => ({
      ...e,
      path: e.path ? `task_params.${e.path}` : 'task_params',
    }));
    throw invalidFields('request body', errors);
  }
  const params = result.data;
  const fail = (path: string, message: string) => {
    throw invalidFields('request body', [{ path, message }]);
  };
  const maxTimeout = maxQueryTimeoutSeconds();
  if (params.query_timeout > maxTimeout) {
    fail(
      'task_params.query_timeout',
      `query_timeout must be at most ${maxTimeout} s: what one consumer invocation can finish (its ${env().CONSUMER_TIMEOUT_SECONDS} ` +
        `s timeout less the ${CONSUMER_RESERVE_SECONDS} s it keeps in reserve)`,
    );
  }
  if (taskType === 'custom_sql' && !params.custom_sql)
    fail('task_params.custom_sql', 'custom_sql is required for task_type custom_sql');
  if (taskType !== 'custom_sql' && params.custom_sql)
    fail('task_params.custom_sql', 'custom_sql is only used by task_type custom_sql');
  if (taskType !== 'custom_sql' && params.max_rows !== undefined)
    fail('task_params.max_rows', 'max_rows is only used by task_type custom_sql');
  const target = params.analysis_target ?? defaultTarget(taskType);
  if (!isValidPair(taskType, target)) {
    fail(
      'task_params.analysis_target',
      `analysis_target "${target}" is not valid for task_type ${taskType}; valid: ${validTargets[taskType].join(', ')}`,
    );
  }
  return { ...params, analysis_target: target };
}
