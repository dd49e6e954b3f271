import { getDb } from '../../db/client.js';
import {
  deleteChannelRow,
  findChannel,
  insertChannel,
  selectChannels,
  updateChannelRow,
  type NewChannel,
} from '../../db/queries/notifications.js';
import type { ChannelRow } from '../../db/schema/index.js';
import { decryptSecret, encryptSecret } from '../crypto/secret-box.js';
import { databaseSqlState } from '../../db/errors.js';
import { AppError, invalid, notFound } from '../http/errors.js';
import type { CreateChannelBody, UpdateChannelBody } from './channel-schemas.js';
import { checkDestination, DestinationRefused } from './destination-guard.js';
import { testDocument } from './event-document.js';
import { sendEvent } from './send-event.js';

/** The API view of a channel: the URL only as scheme and host (its path is often the credential), never the secret. */
export function toChannelResponse(row: ChannelRow) {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    url: redactedUrl(row.urlEncrypted),
    has_secret: row.signingSecretEncrypted !== null,
    events: row.events,
    min_severity: row.minSeverity,
    connection_ids: row.connectionIds,
    task_ids: row.taskIds,
    is_active: row.isActive,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

function redactedUrl(encrypted: string): string {
  try {
    const url = new URL(decryptSecret(encrypted));
    return `${url.protocol}//${url.host}/…`;
  } catch {
    return '(cannot be read with the current ENCRYPTION_KEY)';
  }
}

/**
 * A webhook channel is created with the secret its receiver verifies signatures with: the caller
 * chooses it (as GitHub has it), so it never has to leave the service in a response.
 */
export async function createChannel(body: CreateChannelBody): Promise<ChannelRow> {
  if (body.type !== 'webhook' && body.secret !== undefined) throw secretNotApplicable();
  if (body.type === 'webhook' && body.secret === undefined) throw secretRequired();
  await requireReachableDestination(body.url);
  const secret = body.secret;
  return insertChannel(getDb(), {
    name: body.name,
    type: body.type,
    urlEncrypted: encryptSecret(body.url),
    signingSecretEncrypted: secret === undefined ? null : encryptSecret(secret),
    events: body.events,
    minSeverity: body.min_severity,
    connectionIds: body.connection_ids,
    taskIds: body.task_ids,
    isActive: body.is_active,
  }).catch(nameConflict(body.name));
}

export async function listChannels(): Promise<ChannelRow[]> {
  return selectChannels(getDb());
}

export async function getChannel(id: number): Promise<ChannelRow> {
  const row = await findChannel(getDb(), id);
  if (!row) throw notFound(`Channel ${id}`);
  return row;
}

export async function updateChannel(id: number, body: UpdateChannelBody): Promise<ChannelRow> {
  const current = await getChannel(id);
  if (current.type !== 'webhook' && body.secret !== undefined) throw secretNotApplicable();
  if (body.url !== undefined) await requireReachableDestination(body.url);
  const changes: Partial<NewChannel> = {
    name: body.name,
    events: body.events,
    minSeverity: body.min_severity,
    connectionIds: body.connection_ids,
    taskIds: body.task_ids,
    isActive: body.is_active,
    urlEncrypted: body.url === undefined ? undefined : encryptSecret(body.url),
    signingSecretEncrypted: body.secret === undefined ? undefined : encryptSecret(body.secret),
  };
  const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
  const row = await updateChannelRow(getDb(), id, defined).catch(nameConflict(body.name));
  if (!row) throw notFound(`Channel ${id}`);
  return row;
}

/** Its pending and past deliveries go with it. */
export async function deleteChannel(id: number): Promise<void> {
  if (!(await deleteChannelRow(getDb(), id))) throw notFound(`Channel ${id}`);
}

export interface ChannelTestResult {
  ok: boolean;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
}

/** Sends a test message now, whether or not the channel is active, and reports what the receiver answered. */
export async function testChannel(id: number): Promise<ChannelTestResult> {
  const channel = await getChannel(id);
  const result = await sendEvent(channel, testDocument(channel.name, new Date()));
  return { ok: result.ok, status_code: result.statusCode, duration_ms: result.durationMs, error: result.error };
}

async function requireReachableDestination(url: string): Promise<void> {
  try {
    await checkDestination(new URL(url));
  } catch (error) {
    if (!(error instanceof DestinationRefused)) throw error;
    throw invalid(`Invalid request body: url: ${error.message}`, [{ path: 'url', message: error.message }]);
  }
}

const secretRequired = () =>
  invalid('Invalid request body: secret: a webhook channel needs a signing secret (e.g. openssl rand -hex 32)', [
    { path: 'secret', message: 'a webhook channel needs a signing secret (e.g. openssl rand -hex 32)' },
  ]);
const secretNotApplicable = () =>
  invalid('Invalid request body: secret: only webhook channels are signed', [
    { path: 'secret', message: 'only webhook channels are signed' },
  ]);

function nameConflict(name: string | undefined) {
  return (error: unknown): never => {
    if (databaseSqlState(error) === '23505') throw new AppError('conflict', `A channel named "${name}" already exists`);
    throw error;
  };
}
