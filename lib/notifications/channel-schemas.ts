import { z } from 'zod';
import { channelTypes, deliveryStatuses, notificationEventTypes } from '../../db/schema/index.js';

const severity = z.enum(['critical', 'warning', 'info']);
const ids = (what: string) =>
  z
    .array(z.number().int().positive().max(2_147_483_647))
    .min(1, `${what} must list at least one id, or be null for all`)
    .max(1000)
    .nullable()
    .meta({ description: `Only runs of these ${what}; null (the default) for all` });

const url = z
  .string()
  .max(2000)
  .refine(
    (value) => URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol),
    'url must be an http or https URL',
  )
  .meta({
    description:
      'Encrypted at rest and shown redacted. Must reach a public address over https, unless its network is ' +
      'in NOTIFICATION_ALLOWED_NETWORKS',
  });

const secret = z.string().min(16, 'secret must be at least 16 characters').max(200);

export const createChannelBody = z.strictObject({
  name: z.string().trim().min(1, 'name must not be empty').max(200),
  type: z.enum(channelTypes),
  url,
  secret: secret.optional().meta({
    description:
      'Required for, and only for, a webhook channel: the HMAC-SHA256 signing secret its receiver verifies ' +
      'with (e.g. `openssl rand -hex 32`). Never returned',
  }),
  events: z
    .array(z.enum(notificationEventTypes))
    .min(1)
    .default([...notificationEventTypes]),
  min_severity: severity.default('warning').meta({ description: 'The lowest finding severity that counts' }),
  connection_ids: ids('connections').default(null),
  task_ids: ids('tasks').default(null),
  is_active: z.boolean().default(true),
});
export type CreateChannelBody = z.infer<typeof createChannelBody>;

export const updateChannelBody = z.strictObject({
  name: z.string().trim().min(1, 'name must not be empty').max(200).optional(),
  url: url.optional(),
  secret: secret
    .optional()
    .meta({ description: 'webhook only: a new signing secret (receivers must be given it too)' }),
  events: z.array(z.enum(notificationEventTypes)).min(1).optional(),
  min_severity: severity.optional(),
  connection_ids: ids('connections').optional(),
  task_ids: ids('tasks').optional(),
  is_active: z.boolean().optional(),
});
export type UpdateChannelBody = z.infer<typeof updateChannelBody>;

export const listDeliveriesQuery = z.object({
  status: z.enum(deliveryStatuses, { message: 'status must be pending, delivered or failed' }).optional(),
  channel_id: z.coerce.number().int().positive().max(2_147_483_647).optional(),
  execution_id: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type ListDeliveriesQuery = z.infer<typeof listDeliveriesQuery>;
