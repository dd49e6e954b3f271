import { deleteConnection } from '../../lib/connections/connections.js';
import { createHandler } from '../../lib/http/handler.js';
import { idPath } from '../../lib/http/params.js';
import { noContent } from '../../lib/http/responses.js';

export const handler = createHandler({ path: idPath('connection_id') }, async ({ path }) => {
  await deleteConnection(path.connection_id);
  return noContent();
});
