import { listConnections, toConnectionResponse } from '../../lib/connections/connections.js';
import { createHandler } from '../../lib/http/handler.js';
import { ok } from '../../lib/http/responses.js';

export const handler = createHandler({}, async () => ok((await listConnections()).map(toConnectionResponse)));
