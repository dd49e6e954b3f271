import { updateConnectionBody } from '../../lib/connections/connection-schemas.js';
import { toConnectionResponse, updateConnection } from '../../lib/connections/connections.js';
import { createHandler } from '../../lib/http/handler.js';
import { idPath } from '../../lib/http/params.js';
import { ok } from '../../lib/http/responses.js';

export const handler = createHandler(
  { path: idPath('connection_id'), body: updateConnectionBody },
  async ({ path, body }) => ok(toConnectionResponse(await updateConnection(path.connection_id, body))),
);
