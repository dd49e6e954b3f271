import { createHandler } from '../../lib/http/handler.js';
import { ok } from '../../lib/http/responses.js';
import { listChannels, toChannelResponse } from '../../lib/notifications/channels.js';

export const handler = createHandler({}, async () => ok((await listChannels()).map((row) => toChannelResponse(row))));
