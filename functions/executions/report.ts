import { createHandler } from '../../lib/http/handler.js';
import { idPath } from '../../lib/http/params.js';
import { executionReport, reportQuery } from '../../lib/report/report.js';

/** GET /api/v1/scheduler/executions/{execution_id}/report?format=html|md */
export const handler = createHandler({ path: idPath('execution_id'), query: reportQuery }, async ({ path, query }) =>
  executionReport(path.execution_id, query.format),
);
