import { createHandler } from '../../lib/http/handler.js';
import { idPath } from '../../lib/http/params.js';
import { noContent } from '../../lib/http/responses.js';
import { deleteChannel } from '../../lib/notifications/channels.js';

export const handler = createHandler({ path: idPath('channel_id') }, async ({ path }) => {
  await deleteChannel(path.channel_id);
  return noContent();
});
