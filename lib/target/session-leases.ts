import { randomUUID } from 'node:crypto';
import type { Redis } from '@upstash/redis';
import type { TargetOptions } from './open-target.js';
import { log } from '../log/logger.js';

/**
 * Leases on sessions to one reviewed database, shared by every running consumer of the stage through Redis:
 * a sorted set per database whose members are leases and whose scores are their expiry times. A consumer
 * holds a lease for as long as its session is open and renews it while it lives; a consumer that dies (a
 * killed or timed-out Lambda) stops renewing, and its leases lapse after LEASE_TTL_MS.
 *
 * Places are handed out in turn. A request refused for want of a free place joins the database's waiters (a
 * sorted set by arrival, and one by last poll): a place that frees up goes to the longest waiter, and a request
 * is granted only while no earlier waiter is still waiting for the free places. A consumer reuses its sessions
 * without asking Redis again, so it learns that others wait from the grant of a lease and from each renewal,
 * which answer how many requests of other consumers wait; it then gives its sessions back (TargetPool), and its
 * next review queues behind theirs.
 */
const LEASE_TTL_MS = 30_000;
// Renewals also tell a consumer that others wait for a database it holds sessions to: their first review waits
// about this long before the holder hears of it. One request a consumer, all its databases pipelined together.
const RENEW_EVERY_MS = 2_000;
// A freed place stays empty until the waiter it is kept for polls again, so the waiters nearest the front poll
// most often: the first every 100 ms, the second every 200 ms ..., none less often than every MAX_POLL_MS.
const POLL_STEP_MS = 100;
const MAX_POLL_MS = 500;
// A waiter silent for this long has stopped waiting (its consumer died) and must not keep a freed place from the
// waiters behind it.
const WAITER_TTL_MS = 3_000;
// While others wait a session still serves this long before it is given back: a new session costs a backend's
// start-up and the place's idle time until the next waiter polls, far more than a short review.
const TURN_MS = 1_000;

// The clock is Redis's own, so consumers whose clocks disagree still agree on what has expired.
const NOW_MS = `
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)`;

// Sets `others`: requests of other consumers (ids not starting with `prefix`) that polled within the waiters' TTL.
const countOthersWaiting = (polls: string, ttl: string, prefix: string) => `
local others = 0
for _, waiter in ipairs(redis.call('ZRANGEBYSCORE', ${polls}, '(' .. (nowMs - tonumber(${ttl})), '+inf')) do
  if string.sub(waiter, 1, #${prefix}) ~= ${prefix} then others = others + 1 end
end`;

// KEYS: leases, waiters by arrival, waiters by last poll. ARGV: cap, lease TTL, request id, waiter TTL, the
// consumer's id prefix. Returns {1, requests of other consumers waiting} for a grant, {0, waiters ahead} for a
// refusal (the request stays in line). Expired leases and silent waiters are dropped first, atomically.
const ACQUIRE = `${NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', nowMs)
for _, waiter in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', nowMs - tonumber(ARGV[4]))) do
  redis.call('ZREM', KEYS[2], waiter)
  redis.call('ZREM', KEYS[3], waiter)
end
local free = tonumber(ARGV[1]) - redis.call('ZCARD', KEYS[1])
local ahead = redis.call('ZRANK', KEYS[2], ARGV[3])
if not ahead then ahead = redis.call('ZCARD', KEYS[2]) end
if ahead < free then
  redis.call('ZREM', KEYS[2], ARGV[3])
  redis.call('ZREM', KEYS[3], ARGV[3])
  redis.call('ZADD', KEYS[1], nowMs + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ${countOthersWaiting('KEYS[3]', 'ARGV[4]', 'ARGV[5]')}
  return {1, others}
end
redis.call('ZADD', KEYS[2], 'NX', nowMs, ARGV[3])
redis.call('ZADD', KEYS[3], nowMs, ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
return {0, ahead}`;

// KEYS: leases, waiters by last poll. ARGV: lease TTL, waiter TTL, the consumer's id prefix, lease ids.
// Pushes the expiry of leases still held; one that already lapsed is not brought back (XX). Returns {leases
// renewed, requests of other consumers waiting}.
const RENEW = `${NOW_MS}
local renewed = 0
for i = 4, #ARGV do
  renewed = renewed + redis.call('ZADD', KEYS[1], 'XX', 'CH', nowMs + tonumber(ARGV[1]), ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
${countOthersWaiting('KEYS[2]', 'ARGV[2]', 'ARGV[3]')}
return {renewed, others}`;

/** The only scripts pg-reviewer runs in Redis: the local REST endpoint refuses any other. */
export const SESSION_LEASE_SCRIPTS = [ACQUIRE, RENEW];

export interface SessionLease {
  /** Other consumers wait for a session to this database and this one has served its turn: give it back. */
  turnIsOver(): boolean;
  /**
   * `giveBack` runs when a renewal finds other consumers waiting for this database (TargetPool closes the session
   * if it is idle); `undefined` stops it.
   */
  whenOthersWait(giveBack: (() => void) | undefined): void;
  release(): Promise<void>;
}

export class SessionCapReached extends Error {
  constructor(target: string, cap: number, waitedMs: number) {
    super(
      `${cap} pg-reviewer session${cap === 1 ? ' is' : 's are'} already open to ${target} ` +
        '(TARGET_SESSIONS_PER_DATABASE, across all consumers); ' +
        `the review waited ${Math.round(waitedMs / 1000)} s for one to close`,
    );
  }
}

/** The database a session goes to, whichever connection row names it. */
export const sessionTarget = (options: Pick<TargetOptions, 'host' | 'port' | 'database'>): string =>
  `${options.host.toLowerCase()}:${options.port}/${options.database}`;

