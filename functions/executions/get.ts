import { getExecution } from '../../lib/executions/executions.js';
import { createHandler } from '../../lib/http/handler.js';
import { idPath } from '../../lib/http/params.js';
import { ok } from '../../lib/http/responses.js';
import { toExecutionResponse } from '../../lib/executions/execution-response.js';

export const handler = createHandler({ path: idPath('execution_id') }, async ({ path }) => ok(toExecutionResponse(await getExecution(path.execution_id))));
