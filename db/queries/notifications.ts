import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Finding, ReviewResult } from '../../lib/analyses/types.js';
import type { EventDocument, QueuedEvent, RecordedRun } from '../../lib/notifications/event-document.js';
import type { DbOrTx } from '../client.js';
import {
  notificationAttempts,
  notificationChannels,
  notificationDeliveries,
  type AttemptRow,
  type ChannelRow,
  type ChannelType,
  type DeliveryRow,
  type DeliveryStatus,
} from '../schema/index.js';
import { bigintArray } from './arrays.js';

export type NewChannel = typeof notificationChannels.$inferInsert;

export async function insertChannel(db: DbOrTx, values: NewChannel): Promise<ChannelRow> {
  const [row] = await db.insert(notificationChannels).values(values).returning();
  return row;
}

export async function findChannel(db: DbOrTx, id: number): Promise<ChannelRow | undefined> {
  const [row] = await db.select().from(notificationChannels).where(eq(notificationChannels.id, id));
  return row;
}

export async function selectChannels(db: DbOrTx, onlyActive = false): Promise<ChannelRow[]> {
  return db
    .select()
    .from(notificationChannels)
    .where(onlyActive ? eq(notificationChannels.isActive, true) : undefined)
    .orderBy(asc(notificationChannels.id));
}

export async function updateChannelRow(
  db: DbOrTx,
  id: number,
  changes: Partial<NewChannel>,
): Promise<ChannelRow | undefined> {
  const [row] = await db
    .update(notificationChannels)
    .set({ ...changes, updatedAt: sql`now()` })
    .where(eq(notificationChannels.id, id))
    .returning();
  return row;
}

export async function deleteChannelRow(db: DbOrTx, id: number): Promise<boolean> {
  const rows = await db
    .delete(notificationChannels)
    .where(eq(notificationChannels.id, id))
    .returning({ id: notificationChannels.id });
  return rows.length > 0;
}

/**
 * Finished executions as just recorded, with what an event names: the task and connection, counts,
 * changes and the findings (for their detail and recommendation), but not the rest of the result
 * (a custom_sql result may carry 10,000 rows that no notification shows).
 */
export async function recordedRuns(db: DbOrTx, ids: readonly number[]): Promise<RecordedRun[]> {
  const rows = await db.execute<{
    id: string;
    status: string;
    trigger: string;
    task_id: number | null;
    task_name: string | null;
    task_type: string;
    connection_id: number;
    connection_name: string | null;
    database: string | null;
    error_message: string | null;
    summary: ReviewResult['summary'] | null;
    changes: RecordedRun['changes'];
    findings: Finding[] | null;
  }>(sql`
    select e.id, e.status, e.trigger, e.scheduled_task_id as task_id, t.name as task_name, e.task_type,
           e.connection_id, k.name as connection_name, coalesce(e.result->'server'->>'database', k.database) as database,
           e.error_message, e.result->'summary' as summary, e.result->'changes' as changes, e.result->'findings' as findings
      from task_executions e
      left join scheduled_tasks t on t.id = e.scheduled_task_id
      left join connections k on k.id = e.connection_id
     where e.id = any(${bigintArray(ids)}) and e.status in ('completed', 'failed')
     order by e.id`);
  return rows.map((r) => ({
    id: Number(r.id),
    status: r.status,
    trigger: r.trigger,
    taskId: r.task_id,
    taskName: r.task_name,
    taskType: r.task_type,
    connectionId: r.connection_id,
    connectionName: r.connection_name,
    database: r.database,
    errorMessage: r.error_message,
    summary: r.summary,
    changes: r.changes,
    findings: Array.isArray(r.findings) ? r.findings : [],
  }));
}

/** A second recording of the same run (a retried batch) adds nothing: the run key is unique. */
export async function insertDeliveries(db: DbOrTx, events: readonly QueuedEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const rows = await db
    .insert(notificationDeliveries)
    .values(
      events.map((e) => ({
        eventId: e.document.id,
        channelId: e.channelId,
        executionId: e.executionId,
        eventType: e.eventType,
        payload: e.document as unknown as Record<string, unknown>,
      })),
    )
    .onConflictDoNothing()
    .returning({ id: notificationDeliveries.id });
  return rows.length;
}

export interface ClaimedDelivery {
  id: number;
  attempts: number;
  payload: EventDocument;
  channel: { type: ChannelType; urlEncrypted: string; signingSecretEncrypted: string | null };
}

/**
 * Takes due deliveries of active channels for this sender until `leaseSeconds` from now. SKIP
 * LOCKED and the lease let the consumer and the tick send at the same time without sending one
 * delivery twice; a sender that dies lets its deliveries go when the lease ends.
 */
