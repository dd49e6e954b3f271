import { createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { handler as createConnection } from '../../functions/connections/create.js';
import { apiEvent, call } from '../helpers/api.js';
import { query } from '../helpers/service-db.js';

// Rotating the encryption key as an operator would: passwords stored under the old key, a new key put first in
// ENCRYPTION_KEYS, `npm run passwords:reencrypt`, then the old key removed.
const run = promisify(execFile);
const oldKey = randomBytes(32).toString('base64');
const newKey = randomBytes(32).toString('base64');
// This file's own process stores passwords with the old key.
process.env.ENCRYPTION_KEYS = oldKey;

const idOf = (key: string) =>
  createHash('sha256').update('pg-reviewer key id\0').update(Buffer.from(key, 'base64')).digest('hex').slice(0, 8);

/** Opens a v2 envelope with one key, independently of the code under test. */
function openWith(key: string, envelope: string): string {
  const [, , iv, tag, ciphertext] = envelope.split('.');
  const decipher = createDecipheriv('aes-256-gcm', Buffer.from(key, 'base64'), Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
}

async function reencrypt(keys: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run('npx', ['tsx', 'scripts/reencrypt-passwords.ts'], {
      env: { ...process.env, ENCRYPTION_KEYS: keys.join(',') },
    });
    return { code: 0, output: stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

const storedEnvelopes = async () =>
  Object.fromEntries(
    (
      await query<{ name: string; password_encrypted: string }>(
        sql`select name, password_encrypted from connections where password_encrypted is not null`,
      )
    ).map((r) => [r.name, r.password_encrypted]),
  );

// Each run of the command is a process of its own (npx tsx), seconds each on a busy machine.
describe('re-encrypting stored passwords with a new key', { timeout: 180_000 }, () => {
  it('moves every password to the newest key, keeps each password, and then works without the old key', async () => {
    for (const [name, password] of [
      ['billing', 'pw-billing'],
      ['crm', 'pw "crm" é'],
    ]) {
      const created = await call(
        createConnection,
        apiEvent('POST', '/api/v1/connections', {
          body: { name, host: 'db.internal', database: 'app', username: 'reviewer', password },
        }),
      );
      expect(created.status).toBe(201);
    }
    await call(
      createConnection,
      apiEvent('POST', '/api/v1/connections', {
        body: { name: 'no-password', host: 'h', database: 'd', username: 'u' },
      }),
    );
    const before = await storedEnvelopes();
    expect(Object.values(before).map((e) => e.split('.')[1])).toEqual([idOf(oldKey), idOf(oldKey)]);

    const first = await reencrypt([newKey, oldKey]);
    expect(first).toMatchObject({ code: 0 });
    expect(first.output).toContain('re-encrypted 2, already on the newest key 0, changed meanwhile 0, unreadable 0');

    const after = await storedEnvelopes();
    expect(Object.values(after).map((e) => e.split('.')[1])).toEqual([idOf(newKey), idOf(newKey)]);
    expect(openWith(newKey, after.billing)).toBe('pw-billing');
    expect(openWith(newKey, after.crm)).toBe('pw "crm" é');

    // The old key can go: nothing is left under it.
    const again = await reencrypt([newKey]);
    expect(again.output).toContain('re-encrypted 0, already on the newest key 2, changed meanwhile 0, unreadable 0');
  });

  it('names a connection whose password no configured key opens, and exits with an error', async () => {
    const created = await call(
      createConnection,
      apiEvent('POST', '/api/v1/connections', {
        body: { name: 'lost', host: 'h', database: 'd', username: 'u', password: 'x' },
      }),
    );
    const result = await reencrypt([newKey]);
    expect(result.code).toBe(1);
    expect(result.output).toContain(
      `connection ${created.body.id}: Stored secret was encrypted with key ${idOf(oldKey)}, which is not in ` +
        'ENCRYPTION_KEYS',
    );
    expect(result.output).not.toContain(oldKey);
  });
});
