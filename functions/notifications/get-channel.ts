import { createHandler } from '../../lib/http/handler.js';
import { idPath } from '../../lib/http/params.js';
import { ok } from '../../lib/http/responses.js';
import { getChannel, toChannelResponse } from '../../lib/notifications/channels.js';

export const handler = createHandler({ path: idPath('channel_id') }, async ({ path }) =>
  ok(toChannelResponse(await getChannel(path.channel_id))),
);
