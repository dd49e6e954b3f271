import { createHandler } from '../../lib/http/handler.js';
import { idPath } from '../../lib/http/params.js';
import { ok } from '../../lib/http/responses.js';
import { testChannel } from '../../lib/notifications/channels.js';

export const handler = createHandler({ path: idPath('channel_id') }, async ({ path }) =>
  ok(await testChannel(path.channel_id)),
);
