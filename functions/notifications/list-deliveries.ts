import { createHandler } from '../../lib/http/handler.js';
import { ok } from '../../lib/http/responses.js';
import { listDeliveriesQuery } from '../../lib/notifications/channel-schemas.js';
import { listDeliveries } from '../../lib/notifications/deliveries.js';

export const handler = createHandler({ query: listDeliveriesQuery }, async ({ query }) =>
  ok(await listDeliveries(query)),
);
