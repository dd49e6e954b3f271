import type { Check } from '../types.js';

/** query_analysis: pg_stat_statements, read without ever resetting it. */
export const queryChecks: Check[] = [];
