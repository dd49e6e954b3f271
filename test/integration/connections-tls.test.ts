import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as createConnection } from '../../functions/connections/create.js';
import { handler as testConnection } from '../../functions/connections/test.js';
import { handler as updateConnection } from '../../functions/connections/update.js';
import { apiEvent, call } from '../helpers/api.js';
import { startTlsPostgres, type TlsServer } from '../helpers/tls-postgres.js';

// The local service PostgreSQL (127.0.0.1:5432) has ssl off and trusts postgres; the test's own server has
// ssl on with a certificate from a CA made for the test, naming only "localhost".
let tls: TlsServer;
beforeAll(() => {
  tls = startTlsPostgres();
});
afterAll(() => {
  tls?.stop();
});

let names = 0;
async function connection(body: Record<string, unknown>) {
  const response = await call(
    createConnection,
    apiEvent('POST', '/api/v1/connections', {
      body: { name: `tls-${++names}`, database: 'postgres', username: 'postgres', ...body },
    }),
  );
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body as { id: number; sslmode: string; has_sslrootcert: boolean };
}
const check = async (id: number) =>
  (
    await call(
      testConnection,
      apiEvent('POST', `/api/v1/connections/${id}/test`, { path: { connection_id: String(id) } }),
    )
  ).body;

describe('TLS to reviewed databases', () => {
  it('verifies the server by default, and says so clearly when the server does not offer TLS', async () => {
    const created = await connection({ host: '127.0.0.1', port: 5432 });
    expect(created).toMatchObject({ sslmode: 'verify-full', has_sslrootcert: false });
    const result = await check(created.id);
    expect(result).toMatchObject({ ok: false, server_version: null });
    expect(result.error).toContain('closed the connection instead of starting TLS');
  });

  it('connects under verify-full to a server whose certificate chains to the given CA bundle and names the host', async () => {
    const created = await connection({ host: 'localhost', port: tls.port, sslrootcert: tls.ca });
    expect(created.has_sslrootcert).toBe(true);
    expect(await check(created.id)).toMatchObject({ ok: true, error: null });
  });

  it('refuses a certificate from a CA it was not given, or one that does not name the host connected to', async () => {
    const unknownCa = await connection({ host: 'localhost', port: tls.port });
    expect((await check(unknownCa.id)).error).toMatch(
      /unable to verify the first certificate \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/,
    );
    const wrongHost = await connection({ host: '127.0.0.1', port: tls.port, sslrootcert: tls.ca });
    expect((await check(wrongHost.id)).error).toMatch(/IP: 127\.0\.0\.1 is not in the cert's list/);
    // Removing the bundle goes back to the CAs Node trusts.
    const updated = await call(
      updateConnection,
      apiEvent('PUT', `/api/v1/connections/${wrongHost.id}`, {
        path: { connection_id: String(wrongHost.id) },
        body: { sslrootcert: null, host: 'localhost' },
      }),
    );
    expect(updated.body.has_sslrootcert).toBe(false);
    expect((await check(wrongHost.id)).error).toMatch(
      /unable to verify the first certificate \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/,
    );
  });

  it('never sends a password over a plain connection unless sslmode is disable', async () => {
    const preferWithPassword = await connection({
      host: '127.0.0.1',
      port: 5432,
      sslmode: 'prefer',
      password: 'not-for-plaintext',
    });
    expect((await check(preferWithPassword.id)).error).toContain('closed the connection instead of starting TLS');
    const preferWithout = await connection({ host: '127.0.0.1', port: 5432, sslmode: 'prefer' });
    expect(await check(preferWithout.id)).toMatchObject({ ok: true });
    const disabled = await connection({
      host: '127.0.0.1',
      port: 5432,
      sslmode: 'disable',
      password: 'chosen-plaintext',
    });
    expect(await check(disabled.id)).toMatchObject({ ok: true });
  });

  it('refuses an sslrootcert that is not PEM certificates', async () => {
    const response = await call(
      createConnection,
      apiEvent('POST', '/api/v1/connections', {
        body: { name: 'bad-ca', host: 'h', database: 'd', username: 'u', sslrootcert: 'not a certificate' },
      }),
    );
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      {
        path: 'sslrootcert',
        message: 'sslrootcert must be one or more PEM certificates (-----BEGIN CERTIFICATE----- ...)',
      },
    ]);
  });
});
