import { listExecutionsQuery } from '../../lib/executions/execution-schemas.js';
import { listExecutions } from '../../lib/executions/executions.js';
import { createHandler } from '../../lib/http/handler.js';
import { ok } from '../../lib/http/responses.js';
import { toExecutionResponse } from '../../lib/executions/execution-response.js';

export const handler = createHandler({ query: listExecutionsQuery }, async ({ query }) =>
  ok((await listExecutions(query)).map(toExecutionResponse)),
);
