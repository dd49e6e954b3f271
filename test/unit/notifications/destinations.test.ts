import { afterEach, describe, expect, it, vi } from 'vitest';
import { retryDelaySeconds } from '../../../lib/notifications/backoff.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  vi.resetModules();
});

/** The guard as configured by these variables (each import reads the configuration afresh). */
async function guard(vars: Record<string, string>) {
  process.env = {
    ...saved,
    DATABASE_URL: 'postgres://db/reviewer',
    UPSTASH_REDIS_REST_URL: 'https://upstash.example.com',
    UPSTASH_REDIS_REST_TOKEN: 't',
    ENCRYPTION_KEY: Buffer.alloc(32).toString('base64'),
    ...vars,
  };
  for (const name of ['AWS_LAMBDA_RUNTIME_API', 'NOTIFICATION_ALLOWED_NETWORKS'])
    if (!(name in vars)) delete process.env[name];
  return import('../../../lib/notifications/destination-guard.js');
}

describe('channel destinations', () => {
  it('on a deployed stage refuse metadata, loopback, private and link-local addresses by default', async () => {
    const { refusalFor } = await guard({ AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001' });
    for (const address of [
      '169.254.169.254',
      '127.0.0.1',
      '10.0.0.5',
      '172.31.255.1',
      '192.168.1.1',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fd00:ec2::254',
      'fe80::1',
      '::ffff:169.254.169.254',
    ]) {
      expect(refusalFor(address, 'https:'), address).not.toBeNull();
    }
    expect(refusalFor('169.254.169.254', 'http:')).toContain('link-local (cloud metadata)');
    expect(refusalFor('93.184.215.14', 'https:')).toBeNull();
    expect(refusalFor('2606:2800:21f:cb07:6820:80da:af6b:8b2c', 'https:')).toBeNull();
  });

  it('refuse plain http to a public address', async () => {
    const { refusalFor } = await guard({ AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001' });
    expect(refusalFor('93.184.215.14', 'http:')).toBe('a channel URL on a public address must use https');
  });

  it('allow loopback on a developer machine, and exactly the networks the setting lists', async () => {
    expect((await guard({})).refusalFor('127.0.0.1', 'http:')).toBeNull();
    expect((await guard({})).refusalFor('10.0.0.5', 'http:')).not.toBeNull();
    vi.resetModules();
    const listed = await guard({
      AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001',
      NOTIFICATION_ALLOWED_NETWORKS: '10.20.0.0/16, 192.168.1.7',
    });
    expect(listed.refusalFor('10.20.3.4', 'http:')).toBeNull();
    expect(listed.refusalFor('192.168.1.7', 'http:')).toBeNull();
    expect(listed.refusalFor('192.168.1.8', 'http:')).not.toBeNull();
    expect(listed.refusalFor('169.254.169.254', 'http:')).not.toBeNull();
  });

  it('allow nothing private with `none`, on a developer machine too', async () => {
    expect((await guard({ NOTIFICATION_ALLOWED_NETWORKS: 'none' })).refusalFor('127.0.0.1', 'http:')).toContain(
      'loopback',
    );
  });
});

describe('retries', () => {
  it('wait longer after each failure, at most an hour, and twelve attempts span hours', () => {
    expect([1, 2, 3, 4].map(retryDelaySeconds)).toEqual([30, 60, 120, 240]);
    expect(retryDelaySeconds(20)).toBe(3600);
    const total = Array.from({ length: 11 }, (_, i) => retryDelaySeconds(i + 1)).reduce((a, b) => a + b, 0);
    expect(total / 3600).toBeGreaterThan(4);
    expect(total / 3600).toBeLessThan(6);
  });
});
