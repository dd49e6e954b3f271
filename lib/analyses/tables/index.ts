import type { Check } from '../types.js';

/** table_analysis: schema and maintenance problems of tables, indexes and sequences. */
export const tableChecks: Check[] = [];
