import { getExecutionWithNotifications } from '../../lib/executions/executions.js';
import { createHandler } from '../../lib/http/handler.js';
import { idPath } from '../../lib/http/params.js';
import { ok } from '../../lib/http/responses.js';

export const handler = createHandler({ path: idPath('execution_id') }, async ({ path }) =>
  ok(await getExecutionWithNotifications(path.execution_id)),
);
