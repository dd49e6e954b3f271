import { logCoverageCheck, severityCountsCheck } from './coverage-checks.js';
import { crashesCheck, fatalErrorsCheck, frequentErrorsCheck, warningsCheck } from './error-checks.js';
import {
  deadlocksCheck,
  lockTimeoutsCheck,
  lockWaitsCheck,
  outOfMemoryCheck,
  statementTimeoutsCheck,
} from './event-checks.js';
import type { LogCheck } from './scan-log.js';
import { authFailuresCheck, rejectedConnectionsCheck } from './security-checks.js';
import { archiveFailuresCheck, autovacuumCheck, checkpointsCheck } from './maintenance-checks.js';
import { bruteForceByHostCheck, bruteForceByUserCheck, connectionsCheck } from './session-checks.js';
import { slowStatementsCheck, statementSummaryCheck, topStatementsCheck } from './statement-checks.js';
import {
  autovacuumCancellationsCheck,
  checkpointsTooFrequentCheck,
  tempFileStatementsCheck,
  tempFilesCheck,
} from './workload-checks.js';

/**
 * log_analysis: the server log read over SQL (pg_ls_logdir + pg_read_file), incrementally from
 * where the previous run of the task stopped. The first check reads and parses the new bytes once
 * (scan-log.ts); the others report from the same aggregates. The read position is kept in
 * state['logs.position'], and what was read is reported by the logs.coverage finding.
 */
export const logChecks: LogCheck[] = [
  logCoverageCheck,
  severityCountsCheck,
  crashesCheck,
  outOfMemoryCheck,
  fatalErrorsCheck,
  frequentErrorsCheck,
  warningsCheck,
  deadlocksCheck,
  lockWaitsCheck,
  statementTimeoutsCheck,
  lockTimeoutsCheck,
  statementSummaryCheck,
  topStatementsCheck,
  slowStatementsCheck,
  tempFilesCheck,
  tempFileStatementsCheck,
  checkpointsCheck,
  checkpointsTooFrequentCheck,
  autovacuumCheck,
  autovacuumCancellationsCheck,
  archiveFailuresCheck,
  connectionsCheck,
  authFailuresCheck,
  bruteForceByHostCheck,
  bruteForceByUserCheck,
  rejectedConnectionsCheck,
];
