import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { env } from '../env.js';

// v2 envelopes name the key that sealed them, so keys can be rotated: the newest key encrypts, every
// configured key decrypts, and scripts/reencrypt-passwords.ts moves stored passwords to the newest one.
// v1 envelopes (before key ids) are opened by trying each key: GCM's tag tells the right one.
const CURRENT = 'v2';
const BEFORE_KEY_IDS = 'v1';

interface Key {
  id: string;
  bytes: Buffer;
}

/**
 * A key's id is a fingerprint of it (32 bits of a SHA-256), so the configuration is a plain list of keys and
 * nobody has to name them; it says which key sealed an envelope and nothing about the key itself.
 */
export function keyId(bytes: Buffer): string {
  return createHash('sha256').update('pg-reviewer key id\0').update(bytes).digest('hex').slice(0, 8);
}

function keys(): Key[] {
  return env().ENCRYPTION_KEYS.map((key) => {
    const bytes = Buffer.from(key, 'base64');
    return { id: keyId(bytes), bytes };
  });
}

/** The id of the key new envelopes are sealed with. */
export const newestKeyId = (): string => keys()[0].id;

/** AES-256-GCM with the newest key: `v2.<key id>.<iv>.<tag>.<ciphertext>`, binary parts base64url. */
export function encryptSecret(plaintext: string): string {
  const key = keys()[0];
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.bytes, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [CURRENT, key.id, ...[iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url'))].join(
    '.',
  );
}

/** The id of the key an envelope was sealed with; null for an envelope from before key ids. */
export function envelopeKeyId(envelope: string): string | null {
  const [version, id] = envelope.split('.');
  return version === CURRENT ? id : null;
}

export function decryptSecret(envelope: string): string {
  const parts = envelope.split('.');
  if (parts[0] === CURRENT && parts.length === 5) {
    const key = keys().find((k) => k.id === parts[1]);
    if (!key) throw new Error(`Stored secret was encrypted with key ${parts[1]}, which is not in ENCRYPTION_KEYS`);
    return open(key.bytes, parts[2], parts[3], parts[4]);
  }
  if (parts[0] === BEFORE_KEY_IDS && parts.length === 4) {
    for (const key of keys()) {
      try {
        return open(key.bytes, parts[1], parts[2], parts[3]);
      } catch {
        // Not this key: the tag did not match.
      }
    }
    throw new Error('Stored secret cannot be decrypted with any key in ENCRYPTION_KEYS');
  }
  throw new Error('Stored secret has an unknown format');
}

function open(key: Buffer, iv: string, tag: string, ciphertext: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
}
