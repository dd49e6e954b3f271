import { getDb } from '../../db/client.js';
import {
  deleteConnectionRow,
  findConnection,
  insertConnection,
  selectConnections,
  updateConnectionRow,
  type NewConnection,
} from '../../db/queries/connections.js';
import { countTasksUsingConnection } from '../../db/queries/tasks.js';
import type { ConnectionRow } from '../../db/schema/index.js';
import { describeTargetError, openTarget } from '../target/open-target.js';
import { encryptSecret } from '../crypto/secret-box.js';
import { AppError, notFound } from '../http/errors.js';
import { databaseSqlState } from '../../db/errors.js';
import type { CreateConnectionBody, UpdateConnectionBody } from './connection-schemas.js';
import { targetOptionsFor } from '../target/target-options.js';

/** The API view of a connection: the password is never returned, only whether one is stored. */
export function toConnectionResponse(row: ConnectionRow) {
  return {
    id: row.id,
    name: row.name,
    host: row.host,
    port: row.port,
    database: row.database,
    username: row.username,
    has_password: row.passwordEncrypted !== null,
    sslmode: row.sslmode,
    has_sslrootcert: row.sslRootCert !== null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export async function createConnection(body: CreateConnectionBody): Promise<ConnectionRow> {
  const { password, sslrootcert, ...rest } = body;
  return insertConnection(getDb(), {
    ...rest,
    sslRootCert: sslrootcert ?? null,
    passwordEncrypted: password ? encryptSecret(password) : null,
  }).catch(nameConflict(body.name));
}

export async function listConnections(): Promise<ConnectionRow[]> {
  return selectConnections(getDb());
}

export async function getConnection(id: number): Promise<ConnectionRow> {
  const row = await findConnection(getDb(), id);
  if (!row) throw notFound(`Connection ${id}`);
  return row;
}

export async function updateConnection(id: number, body: UpdateConnectionBody): Promise<ConnectionRow> {
  const { password, sslrootcert, ...rest } = body;
  const changes: Partial<NewConnection> = { ...rest };
  if (sslrootcert !== undefined) changes.sslRootCert = sslrootcert;
  if (password !== undefined) changes.passwordEncrypted = password === null ? null : encryptSecret(password);
  const row = await updateConnectionRow(getDb(), id, changes).catch(nameConflict(body.name));
  if (!row) throw notFound(`Connection ${id}`);
  return row;
}

export async function deleteConnection(id: number): Promise<void> {
  const db = getDb();
  const users = await countTasksUsingConnection(db, id);
  if (users > 0)
    throw new AppError('conflict', `Connection ${id} is used by ${users} task(s); delete or move them first`);
  // A task created between the count and the delete is caught by the foreign key (23503 → 409).
  if (!(await deleteConnectionRow(db, id))) throw notFound(`Connection ${id}`);
}

export interface ConnectionTestResult {
  ok: boolean;
  server_version: string | null;
  round_trip_ms: number | null;
  error: string | null;
}

/** Connects as a review would (read-only, application_name pg-reviewer) and reports what it saw. */
export async function testConnection(id: number): Promise<ConnectionTestResult> {
  const connection = await getConnection(id);
  const sql = openTarget(targetOptionsFor(connection, 10));
  try {
    await sql`select 1`;
    const started = performance.now();
    const [row] = await sql`select current_setting('server_version') as version`;
    return {
      ok: true,
      server_version: row.version,
      round_trip_ms: Math.round((performance.now() - started) * 100) / 100,
      error: null,
    };
  } catch (error) {
    return { ok: false, server_version: null, round_trip_ms: null, error: describeTargetError(error) };
  } finally {
    await sql.end({ timeout: 0 });
  }
}

function nameConflict(name: string | undefined) {
  return (error: unknown) => {
    if (databaseSqlState(error) === '23505') {
      throw new AppError('conflict', `A connection named "${name}" already exists`);
    }
    throw error;
  };
}
