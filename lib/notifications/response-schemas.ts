import { z } from 'zod';
import { channelTypes, deliveryStatuses, notificationEventTypes } from '../../db/schema/index.js';
import type { ChannelTestResult, toChannelResponse } from './channels.js';
import type { DeliveryResponse } from './deliveries.js';
import { EVENT_DOCUMENT_VERSION, type EventDocument } from './event-document.js';

// What the notification endpoints answer and what a webhook receives, as zod schemas for the
// OpenAPI document; the mappers are held to them at the bottom of this file.

const timestamp = z.iso
  .datetime()
  .meta({ description: 'ISO 8601 in UTC with milliseconds', examples: ['2026-01-01T02:00:00.000Z'] });
const severity = z.enum(['critical', 'warning', 'info']);
const eventType = z.enum(notificationEventTypes);

export const channelResponse = z.object({
  id: z.number().int().positive(),
  name: z.string(),
  type: z.enum(channelTypes),
  url: z.string().meta({ description: 'Redacted: scheme and host only', examples: ['https://hooks.slack.com/…'] }),
  has_secret: z.boolean().meta({ description: 'Webhook deliveries are signed with it; it is never returned' }),
  events: z.array(eventType),
  min_severity: severity,
  connection_ids: z.array(z.number().int()).nullable().meta({ description: 'null: every connection' }),
  task_ids: z.array(z.number().int()).nullable().meta({ description: 'null: every task' }),
  is_active: z.boolean(),
  created_at: timestamp,
  updated_at: timestamp,
});

export const channelTestResponse = z.object({
  ok: z.boolean().meta({ description: 'The receiver answered 2xx' }),
  status_code: z.number().int().nullable(),
  duration_ms: z.number().int(),
  error: z
    .string()
    .nullable()
    .meta({
      description:
        'Why it did not count as delivered: the network error, a refused destination, or the status and the ' +
        'start of the body',
    }),
});

export const deliveryResponse = z.object({
  id: z.number().int().positive(),
  event_id: z.uuid().meta({ description: 'Sent as Idempotency-Key and PG-Reviewer-Event-Id with every attempt' }),
  event_type: eventType,
  channel_id: z.number().int().positive(),
  channel_name: z.string(),
  execution_id: z.number().int().positive().nullable(),
  status: z
    .enum(deliveryStatuses)
    .meta({ description: 'pending (to be sent or retried), delivered, or failed (given up after the last attempt)' }),
  attempts: z.number().int().min(0),
  next_attempt_at: timestamp.nullable().meta({ description: 'When a pending delivery is tried next' }),
  last_status_code: z.number().int().nullable(),
  last_error: z.string().nullable(),
  created_at: timestamp,
  delivered_at: timestamp.nullable(),
  attempt_log: z.array(
    z.object({
      attempted_at: timestamp,
      status_code: z.number().int().nullable(),
      duration_ms: z.number().int(),
      error: z.string().nullable(),
    }),
  ),
});

const eventFinding = z.object({
  check: z.string(),
  object: z.string().nullable(),
  severity,
  title: z.string(),
  detail: z.string().nullable().meta({ description: 'null for a resolved finding' }),
  recommendation: z.string().nullable(),
  previous_severity: severity.optional().meta({ description: 'finding.worsened only' }),
  reason: z.string().optional().meta({ description: 'finding.worsened only: what got worse' }),
});

/** The JSON document a webhook channel receives (also the body the signature covers). */
export const eventDocument = z
  .object({
    version: z.literal(EVENT_DOCUMENT_VERSION).meta({
      description: 'Changes when a field changes meaning or goes away; new fields may appear within a version',
    }),
    id: z.uuid().meta({ description: 'The event id, also the Idempotency-Key header: the same on every retry' }),
    type: z.enum([...notificationEventTypes, 'test']),
    created_at: timestamp,
    execution: z
      .object({
        id: z.number().int(),
        status: z.string(),
        trigger: z.string(),
        error_message: z.string().nullable(),
        report_url: z.string().nullable().meta({ description: 'The run’s report, when PUBLIC_BASE_URL is set' }),
      })
      .nullable(),
    task: z.object({ id: z.number().int().nullable(), name: z.string().nullable(), task_type: z.string() }).nullable(),
    connection: z
      .object({ id: z.number().int(), name: z.string().nullable(), database: z.string().nullable() })
      .nullable(),
    summary: z
      .object({
        critical: z.number().int(),
        warning: z.number().int(),
        info: z.number().int(),
        not_assessable: z.number().int(),
      })
      .nullable(),
    findings: z.array(eventFinding).meta({
      description: 'The findings of this event that the channel’s rule takes, most severe first, at most 100',
    }),
    findings_omitted: z.number().int().min(0),
  })
  .meta({
    description:
      'POSTed to a webhook channel with headers PG-Reviewer-Event (the type), PG-Reviewer-Event-Id and ' +
      'Idempotency-Key (the id), and ' +
      'PG-Reviewer-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the channel secret>',
  });

type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type NotificationSchemasMatchMappers = [
  Holds<SameKeys<ReturnType<typeof toChannelResponse>, z.infer<typeof channelResponse>>>,
  Holds<Same<ChannelTestResult, z.infer<typeof channelTestResponse>>>,
  Holds<SameKeys<DeliveryResponse, z.infer<typeof deliveryResponse>>>,
  Holds<SameKeys<EventDocument, z.infer<typeof eventDocument>>>,
];
