import type { AnalysisTarget, TaskType } from './types.js';

/**
 * `task_type` names the data source, `analysis_target` the family of checks run on it.
 * The first target of each list is the default. custom_sql accepts any target as a label.
 */
export const validTargets: Record<TaskType, readonly AnalysisTarget[]> = {
  config_check: ['config', 'performance', 'security'],
  table_analysis: ['tables', 'performance'],
  query_analysis: ['queries', 'performance'],
  log_analysis: ['logs', 'security'],
  custom_sql: ['queries', 'logs', 'config', 'performance', 'security', 'tables'],
};

export function defaultTarget(taskType: TaskType): AnalysisTarget {
  return validTargets[taskType][0];
}

export function isValidPair(taskType: TaskType, target: AnalysisTarget): boolean {
  return validTargets[taskType].includes(target);
}