const NO_LEASE: SessionLease = { turnIsOver: () => false, whenOthersWait: () => {}, release: async () => {} };

interface HeldTarget {
  /** Lease ids held, each with what to do when others start waiting. */
  leases: Map<string, (() => void) | undefined>;
  /** Requests of other consumers waiting for the database, as Redis last said, less the places given back since. */
  othersWaiting: number;
}

export class SessionLeases {
  readonly #redis: Redis;
  readonly #keyPrefix: string;
  readonly #cap: number;
  /** Prefixes this consumer's lease and request ids, so that it never gives way to its own waiting reviews. */
  readonly #consumer = `${randomUUID()}/`;
  #requests = 0;
  readonly #held = new Map<string, HeldTarget>();
  #renewal: NodeJS.Timeout | undefined;

  constructor(redis: Redis, options: { keyPrefix: string; cap: number }) {
    this.#redis = redis;
    this.#keyPrefix = options.keyPrefix;
    this.#cap = options.cap;
  }

  /**
   * A lease on one session to the target, waiting in line for one to be released until `deadline` (epoch ms);
   * `waitingSince`, when the review began waiting (for its own consumer's sessions first), is for the message.
   * When Redis cannot be reached the session is opened without a lease (logged): each consumer still keeps
   * to the cap on its own, and reviews go on while Redis is down, as the queue's recovery expects.
   */
  async acquire(target: string, deadline: number, waitingSince = Date.now()): Promise<SessionLease> {
    const id = `${this.#consumer}${++this.#requests}`;
    const keys = this.#keys(target);
    for (;;) {
      let granted: boolean, count: number;
      try {
        const reply = (await this.#redis.eval(
          ACQUIRE,
          [keys.leases, keys.waiters, keys.polls],
          [this.#cap, LEASE_TTL_MS, id, WAITER_TTL_MS, this.#consumer],
        )) as [number, number];
        [granted, count] = [reply[0] === 1, Number(reply[1])];
      } catch (error) {
        log.warn(
          'opening a session without a lease: Redis cannot be reached, so only this consumer’s own limit applies',
          { target, error: (error as Error).message },
        );
        return NO_LEASE;
      }
      if (granted) return this.#hold(target, id, count);
      const pause = Math.min(POLL_STEP_MS * (count + 1), MAX_POLL_MS);
      if (Date.now() + pause > deadline) {
        // Out of line at once, rather than keep a freed place from the waiters behind until WAITER_TTL_MS.
        await this.#redis
          .pipeline()
          .zrem(keys.waiters, id)
          .zrem(keys.polls, id)
          .exec()
          .catch(() => {});
        throw new SessionCapReached(target, this.#cap, Date.now() - waitingSince);
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  #hold(target: string, id: string, othersWaiting: number): SessionLease {
    const held = this.#held.get(target) ?? { leases: new Map(), othersWaiting };
    held.othersWaiting = othersWaiting;
    held.leases.set(id, undefined);
    this.#held.set(target, held);
    this.#renewal ??= setInterval(() => void this.#renewAll(), RENEW_EVERY_MS).unref();
    const grantedAt = Date.now();
    let released = false;
    return {
      turnIsOver: () => held.othersWaiting > 0 && Date.now() - grantedAt >= TURN_MS,
      whenOthersWait: (giveBack) => {
        if (!released) held.leases.set(id, giveBack);
      },
      release: async () => {
        if (released) return;
        released = true;
        held.leases.delete(id);
        // The place goes to the longest waiter: one fewer for the other sessions to give back.
        held.othersWaiting = Math.max(held.othersWaiting - 1, 0);
        if (held.leases.size === 0 && this.#held.get(target) === held) this.#held.delete(target);
        if (this.#held.size === 0) {
          clearInterval(this.#renewal);
          this.#renewal = undefined;
        }
        // A release that does not reach Redis lapses on its own after LEASE_TTL_MS.
        await this.#redis.zrem(this.#keys(target).leases, id).catch(() => {});
      },
    };
  }

  // One request for every database this consumer holds sessions to: the renewals go as one pipeline.
  async #renewAll(): Promise<void> {
    const renewals = [...this.#held].map(([target, held]) => ({ target, held, ids: [...held.leases.keys()] }));
    const pipeline = this.#redis.pipeline();
    for (const { target, ids } of renewals) {
      const keys = this.#keys(target);
      pipeline.eval(RENEW, [keys.leases, keys.polls], [LEASE_TTL_MS, WAITER_TTL_MS, this.#consumer, ...ids]);
    }
    let replies: Array<[number, number]>;
    try {
      replies = await pipeline.exec<Array<[number, number]>>();
    } catch (error) {
      log.warn('session leases could not be renewed', {
        targets: renewals.map((r) => r.target),
        error: (error as Error).message,
      });
      return;
    }
    renewals.forEach(({ target, held, ids }, i) => {
      const [renewed, othersWaiting] = replies[i].map(Number);
      // Leases released while the renewal was on its way were not renewed, and rightly so.
      const lapsed = ids.filter((id) => held.leases.has(id)).length - renewed;
      if (lapsed > 0)
        log.warn(
          'some session leases lapsed before they were renewed; the cap may be exceeded until those sessions close',
          { target, lapsed },
        );
      held.othersWaiting = othersWaiting;
      // Idle sessions go back at once, as many as others wait for (each release counts one off).
      const idle = [...held.leases.values()].filter((giveBack) => giveBack !== undefined);
      for (const giveBack of idle.slice(0, othersWaiting)) giveBack();
    });
  }

  #keys(target: string) {
    return {
      leases: `${this.#keyPrefix}:sessions:${target}`,
      waiters: `${this.#keyPrefix}:session-waiters:${target}`,
      polls: `${this.#keyPrefix}:session-polls:${target}`,
    };
  }
}
