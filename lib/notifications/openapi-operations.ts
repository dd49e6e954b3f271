import { z } from 'zod';
import { idPath } from '../http/params.js';
import { requestComponents, responseComponents } from '../openapi/components.js';
import type { Operation } from '../openapi/operations.js';
import { createChannelBody, listDeliveriesQuery, updateChannelBody } from './channel-schemas.js';
import { channelResponse, channelTestResponse, deliveryResponse, eventDocument } from './response-schemas.js';

// Registered here, next to the notification endpoints, so lib/openapi only lists these operations.
const createChannelRequest = createChannelBody;
const updateChannelRequest = updateChannelBody;
requestComponents.add(createChannelRequest, { id: 'CreateNotificationChannel' });
requestComponents.add(updateChannelRequest, { id: 'UpdateNotificationChannel' });
const channel = channelResponse;
const channelList = z.array(channelResponse);
const channelTest = channelTestResponse;
const deliveryList = z.array(deliveryResponse);
responseComponents.add(channel, { id: 'NotificationChannel' });
responseComponents.add(channelList, { id: 'NotificationChannelList' });
responseComponents.add(channelTest, { id: 'NotificationChannelTest' });
responseComponents.add(deliveryResponse, { id: 'NotificationDelivery' });
responseComponents.add(deliveryList, { id: 'NotificationDeliveryList' });
responseComponents.add(eventDocument, { id: 'NotificationEvent' });

const channelId = idPath('channel_id');
const invalidInput = 'Invalid input; `errors` lists each invalid field';
const refusedUrl =
  'Invalid input (a webhook channel without a secret, say), or a url whose host resolves to a loopback, ' +
  'private, link-local or metadata address (see NOTIFICATION_ALLOWED_NETWORKS)';

export const notificationOperations: Operation[] = [
  {
    method: 'post',
    path: '/api/v1/notifications/channels',
    operationId: 'createNotificationChannel',
    tag: 'Notifications',
    summary: 'Create a notification channel (webhook or Slack) with its rule',
    description:
      'The URL and the secret are encrypted at rest; the URL is shown redacted, the secret never. A webhook ' +
      'channel signs every delivery with its `secret`.',
    body: createChannelRequest,
    responses: { 201: { description: 'Channel created', json: channel } },
    errors: { 400: refusedUrl, 409: 'A channel with this name exists' },
  },
  {
    method: 'get',
    path: '/api/v1/notifications/channels',
    operationId: 'listNotificationChannels',
    tag: 'Notifications',
    summary: 'List notification channels',
    responses: { 200: { description: 'Channels', json: channelList } },
  },
  {
    method: 'get',
    path: '/api/v1/notifications/channels/{channel_id}',
    operationId: 'getNotificationChannel',
    tag: 'Notifications',
    summary: 'Get a notification channel',
    pathParams: channelId,
    responses: { 200: { description: 'The channel', json: channel } },
    errors: { 400: invalidInput, 404: 'Channel not found' },
  },
  {
    method: 'put',
    path: '/api/v1/notifications/channels/{channel_id}',
    operationId: 'updateNotificationChannel',
    tag: 'Notifications',
    summary: 'Update a notification channel (partial)',
    pathParams: channelId,
    body: updateChannelRequest,
    responses: { 200: { description: 'Channel updated', json: channel } },
    errors: { 400: refusedUrl, 404: 'Channel not found', 409: 'A channel with this name exists' },
  },
  {
    method: 'delete',
    path: '/api/v1/notifications/channels/{channel_id}',
    operationId: 'deleteNotificationChannel',
    tag: 'Notifications',
    summary: 'Delete a notification channel',
    description: 'Its pending and past deliveries are deleted with it.',
    pathParams: channelId,
    responses: { 204: { description: 'Channel deleted' } },
    errors: { 400: invalidInput, 404: 'Channel not found' },
  },
  {
    method: 'post',
    path: '/api/v1/notifications/channels/{channel_id}/test',
    operationId: 'testNotificationChannel',
    tag: 'Notifications',
    summary: 'Send a test message now',
    description:
      "Sends a `test` event (signed like any other) and answers with the receiver's status; a failure to " +
      'deliver is a 200 with ok=false.',
    pathParams: channelId,
    responses: { 200: { description: 'What the receiver answered', json: channelTest } },
    errors: { 400: invalidInput, 404: 'Channel not found' },
  },
  {
    method: 'get',
    path: '/api/v1/notifications/deliveries',
    operationId: 'listNotificationDeliveries',
    tag: 'Notifications',
    summary: 'List deliveries with their attempts, newest first',
    description: 'status=failed lists the deliveries given up after their last attempt.',
    query: listDeliveriesQuery,
    responses: { 200: { description: 'Deliveries', json: deliveryList } },
    errors: { 400: invalidInput },
  },
];
