import { createHandler } from '../../lib/http/handler.js';
import { docsAsset, docsAssetPath } from '../../lib/openapi/docs-page.js';

/** GET /api/v1/docs/assets/{file}: the docs page's scripts and styles. */
export const handler = createHandler(
  { path: docsAssetPath },
  async ({ path, event }) => docsAsset(path.file, event.headers?.['accept-encoding']),
  { public: true },
);