export async function claimDueDeliveries(db: DbOrTx, limit: number, leaseSeconds: number): Promise<ClaimedDelivery[]> {
  const rows = await db.execute<{
    id: string;
    attempts: number;
    payload: EventDocument;
    type: ChannelType;
    url_encrypted: string;
    signing_secret_encrypted: string | null;
  }>(sql`
    with claimed as (
      update notification_deliveries d
         set locked_until = now() + make_interval(secs => ${leaseSeconds})
       where d.id in (
         select p.id from notification_deliveries p
           join notification_channels c on c.id = p.channel_id and c.is_active
          where p.status = 'pending' and p.next_attempt_at <= now() and (p.locked_until is null or p.locked_until < now())
          order by p.next_attempt_at
          limit ${limit}
            for update of p skip locked)
      returning d.id, d.attempts, d.payload, d.channel_id
    )
    select k.id, k.attempts, k.payload, c.type, c.url_encrypted, c.signing_secret_encrypted
      from claimed k join notification_channels c on c.id = k.channel_id
     order by k.id`);
  return rows.map((r) => ({
    id: Number(r.id),
    attempts: r.attempts,
    payload: r.payload,
    channel: { type: r.type, urlEncrypted: r.url_encrypted, signingSecretEncrypted: r.signing_secret_encrypted },
  }));
}

export interface AttemptOutcome {
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
}

/**
 * Records one attempt and what follows from it: delivered, tried again after `retryDelaySeconds`,
 * or failed for good once `maxAttempts` are spent. Nothing is recorded when the channel (and with
 * it the delivery) was deleted meanwhile.
 */
export async function recordDeliveryAttempt(
  db: DbOrTx,
  deliveryId: number,
  outcome: AttemptOutcome,
  maxAttempts: number,
  retryDelaySeconds: number,
): Promise<DeliveryStatus | null> {
  const rows = await db.execute<{ status: DeliveryStatus }>(sql`
    with attempt as (
      update notification_deliveries
         set attempts = attempts + 1,
             status = case when ${outcome.ok}::boolean then 'delivered' when attempts + 1 >= ${maxAttempts} then 'failed' else 'pending' end,
             next_attempt_at = case when ${outcome.ok}::boolean then next_attempt_at else now() + make_interval(secs => ${retryDelaySeconds}) end,
             delivered_at = case when ${outcome.ok}::boolean then now() end,
             locked_until = null,
             last_status_code = ${outcome.statusCode}::int,
             last_error = ${outcome.error}::text
       where id = ${deliveryId}
      returning id, status
    ), logged as (
      insert into notification_attempts (delivery_id, status_code, duration_ms, error)
      select id, ${outcome.statusCode}::int, ${outcome.durationMs}::int, ${outcome.error}::text from attempt
    )
    select status from attempt`);
  return rows[0]?.status ?? null;
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  channelId?: number;
  executionId?: number;
  limit: number;
}

export interface DeliveryWithAttempts {
  delivery: DeliveryRow;
  channelName: string;
  attempts: AttemptRow[];
}

/** Newest first, each with its attempts, oldest attempt first. */
export async function selectDeliveries(db: DbOrTx, filter: DeliveryFilter): Promise<DeliveryWithAttempts[]> {
  const rows = await db
    .select({ delivery: notificationDeliveries, channelName: notificationChannels.name })
    .from(notificationDeliveries)
    .innerJoin(notificationChannels, eq(notificationChannels.id, notificationDeliveries.channelId))
    .where(
      and(
        filter.status === undefined ? undefined : eq(notificationDeliveries.status, filter.status),
        filter.channelId === undefined ? undefined : eq(notificationDeliveries.channelId, filter.channelId),
        filter.executionId === undefined ? undefined : eq(notificationDeliveries.executionId, filter.executionId),
      ),
    )
    .orderBy(desc(notificationDeliveries.id))
    .limit(filter.limit);
  if (rows.length === 0) return [];
  const attempts = await db
    .select()
    .from(notificationAttempts)
    .where(
      inArray(
        notificationAttempts.deliveryId,
        rows.map((r) => r.delivery.id),
      ),
    )
    .orderBy(asc(notificationAttempts.id));
  return rows.map((r) => ({ ...r, attempts: attempts.filter((a) => a.deliveryId === r.delivery.id) }));
}

/** Retention: deletes finished deliveries (and their attempts) older than `retentionDays`, a batch at a time. */
export async function deleteExpiredDeliveries(db: DbOrTx, retentionDays: number, batch: number): Promise<number> {
  const rows = await db.execute<{ id: string }>(sql`
    delete from notification_deliveries
     where id in (
       select id from notification_deliveries
        where created_at < now() - make_interval(days => ${retentionDays}) and status <> 'pending'
        order by id limit ${batch})
    returning id`);
  return rows.length;
}
