import type { Check } from '../types.js';
import { indexAdviceCheck } from './index-advice/index-advice.js';
import { queryTextsCheck } from './query-texts.js';
import { regressionCheck } from './regression-check.js';
import { slowStatementsCheck } from './slow-statements.js';
import { topStatementsCheck } from './top-statements.js';

/**
 * query_analysis: pg_stat_statements, read without ever resetting it, for the reviewed database
 * only (its dbid). All checks share one read of the view per review.
 */
export const queryChecks: Check[] = [
  slowStatementsCheck,
  regressionCheck,
  topStatementsCheck,
  queryTextsCheck,
  indexAdviceCheck,
];
