import { createConnectionBody } from '../../lib/connections/connection-schemas.js';
import { createConnection, toConnectionResponse } from '../../lib/connections/connections.js';
import { createHandler } from '../../lib/http/handler.js';
import { created } from '../../lib/http/responses.js';

export const handler = createHandler({ body: createConnectionBody }, async ({ body }) =>
  created(toConnectionResponse(await createConnection(body))),
);
