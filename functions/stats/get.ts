import { createHandler } from '../../lib/http/handler.js';
import { ok } from '../../lib/http/responses.js';
import { readStats } from '../../lib/scheduling/status.js';

export const handler = createHandler({}, async () => ok(await readStats()));
