import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis, ReplyError, type RedisOptions } from 'ioredis';
import { SESSION_LEASE_SCRIPTS } from '../../lib/target/session-leases.js';

/**
 * A local stand-in for Upstash's REST API (like upstash/serverless-redis-http), speaking what
 * @upstash/redis 1.39 sends: `POST /` with one command, `POST /pipeline` (also used by the client's
 * auto-pipelining), `POST /multi-exec`, and the path form `POST /lpush/key/value`.
 *
 * It accepts only the commands pg-reviewer sends, bodies up to 1 MB and no blocking command, and
 * compares the token in constant time: every local run and test goes through it, so it should be
 * no easier to abuse than the service it stands in for.
 */
export interface RedisRestServerOptions {
  port: number;
  host?: string;
  token: string;
  redisUrl?: string;
}

export interface RedisRestServer {
  url: string;
  close(): Promise<void>;
}

type Arg = string | number | boolean;
type Entry = { result: unknown } | { error: string };

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

// Commands must fail at once while Redis is down (the caller gets a 503 instead of a hanging request),
// yet the connection keeps reconnecting so the endpoint recovers by itself when Redis comes back.
const redisOptions: RedisOptions = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  connectTimeout: 1_000,
  // Capped at 500 ms so a restarted Redis is picked up within half a second.
  retryStrategy: (attempt) => Math.min(attempt * 50, 500),
};

// Transactions each borrow a connection of their own, so nothing another request sends can land
// between MULTI and EXEC; a few idle ones are kept to avoid a TCP handshake per transaction.
const IDLE_TRANSACTION_CONNECTIONS = 4;

// What the application sends (the queue in lib/queue/execution-queue.ts, the outcome stash, the session
// leases), and DEL, with which test and benchmark set-ups empty their keys. Anything else (CONFIG, FLUSHALL,
// KEYS ...) is refused before it reaches Redis, and EVAL runs only the application's own scripts.
const ALLOWED_COMMANDS = new Set([
  'lpush',
  'rpush',
  'lrem',
  'lmove',
  'llen',
  'lrange',
  'hset',
  'hmget',
  'hkeys',
  'hdel',
  'expire',
  'zrem',
  'eval',
  'del',
]);
const ALLOWED_SCRIPTS = new Set(SESSION_LEASE_SCRIPTS);

// A blocking command holds the shared connection, so every request after it would wait behind it.
const BLOCKING_COMMANDS = new Set([
  'blpop',
  'brpop',
  'brpoplpush',
  'blmove',
  'blmpop',
  'bzpopmin',
  'bzpopmax',
  'bzmpop',
  'xread',
  'xreadgroup',
  'wait',
  'waitaof',
]);

// Upstash caps a request at 1 MB on its free plan; a 300 MB body once grew this process to ~1 GB.
export const MAX_BODY_BYTES = 1024 * 1024;

