import { createHandler } from '../../lib/http/handler.js';
import { idPath } from '../../lib/http/params.js';
import { ok } from '../../lib/http/responses.js';
import { updateChannelBody } from '../../lib/notifications/channel-schemas.js';
import { toChannelResponse, updateChannel } from '../../lib/notifications/channels.js';

export const handler = createHandler({ path: idPath('channel_id'), body: updateChannelBody }, async ({ path, body }) =>
  ok(toChannelResponse(await updateChannel(path.channel_id, body))),
);
