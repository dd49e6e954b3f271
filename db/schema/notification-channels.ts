import { boolean, integer, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core';

export const channelTypes = ['webhook', 'slack'] as const;
export type ChannelType = (typeof channelTypes)[number];

export const notificationEventTypes = [
  'finding.new',
  'finding.worsened',
  'finding.resolved',
  'execution.failed',
] as const;
export type NotificationEventType = (typeof notificationEventTypes)[number];

/** Where notifications go, and the one rule that decides which events of which runs go there. */
export const notificationChannels = pgTable('notification_channels', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  type: text('type').$type<ChannelType>().notNull(),
  // AES-256-GCM envelopes (lib/crypto/secret-box.ts): a Slack URL is itself a credential.
  urlEncrypted: text('url_encrypted').notNull(),
  signingSecretEncrypted: text('signing_secret_encrypted'),
  events: text('events').array().$type<NotificationEventType[]>().notNull(),
  minSeverity: text('min_severity').$type<'critical' | 'warning' | 'info'>().notNull().default('warning'),
  // Null means every connection / every task.
  connectionIds: integer('connection_ids').array(),
  taskIds: integer('task_ids').array(),
  isActive: boolean('is_active').notNull().default(true),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export type ChannelRow = typeof notificationChannels.$inferSelect;