export async function startRedisRestServer({
  port,
  host = '127.0.0.1',
  token,
  redisUrl = 'redis://127.0.0.1:6379',
}: RedisRestServerOptions): Promise<RedisRestServer> {
  // Failures surface per request as 503s; without a listener ioredis would also print every retry.
  const redis = new Redis(redisUrl, redisOptions).on('error', () => {});
  await redis.connect().catch(() => {}); // Redis may be down at start: answer 503s until it is up
  const idle: Redis[] = [];

  async function acquire(): Promise<Redis> {
    const ready = idle.pop();
    if (ready?.status === 'ready') return ready;
    ready?.disconnect();
    const conn = new Redis(redisUrl, { ...redisOptions, retryStrategy: () => null }).on('error', () => {});
    await conn.connect();
    return conn;
  }

  function release(conn: Redis): void {
    if (conn.status === 'ready' && idle.length < IDLE_TRANSACTION_CONNECTIONS) idle.push(conn);
    else conn.disconnect();
  }

  function send(conn: Redis, [name, ...args]: string[]): Promise<unknown> {
    return conn.callBuffer(name, ...args);
  }

  async function pipeline(commands: string[][]): Promise<Entry[]> {
    const settled = await Promise.allSettled(commands.map((command) => send(redis, command)));
    // Only Redis's own refusals belong to one entry; a lost connection fails the whole request (503).
    const lost = settled.find((s) => s.status === 'rejected' && !isReplyError(s.reason));
    if (lost?.status === 'rejected') throw lost.reason;
    return settled.map((s) => (s.status === 'fulfilled' ? { result: s.value } : { error: replyError(s.reason) }));
  }

  async function multiExec(commands: string[][]): Promise<Entry[]> {
    const conn = await acquire();
    try {
      await send(conn, ['MULTI']);
      // A command Redis refuses to queue (unknown, wrong arity) makes EXEC abort the whole transaction.
      const queued = await Promise.allSettled(commands.map((command) => send(conn, command)));
      const results = (await send(conn, ['EXEC']).catch((error: unknown) => {
        // Name the refused command: "EXECABORT ... previous errors" alone does not say which one.
        const refused = queued.find((q) => q.status === 'rejected');
        if (!isReplyError(error) || !refused) throw error;
        throw new ReplyError(`${error.message.replace(/\.$/, '')}: ${replyError(refused.reason)}`);
      })) as unknown[];
      return results.map((r) => (isReplyError(r) ? { error: r.message } : { result: r }));
    } finally {
      release(conn);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') throw new HttpError(405, 'Method not allowed, use POST');
    if (!sameToken(req.headers.authorization ?? '', `Bearer ${token}`)) throw new HttpError(401, 'Unauthorized');
    const base64 = req.headers['upstash-encoding']?.toString().toLowerCase() === 'base64';
    const encode = (value: unknown) => encodeResult(value, base64);
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const body = await readBody(req);

    if (path === '/pipeline' || path === '/multi-exec') {
      const commands = parseBatch(body);
      const entries = path === '/pipeline' ? await pipeline(commands) : await multiExec(commands);
      return reply(
        res,
        200,
        entries.map((e) => ('result' in e ? { result: encode(e.result) } : e)),
      );
    }
    const command = path === '/' ? parseCommand(parseJson(body)) : parsePathCommand(path, body);
    return reply(res, 200, { result: encode(await send(redis, command)) });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // The rest of an oversized body is not read: the answer closes the connection.
      if (error instanceof HttpError && error.status === 413) res.setHeader('connection', 'close');
      if (error instanceof HttpError) reply(res, error.status, { error: error.message });
      else if (isReplyError(error)) reply(res, 400, { error: error.message });
      else reply(res, 503, { error: `Redis unavailable: ${error instanceof Error ? error.message : String(error)}` });
    });
  });
  await new Promise<void>((done, fail) => server.once('error', fail).listen(port, host, done)).catch((error) => {
    redis.disconnect();
    throw error;
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;

  return {
    url: `http://${host}:${boundPort}`,
    async close() {
      // Node 20 closes idle keep-alive sockets here and waits for requests still in flight.
      await new Promise<void>((done) => server.close(() => done()));
      await Promise.all([redis, ...idle.splice(0)].map(closeConnection));
    },
  };
}

async function closeConnection(conn: Redis): Promise<void> {
  if (conn.status === 'ready') await conn.quit().catch(() => conn.disconnect());
  else conn.disconnect();
}

// Redis's own error replies (ERR, WRONGTYPE, EXECABORT ...), as opposed to connection failures.
function isReplyError(error: unknown): error is Error {
  return error instanceof ReplyError;
}

function replyError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Buffers become UTF-8 or base64 strings, recursively; integers and nil pass through as numbers and null. */
function encodeResult(value: unknown, base64: boolean): unknown {
  if (Buffer.isBuffer(value)) return value.toString(base64 ? 'base64' : 'utf8');
  if (Array.isArray(value)) return value.map((v) => encodeResult(v, base64));
  if (value instanceof Error) return value.message;
  return value ?? null;
}

/** Both sides hashed first: timingSafeEqual needs equal lengths, and the hash hides the token's length too. */
function sameToken(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function readBody(req: IncomingMessage): Promise<string> {
  const tooLarge = () => new HttpError(413, `Request body is larger than ${MAX_BODY_BYTES} bytes`);
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.pause();
        fail(tooLarge());
      } else chunks.push(chunk);
    });
    req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new HttpError(400, `Invalid JSON body: ${replyError(error)}`);
  }
}

function parseCommand(value: unknown): string[] {
  const isArg = (a: unknown): a is Arg => ['string', 'number', 'boolean'].includes(typeof a);
  if (!Array.isArray(value) || value.length === 0 || typeof value[0] !== 'string' || !value.every(isArg)) {
    throw new HttpError(400, 'A command is a non-empty JSON array of strings, numbers or booleans');
  }
  const name = value[0].toLowerCase();
  if (BLOCKING_COMMANDS.has(name))
    throw new HttpError(400, `ERR blocking command '${value[0]}' is not supported by this endpoint`);
  if (!ALLOWED_COMMANDS.has(name)) {
    throw new HttpError(
      400,
      `ERR command '${value[0]}' is not supported by this endpoint; it accepts ${[...ALLOWED_COMMANDS].join(', ')}`,
    );
  }
  if (name === 'eval' && !ALLOWED_SCRIPTS.has(String(value[1]))) {
    throw new HttpError(400, 'ERR this endpoint runs only the scripts pg-reviewer sends');
  }
  return value.map(String);
}

function parseBatch(body: string): string[][] {
  const value = parseJson(body);
  if (!Array.isArray(value) || value.length === 0) {
    throw new HttpError(400, 'A pipeline is a non-empty JSON array of commands');
  }
  return value.map(parseCommand);
}

// Upstash's path form: `/set/key` with the value as a raw body, or every argument in the path.
function parsePathCommand(path: string, body: string): string[] {
  let segments: string[];
  try {
    segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw new HttpError(400, `Invalid percent-encoding in path: ${path}`);
  }
  return parseCommand(body.length > 0 ? [...segments, body] : segments);
}

function reply(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const server = await startRedisRestServer({
    port: Number(process.env.REDIS_REST_PORT ?? 8079),
    token: process.env.UPSTASH_REDIS_REST_TOKEN ?? 'local-dev-token',
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  });
  console.log(`Upstash-compatible Redis REST endpoint listening on ${server.url}`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void server.close().then(() => process.exit(0)));
  }
}
