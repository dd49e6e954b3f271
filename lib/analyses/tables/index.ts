import type { Check } from '../types.js';
import { indexBloat, tableBloat } from './bloat.js';
import { disabledTriggers, notValidConstraints } from './constraints.js';
import { unindexedForeignKeys } from './foreign-keys.js';
import { sequentialScans, unusedIndexes } from './index-usage.js';
import { duplicateIndexes, invalidIndexes } from './indexes.js';
import { missingPrimaryKey } from './primary-keys.js';
import { sequenceExhaustion } from './sequences.js';
import { largestRelations } from './sizes.js';
import { deadTuples, maintenanceOverdue, neverAnalyzed, neverVacuumed } from './vacuum.js';
import { vacuumHorizon } from './vacuum-horizon.js';
import {
  databaseMultixactWraparound,
  databaseWraparound,
  tableMultixactWraparound,
  tableWraparound,
} from './wraparound.js';

/**
 * table_analysis: schema and maintenance problems of tables, indexes and sequences.
 *
 * Every check runs under the `tables` target. Those whose verdict is about speed rather than
 * correctness or safety — unused, duplicate and missing (FK) indexes, sequential scans, dead rows,
 * bloat — also run under `performance`; wraparound, sequences, keys, constraints, triggers and
 * sizes run under `tables` only. Outages come first, so a review cut short by query_timeout
 * has already looked at what matters most.
 *
 * task_params.target_tables narrows every per-table check; database-wide wraparound is not narrowed.
 * Each check is one or two catalog queries whatever the number of tables, and lists at most 50 objects.
 */
export const tableChecks: Check[] = [
  databaseWraparound,
  databaseMultixactWraparound,
  tableWraparound,
  tableMultixactWraparound,
  vacuumHorizon,
  sequenceExhaustion,
  invalidIndexes,
  missingPrimaryKey,
  unindexedForeignKeys,
  notValidConstraints,
  disabledTriggers,
  deadTuples,
  maintenanceOverdue,
  neverAnalyzed,
  neverVacuumed,
  unusedIndexes,
  duplicateIndexes,
  sequentialScans,
  tableBloat,
  indexBloat,
  largestRelations,
];
