import { afterEach, describe, expect, it, vi } from 'vitest';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  vi.resetModules();
});

async function freshEnv(vars: Record<string, string>) {
  vi.resetModules();
  process.env = { ...saved, ...vars };
  for (const name of [
    'DATABASE_URL',
    'UPSTASH_REDIS_REST_URL',
    'UPSTASH_REDIS_REST_TOKEN',
    'ENCRYPTION_KEY',
    'ENCRYPTION_KEYS',
    'IS_OFFLINE',
    'AWS_LAMBDA_RUNTIME_API',
  ]) {
    if (!(name in vars)) delete process.env[name];
  }
  return (await import('../../lib/env.js')).env;
}

describe('configuration', () => {
  it('refuses a RUNNING_GRACE_SECONDS below the time an outcome write needs, saying so', async () => {
    const env = await freshEnv({ RUNNING_GRACE_SECONDS: '29' });
    expect(() => env()).toThrow(
      'RUNNING_GRACE_SECONDS: RUNNING_GRACE_SECONDS must be at least 30: the grace has to leave room to record ' +
        "a finished review's outcome",
    );
    expect((await freshEnv({ RUNNING_GRACE_SECONDS: '30' }))().RUNNING_GRACE_SECONDS).toBe(30);
  });

  it('bounds stored results by configurable byte limits', async () => {
    const env = await freshEnv({ RESULT_VALUE_MAX_BYTES: '2048', RESULT_MAX_BYTES: '100000' });
    expect(env()).toMatchObject({ RESULT_VALUE_MAX_BYTES: 2048, RESULT_MAX_BYTES: 100000 });
    await expect(freshEnv({ RESULT_MAX_BYTES: String(64 * 1024 * 1024) }).then((e) => e())).rejects.toThrow(
      /RESULT_MAX_BYTES/,
    );
  });

  it('works with nothing set on a developer machine', async () => {
    const env = await freshEnv({});
    expect(env().DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/reviewer');
  });

  it('treats the empty strings serverless.yml passes for unset variables as unset', async () => {
    const env = await freshEnv({ DATABASE_URL: '', CONSUMER_CONCURRENCY: '' });
    expect(env().CONSUMER_CONCURRENCY).toBe(16);
  });

  it('refuses to run inside AWS Lambda on the developer defaults, naming what to set', async () => {
    const env = await freshEnv({ AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001', DATABASE_URL: 'postgres://db/reviewer' });
    expect(() => env()).toThrow(
      'UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN, ENCRYPTION_KEYS must be set on a deployed stage',
    );
  });

  it('accepts the developer defaults under serverless-offline', async () => {
    const env = await freshEnv({ IS_OFFLINE: 'true' });
    expect(env().UPSTASH_REDIS_REST_URL).toBe('http://127.0.0.1:8079');
  });

  it('refuses an encryption key that is not 32 bytes', async () => {
    const env = await freshEnv({ ENCRYPTION_KEY: Buffer.from('short').toString('base64') });
    expect(() => env()).toThrow('ENCRYPTION_KEY must be 32 bytes, base64-encoded');
  });

  const deployed = {
    AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001',
    DATABASE_URL: 'postgres://db/reviewer',
    UPSTASH_REDIS_REST_URL: 'https://x.upstash.io',
    UPSTASH_REDIS_REST_TOKEN: 't',
  };

  it('refuses the published development key inside AWS Lambda, even when set explicitly', async () => {
    const env = await freshEnv({
      ...deployed,
      ENCRYPTION_KEYS: `${Buffer.alloc(32, 1).toString('base64')},cGctcmV2aWV3ZXItbG9jYWwtZGV2LWtleS0zMi1ieXQ=`,
    });
    expect(() => env()).toThrow('ENCRYPTION_KEYS holds the published development key');
  });

  it('takes several keys, newest first, and refuses a list with a key of the wrong length', async () => {
    const keys = [Buffer.alloc(32, 1).toString('base64'), Buffer.alloc(32, 2).toString('base64')];
    expect((await freshEnv({ ...deployed, ENCRYPTION_KEYS: keys.join(', ') }))().ENCRYPTION_KEYS).toEqual(keys);
    vi.resetModules();
    const bad = await freshEnv({ ENCRYPTION_KEYS: `${keys[0]},c2hvcnQ=` });
    expect(() => bad()).toThrow('ENCRYPTION_KEYS must hold 32-byte keys, base64-encoded');
  });
});
