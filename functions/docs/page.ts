import { createHandler } from '../../lib/http/handler.js';
import { docsPage } from '../../lib/openapi/docs-page.js';

/** GET /api/v1/docs: public, so a browser can open it; calls made from it still need a token. */
export const handler = createHandler({}, async () => docsPage(), { public: true });
