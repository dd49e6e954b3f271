import { getConnection, toConnectionResponse } from '../../lib/connections/connections.js';
import { createHandler } from '../../lib/http/handler.js';
import { idPath } from '../../lib/http/params.js';
import { ok } from '../../lib/http/responses.js';

export const handler = createHandler({ path: idPath('connection_id') }, async ({ path }) =>
  ok(toConnectionResponse(await getConnection(path.connection_id))),
);
