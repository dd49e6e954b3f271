import { findingHistory, findingHistoryQuery } from '../../lib/findings/finding-history.js';
import { createHandler } from '../../lib/http/handler.js';
import { idPath } from '../../lib/http/params.js';
import { ok } from '../../lib/http/responses.js';

/** GET /api/v1/connections/{connection_id}/findings?state=open|resolved */
export const handler = createHandler(
  { path: idPath('connection_id'), query: findingHistoryQuery },
  async ({ path, query }) => ok(await findingHistory(path.connection_id, query.state)),
);
