import { createHandler } from '../../lib/http/handler.js';
import { ok } from '../../lib/http/responses.js';
import { openApiDocument } from '../../lib/openapi/openapi-document.js';

/** GET /api/v1/openapi.json: public, it describes the API and holds no data. */
export const handler = createHandler({}, async () => ok(openApiDocument()), { public: true });
