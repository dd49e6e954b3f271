import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { handler as createConnection } from '../../functions/connections/create.js';
import { handler as deleteConnection } from '../../functions/connections/delete.js';
import { handler as getConnection } from '../../functions/connections/get.js';
import { handler as listConnections } from '../../functions/connections/list.js';
import { handler as testConnection } from '../../functions/connections/test.js';
import { handler as updateConnection } from '../../functions/connections/update.js';
import { decryptSecret } from '../../lib/crypto/secret-box.js';
import { apiEvent, call } from '../helpers/api.js';
import { createLocalConnection, createTaskVia, customSqlTask } from '../helpers/factories.js';
import { query } from '../helpers/service-db.js';

const byId = (id: number | string) => ({ path: { connection_id: String(id) } });
const SECRET = 'S3cret-p@ss "quoted"';

describe('connections', () => {
  it('creates a connection with defaults and never returns the password', async () => {
    const response = await call(
      createConnection,
      apiEvent('POST', '/api/v1/connections', {
        body: { name: 'prod', host: 'db.internal', database: 'app', username: 'reviewer', password: SECRET },
      }),
    );
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(Number),
      name: 'prod',
      host: 'db.internal',
      port: 5432,
      database: 'app',
      username: 'reviewer',
      has_password: true,
      sslmode: 'verify-full',
      has_sslrootcert: false,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const listed = await call(listConnections, apiEvent('GET', '/api/v1/connections'));
    const fetched = await call(
      getConnection,
      apiEvent('GET', `/api/v1/connections/${response.body.id}`, byId(response.body.id)),
    );
    for (const body of [response.body, listed.body, fetched.body]) expect(JSON.stringify(body)).not.toContain('S3cret');
  });

  it('stores the password encrypted with AES-256-GCM, not in clear', async () => {
    const created = await call(
      createConnection,
      apiEvent('POST', '/api/v1/connections', {
        body: { name: 'enc', host: 'h', database: 'd', username: 'u', password: SECRET },
      }),
    );
    const [row] = await query<{ password_encrypted: string }>(
      sql`select password_encrypted from connections where id = ${created.body.id}`,
    );
    expect(row.password_encrypted).not.toContain('S3cret');
    expect(row.password_encrypted.startsWith('v2.')).toBe(true);
    expect(decryptSecret(row.password_encrypted)).toBe(SECRET);
  });

  it('refuses unknown fields, a bad sslmode and a duplicate name', async () => {
    const unknown = await call(
      createConnection,
      apiEvent('POST', '/api/v1/connections', {
        body: { name: 'x', host: 'h', database: 'd', username: 'u', pasword: 'typo' },
      }),
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toContainEqual({ path: 'pasword', message: 'Unknown field "pasword"' });
    const ssl = await call(
      createConnection,
      apiEvent('POST', '/api/v1/connections', {
        body: { name: 'y', host: 'h', database: 'd', username: 'u', sslmode: 'allow' },
      }),
    );
    expect(ssl.body.errors[0].path).toBe('sslmode');
    await createLocalConnection({ name: 'twice' });
    const duplicate = await call(
      createConnection,
      apiEvent('POST', '/api/v1/connections', { body: { name: 'twice', host: 'h', database: 'd', username: 'u' } }),
    );
    expect(duplicate).toMatchObject({ status: 409, body: { detail: 'A connection named "twice" already exists' } });
  });

  it('updates only the fields sent, and a null password removes it', async () => {
    const created = await call(
      createConnection,
      apiEvent('POST', '/api/v1/connections', {
        body: { name: 'upd', host: 'h', database: 'd', username: 'u', password: 'p' },
      }),
    );
    const updated = await call(
      updateConnection,
      apiEvent('PUT', `/api/v1/connections/${created.body.id}`, { ...byId(created.body.id), body: { port: 6432 } }),
    );
    expect(updated.body).toMatchObject({ port: 6432, host: 'h', has_password: true });
    const cleared = await call(
      updateConnection,
      apiEvent('PUT', `/api/v1/connections/${created.body.id}`, { ...byId(created.body.id), body: { password: null } }),
    );
    expect(cleared.body.has_password).toBe(false);
    expect(
      (
        await call(
          updateConnection,
          apiEvent('PUT', '/api/v1/connections/99999', { ...byId(99999), body: { port: 1 } }),
        )
      ).status,
    ).toBe(404);
  });

  it('refuses to delete a connection while tasks use it, then deletes it once they are gone', async () => {
    const connection = await createLocalConnection();
    await createTaskVia(customSqlTask(connection.id));
    const refused = await call(
      deleteConnection,
      apiEvent('DELETE', `/api/v1/connections/${connection.id}`, byId(connection.id)),
    );
    expect(refused).toMatchObject({
      status: 409,
      body: { detail: `Connection ${connection.id} is used by 1 task(s); delete or move them first` },
    });
    const unused = await createLocalConnection();
    expect(
      (await call(deleteConnection, apiEvent('DELETE', `/api/v1/connections/${unused.id}`, byId(unused.id)))).status,
    ).toBe(204);
    expect(
      (await call(getConnection, apiEvent('GET', `/api/v1/connections/${unused.id}`, byId(unused.id)))).status,
    ).toBe(404);
  });

  it('tests a reachable connection: server version and round-trip time', async () => {
    const connection = await createLocalConnection();
    const response = await call(
      testConnection,
      apiEvent('POST', `/api/v1/connections/${connection.id}/test`, byId(connection.id)),
    );
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      ok: true,
      server_version: expect.stringMatching(/^\d+\.\d+/),
      round_trip_ms: expect.any(Number),
      error: null,
    });
  });

  it('tests an unreachable connection and a wrong password: the error, without the password', async () => {
    const down = await createLocalConnection({ port: 1 });
    const refused = await call(testConnection, apiEvent('POST', `/api/v1/connections/${down.id}/test`, byId(down.id)));
    expect(refused.body).toMatchObject({
      ok: false,
      server_version: null,
      error: expect.stringMatching(/ECONNREFUSED/),
    });
    // The target cluster demands md5 from roles other than postgres.
    const wrong = await createLocalConnection({
      port: Number(process.env.TARGET_PG_PORT ?? 5433),
      database: 'postgres',
      username: 'no_such_role',
      password: 'hunter2-secret',
    });
    const denied = await call(testConnection, apiEvent('POST', `/api/v1/connections/${wrong.id}/test`, byId(wrong.id)));
    expect(denied.body).toMatchObject({
      ok: false,
      error: expect.stringMatching(/password authentication failed|28P01/),
    });
    expect(JSON.stringify(denied.body)).not.toContain('hunter2');
  });
});
