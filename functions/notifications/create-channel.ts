import { createHandler } from '../../lib/http/handler.js';
import { created } from '../../lib/http/responses.js';
import { createChannelBody } from '../../lib/notifications/channel-schemas.js';
import { createChannel, toChannelResponse } from '../../lib/notifications/channels.js';

export const handler = createHandler({ body: createChannelBody }, async ({ body }) =>
  created(toChannelResponse(await createChannel(body))),
);
