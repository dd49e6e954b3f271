import { createHandler } from '../../lib/http/handler.js';
import { legacyRedirect } from '../../lib/http/legacy-redirect.js';

export const handler = createHandler({}, async ({ event }) => legacyRedirect(event));
