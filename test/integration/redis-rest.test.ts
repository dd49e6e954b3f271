import { randomBytes } from 'node:crypto';
import { Redis, type RedisConfigNodejs } from '@upstash/redis';
import { Redis as IORedis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, startRedisRestServer, type RedisRestServer } from '../../scripts/redis-rest/server.js';
import { PrivateRedis } from '../helpers/private-redis.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const TOKEN = 'redis-rest-test-token';

let server: RedisRestServer;
let direct: IORedis;
const keys: string[] = [];

function key(name: string): string {
  const k = `test:redis-rest:${name}:${randomBytes(6).toString('hex')}`;
  keys.push(k);
  return k;
}

function client(options: Omit<RedisConfigNodejs, 'url' | 'token'> = {}): Redis {
  return new Redis({ url: server.url, token: TOKEN, enableTelemetry: false, ...options });
}

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

beforeAll(async () => {
  server = await startRedisRestServer({ port: 0, token: TOKEN, redisUrl: REDIS_URL });
  direct = new IORedis(REDIS_URL);
});

afterEach(async () => {
  if (keys.length > 0) await direct.del(...keys.splice(0));
});

afterAll(async () => {
  await server?.close();
  direct?.disconnect();
});

describe('the Upstash-compatible REST endpoint', () => {
  it('round-trips list commands through the real @upstash/redis client', async () => {
    const redis = client();
    const source = key('source');
    const target = key('target');

    expect(await redis.rpush(source, 'b', 'c')).toBe(2);
    expect(await redis.lpush(source, 'a')).toBe(3);
    expect(await redis.llen(source)).toBe(3);
    expect(await redis.lrange(source, 0, -1)).toEqual(['a', 'b', 'c']);
    expect(await redis.lmove(source, target, 'left', 'right')).toBe('a');
    expect(await redis.lrange(target, 0, -1)).toEqual(['a']);
    expect(await redis.lrem(source, 0, 'c')).toBe(1);
    expect(await redis.lrange(source, 0, -1)).toEqual(['b']);
    expect(await redis.lmove(key('empty'), target, 'left', 'right')).toBeNull();
  });

  it('answers concurrent calls that the client auto-pipelines, each with its own result', async () => {
    const redis = client();
    const list = key('auto');

    const pushed = await Promise.all(Array.from({ length: 20 }, (_, i) => redis.rpush(list, `item-${i}`)));

    expect([...pushed].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const [length, items] = await Promise.all([redis.llen(list), redis.lrange(list, 0, -1)]);
    expect(length).toBe(20);
    expect(new Set(items)).toEqual(new Set(Array.from({ length: 20 }, (_, i) => `item-${i}`)));
  });

  it('runs an explicit pipeline and returns results in command order', async () => {
    const redis = client();
    const list = key('pipeline');

    const results = await redis.pipeline().rpush(list, 'x', 'y').lpush(list, 'w').llen(list).lrange(list, 0, -1).exec();

    expect(results).toEqual([2, 3, 3, ['w', 'x', 'y']]);
  });

  it('runs a multi() transaction atomically and returns every result', async () => {
    const redis = client();
    const counter = key('counter');
    const list = key('multi');

    const results = await redis
      .multi()
      .rpush(counter, 'a', 'b')
      .lrem(counter, 0, 'a')
      .rpush(list, 'one')
      .lrange(list, 0, -1)
      .exec();

    expect(results).toEqual([2, 1, 1, ['one']]);
  });

  it('keeps concurrent transactions from interleaving with each other', async () => {
    const redis = client();
    const list = key('interleave');

    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        redis.multi().rpush(list, `${i}-a`).rpush(list, `${i}-b`).rpush(list, `${i}-c`).exec(),
      ),
    );

    const items = await redis.lrange<string>(list, 0, -1);
    expect(items).toHaveLength(30);
    for (let at = 0; at < items.length; at += 3) {
      const transaction = items[at].split('-')[0];
      expect(items.slice(at, at + 3)).toEqual([`${transaction}-a`, `${transaction}-b`, `${transaction}-c`]);
    }
  });

  it('round-trips non-ASCII and control-character strings with base64 response encoding', async () => {
    const redis = client({ automaticDeserialization: false });
    const k = key('unicode');
    const value = 'héllo wörld — 日本語 🚀 \u0000\u0001\u007f\u00ff tab\tnewline\n';

    await redis.rpush(k, value);

    expect(await redis.lrange(k, 0, -1)).toEqual([value]);
    expect(await direct.lindexBuffer(k, 0)).toEqual(Buffer.from(value, 'utf8'));
    const listKey = key('unicode-list');
    await redis.rpush(listKey, value, 'plain');
    expect(await redis.lrange(listKey, 0, -1)).toEqual([value, 'plain']);
  });

  it('returns the raw bytes of a binary value as base64, nested arrays included', async () => {
    const k = key('binary');
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0x0a]);
    await direct.rpush(k, bytes, 'ok');

    const single = await post('/', ['lrange', k, 0, 0], { 'upstash-encoding': 'base64' });
    const batch = await post(
      '/pipeline',
      [
        ['lrange', k, 0, -1],
        ['llen', k],
        ['lmove', key('missing'), key('target'), 'left', 'right'],
      ],
      {
        'upstash-encoding': 'base64',
      },
    );

    expect(await single.json()).toEqual({ result: [bytes.toString('base64')] });
    expect(await batch.json()).toEqual([
      { result: [bytes.toString('base64'), Buffer.from('ok').toString('base64')] },
      { result: 2 },
      { result: null },
    ]);
  });

  it('answers in plain UTF-8 when the client turns response encoding off', async () => {
    const redis = client({ responseEncoding: false, automaticDeserialization: false });
    const k = key('plain');

    await redis.rpush(k, 'ünïcødé', '42');

    expect(await redis.lrange(k, 0, -1)).toEqual(['ünïcødé', '42']);
    expect(await (await post('/', ['lrange', k, 0, -1])).json()).toEqual({ result: ['ünïcødé', '42'] });
  });

  it('stringifies number and boolean arguments before sending them to Redis', async () => {
    const k = key('args');

    expect(await (await post('/', ['rpush', k, 1, 2.5, true])).json()).toEqual({ result: 3 });
    expect(await direct.lrange(k, 0, -1)).toEqual(['1', '2.5', 'true']);
  });

  it('deserializes JSON-looking strings only when automatic deserialization is on', async () => {
    const k = key('number');
    await client().rpush(k, '123');

    expect(await client().lrange(k, 0, -1)).toEqual([123]);
    expect(await client({ automaticDeserialization: false }).lrange(k, 0, -1)).toEqual(['123']);
  });

  it('rejects a wrong or missing token with 401 Unauthorized', async () => {
    const wrong = new Redis({ url: server.url, token: 'not-the-token', enableTelemetry: false });

    await expect(wrong.llen(key('unauthorized'))).rejects.toThrow(/Unauthorized/);
    const missing = await fetch(`${server.url}/`, { method: 'POST', body: JSON.stringify(['llen', 'k']) });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ error: 'Unauthorized' });
  });

  it('compares the token in constant time, refusing one of the same length and one that only shares a prefix', async () => {
    const sameLength = 'x'.repeat(TOKEN.length);
    for (const token of [sameLength, `${TOKEN}x`, TOKEN.slice(0, -1), '']) {
      const response = await fetch(`${server.url}/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify(['llen', 'k']),
      });
      expect(response.status).toBe(401);
    }
  });

  it('fails only the command Redis refuses, in auto-pipelined calls and explicit pipelines alike', async () => {
    const redis = client();
    const list = key('wrongtype');
    const text = key('string');
    await redis.rpush(list, 'a');
    await direct.set(text, 'not a list');

    const [pushed, wrong, length] = await Promise.allSettled([
      redis.rpush(list, 'b'),
      redis.rpush(text, 'x'),
      redis.llen(list),
    ]);

    expect(pushed).toEqual({ status: 'fulfilled', value: 2 });
    expect(wrong.status).toBe('rejected');
    expect((wrong as PromiseRejectedResult).reason.message).toMatch(/WRONGTYPE/);
    expect(length).toEqual({ status: 'fulfilled', value: 2 });
    const results = await redis.pipeline().llen(list).llen(text).llen(list).exec({ keepErrors: true });
    expect(results.map((r) => r.error ?? r.result)).toEqual([2, expect.stringMatching(/WRONGTYPE/), 2]);
  });

  it('answers a single refused command with 400 and the Redis error message', async () => {
    const response = await post('/', ['llen']);

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.stringMatching(/^ERR wrong number of arguments/) });
  });

  it('aborts a whole transaction when Redis refuses to queue one of its commands', async () => {
    const list = key('aborted');

    const response = await post('/multi-exec', [['rpush', list, 'a'], ['llen']]);

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.stringMatching(/^EXECABORT .*wrong number of arguments/) });
    expect(await direct.exists(list)).toBe(0);
  });

  it('refuses commands that would change the state of its shared connection, and keeps serving', async () => {
    for (const command of [['subscribe', 'channel'], ['select', '1'], ['multi']]) {
      const response = await post('/pipeline', [command]);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: expect.stringMatching(/not supported/) });
    }

    expect(await (await post('/', ['llen', key('still-here')])).json()).toEqual({ result: 0 });
  });

  it('refuses every command the application does not send, before it reaches Redis', async () => {
    const k = key('refused');
    // Only commands that would do no harm if the refusal ever broke: the machine's Redis is shared.
    const foreignScript = ['eval', "return redis.call('set', KEYS[1], 'v')", '1', k];
    for (const command of [
      ['set', k, 'v'],
      ['config', 'get', 'maxmemory'],
      foreignScript,
      ['keys', `${k}*`],
      ['ping'],
    ]) {
      const single = await post('/', command);
      expect(single.status).toBe(400);
      expect(await single.json()).toEqual({
        error:
          command === foreignScript
            ? 'ERR this endpoint runs only the scripts pg-reviewer sends'
            : `ERR command '${command[0]}' is not supported by this endpoint; it accepts ` +
              'lpush, rpush, lrem, lmove, llen, lrange, hset, hmget, hkeys, hdel, expire, zrem, eval, del',
      });
      expect((await post('/pipeline', [['llen', k], command])).status).toBe(400);
      expect((await post('/multi-exec', [command])).status).toBe(400);
    }
    expect(await direct.exists(k)).toBe(0);
  });

  it('refuses blocking commands, so a later request is answered at once', async () => {
    const k = key('blocking');
    for (const command of [
      ['blpop', k, '0'],
      ['brpop', k, '0'],
      ['blmove', k, key('to'), 'left', 'right', '0'],
      ['brpoplpush', k, key('to'), '0'],
      ['bzpopmin', k, '0'],
    ]) {
      const response = await post('/pipeline', [command]);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        error: `ERR blocking command '${command[0]}' is not supported by this endpoint`,
      });
    }
    const started = performance.now();
    expect(await (await post('/', ['llen', k])).json()).toEqual({ result: 0 });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('answers a body over 1 MB with 413 without keeping it, and still takes one just under', async () => {
    const k = key('large');
    const under = 'u'.repeat(MAX_BODY_BYTES - 100);

    expect(await (await post('/', ['rpush', k, under])).json()).toEqual({ result: 1 });
    const over = await post('/', ['rpush', k, 'o'.repeat(MAX_BODY_BYTES)]);
    expect(over.status).toBe(413);
    expect(await over.json()).toEqual({ error: `Request body is larger than ${MAX_BODY_BYTES} bytes` });
    const overPipeline = await post('/pipeline', [
      ['rpush', k, 'o'.repeat(MAX_BODY_BYTES / 2)],
      ['rpush', k, 'o'.repeat(MAX_BODY_BYTES / 2)],
    ]);
    expect(overPipeline.status).toBe(413);
    expect(await direct.llen(k)).toBe(1);
  });

  it('answers a malformed JSON body with 400', async () => {
    const response = await post('/pipeline', '[["llen", "k"]');

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.stringMatching(/^Invalid JSON body/) });
  });

  it('accepts the command in the path form', async () => {
    const k = key('path');

    expect(await (await post(`/rpush/${encodeURIComponent(k)}/a%20b`, '')).json()).toEqual({ result: 1 });
    expect(await (await post(`/lrange/${encodeURIComponent(k)}/0/-1`, '')).json()).toEqual({ result: ['a b'] });
  });
});

describe('the REST endpoint when Redis is unreachable', () => {
  it('answers 503 within two seconds when nothing listens on the Redis port', async () => {
    const unreachable = await startRedisRestServer({ port: 0, token: TOKEN, redisUrl: 'redis://127.0.0.1:6390' });
    try {
      const redis = new Redis({ url: unreachable.url, token: TOKEN, enableTelemetry: false });
      const startedAt = Date.now();

      const response = await fetch(`${unreachable.url}/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(['llen', 'any']),
      });

      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ error: expect.stringMatching(/^Redis unavailable: /) });
      await expect(redis.llen('any')).rejects.toThrow(/Redis unavailable/);
      await expect(redis.multi().llen('any').exec()).rejects.toThrow(/Redis unavailable/);
      expect(Date.now() - startedAt).toBeLessThan(2_000);
    } finally {
      await unreachable.close();
    }
  });

  // A private, throwaway redis-server: the machine's Redis is shared and must never be stopped.
  it('recovers by itself when Redis comes back, without a restart', async () => {
    const redis = await PrivateRedis.start();
    const endpoint = await startRedisRestServer({ port: 0, token: TOKEN, redisUrl: redis.url });
    const ping = () =>
      fetch(`${endpoint.url}/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(['llen', 'any']),
      });
    try {
      expect((await ping()).status).toBe(200);

      await redis.stop();
      expect((await ping()).status).toBe(503);

      await redis.resume();
      const deadline = Date.now() + 5_000;
      let status = 0;
      while (Date.now() < deadline && status !== 200) {
        status = (await ping()).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);
    } finally {
      await endpoint.close();
      await redis.stop();
    }
  });
});
