import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { notificationChannels, type NotificationEventType } from './notification-channels.js';

export const deliveryStatuses = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/**
 * The outbox: one row per event and channel, written in the transaction that records the
 * execution's outcome, then sent (and retried) by the consumer and the tick.
 */
export const notificationDeliveries = pgTable(
  'notification_deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    // Sent with every attempt as the idempotency key: a receiver drops a repeat by it.
    eventId: uuid('event_id').notNull().defaultRandom(),
    channelId: integer('channel_id')
      .notNull()
      .references(() => notificationChannels.id, { onDelete: 'cascade' }),
    // No foreign key: a delivery's history outlives the execution's retention.
    executionId: bigint('execution_id', { mode: 'number' }),
    eventType: text('event_type').$type<NotificationEventType>().notNull(),
    // The event document as it was when the run finished (lib/notifications/event-document.ts).
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    status: text('status').$type<DeliveryStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    // A sender holds a claimed delivery until then; one that died lets it go at that time.
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('notification_deliveries_event_key').on(t.eventId),
    // One event of a kind per run and channel, however often the outcome's recording is retried.
    uniqueIndex('notification_deliveries_run_key').on(t.executionId, t.channelId, t.eventType),
    // The senders' only probe: what is due now.
    index('notification_deliveries_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
    index('notification_deliveries_status_idx').on(t.status, t.id),
  ],
);

export type DeliveryRow = typeof notificationDeliveries.$inferSelect;
