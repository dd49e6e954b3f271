import { createCipheriv, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  vi.resetModules();
});

const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');

/** The crypto module as a process configured with these settings sees it. */
async function withSettings(vars: Record<string, string>) {
  process.env = { ...saved, ...vars };
  for (const name of ['ENCRYPTION_KEYS', 'ENCRYPTION_KEY', 'AWS_LAMBDA_RUNTIME_API'])
    if (!(name in vars)) delete process.env[name];
  return import('../../lib/crypto/secret-box.js');
}

/** An envelope as stored before key ids: `v1.<iv>.<tag>.<ciphertext>`. */
function versionOneEnvelope(key: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(key, 'base64'), iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), ciphertext]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

describe('connection password encryption with several keys', () => {
  it(
    'seals with the first key and names it in the envelope, and a later list with a newer key first still ' +
      'opens it',
    async () => {
      const before = await withSettings({ ENCRYPTION_KEYS: keyA });
      const envelope = before.encryptSecret('s3cret');
      expect(envelope.split('.').slice(0, 2)).toEqual(['v2', before.keyId(Buffer.from(keyA, 'base64'))]);
      expect(envelope).not.toContain('s3cret');
      vi.resetModules();

      const rotated = await withSettings({ ENCRYPTION_KEYS: `${keyB}, ${keyA}` });
      expect(rotated.decryptSecret(envelope)).toBe('s3cret');
      expect(rotated.envelopeKeyId(rotated.encryptSecret('s3cret'))).toBe(rotated.keyId(Buffer.from(keyB, 'base64')));
    },
  );

  it('says which key is missing when an envelope was sealed with a key no longer configured', async () => {
    const before = await withSettings({ ENCRYPTION_KEYS: keyA });
    const envelope = before.encryptSecret('s3cret');
    vi.resetModules();
    const after = await withSettings({ ENCRYPTION_KEYS: keyB });
    expect(() => after.decryptSecret(envelope)).toThrow(
      `Stored secret was encrypted with key ${after.keyId(Buffer.from(keyA, 'base64'))}, which is not in ` +
        'ENCRYPTION_KEYS',
    );
  });

  it('opens envelopes from before key ids with whichever configured key sealed them', async () => {
    const box = await withSettings({ ENCRYPTION_KEYS: `${keyB},${keyA}` });
    expect(box.decryptSecret(versionOneEnvelope(keyA, 'old one'))).toBe('old one');
    expect(box.envelopeKeyId(versionOneEnvelope(keyA, 'old one'))).toBeNull();
    expect(() => box.decryptSecret(versionOneEnvelope(randomBytes(32).toString('base64'), 'x'))).toThrow(
      'cannot be decrypted with any key in ENCRYPTION_KEYS',
    );
  });

  it('still accepts the single ENCRYPTION_KEY setting', async () => {
    const box = await withSettings({ ENCRYPTION_KEY: keyA });
    expect(box.newestKeyId()).toBe(box.keyId(Buffer.from(keyA, 'base64')));
  });
});
