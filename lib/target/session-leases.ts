import { randomUUID } from 'node:crypto';
import type { Redis } from '@upstash/redis';
import type { TargetOptions } from './open-target.js';
import { log } from '../log/logger.js';

/**
 * Leases on sessions to one reviewed database, shared by every running consumer of the stage through Redis:
 * a sorted set per database whose members are leases and whose scores are their expiry times. A consumer
 * holds a lease for as long as its session is open and renews it while it lives; a consumer that dies (a
 * killed or timed-out Lambda) stops renewing, and its leases lapse after LEASE_TTL_MS.
 */
const LEASE_TTL_MS = 30_000;
const RENEW_EVERY_MS = 10_000;

// Expired leases are dropped and a new one is granted only below the cap, atomically; the clock is Redis's
// own, so consumers whose clocks disagree still agree on what has expired.
const ACQUIRE = `
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', nowMs)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], nowMs + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

// Pushes the expiry of leases still held; one that already lapsed is not brought back (XX).
const RENEW = `
local now = redis.call('TIME')
local expiry = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + tonumber(ARGV[1])
local renewed = 0
for i = 2, #ARGV do renewed = renewed + redis.call('ZADD', KEYS[1], 'XX', 'CH', expiry, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return renewed`;

/** The only scripts pg-reviewer runs in Redis: the local REST endpoint refuses any other. */
export const SESSION_LEASE_SCRIPTS = [ACQUIRE, RENEW];

export interface SessionLease {
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

export class SessionLeases {
  readonly #redis: Redis;
  readonly #keyPrefix: string;
  readonly #cap: number;
  /** Leases held by this consumer, by target. */
  readonly #held = new Map<string, Set<string>>();
  #renewal: NodeJS.Timeout | undefined;

  constructor(redis: Redis, options: { keyPrefix: string; cap: number }) {
    this.#redis = redis;
    this.#keyPrefix = options.keyPrefix;
    this.#cap = options.cap;
  }

  /**
   * A lease on one session to the target, waiting for one to be released until `deadline` (epoch ms).
   * When Redis cannot be reached the session is opened without a lease (logged): each consumer still keeps
   * to the cap on its own, and reviews go on while Redis is down, as the queue's recovery expects.
   */
  async acquire(target: string, deadline: number): Promise<SessionLease> {
    const started = Date.now();
    const id = randomUUID();
    for (let pause = 25; ; pause = Math.min(pause * 2, 500)) {
      let granted: boolean;
      try {
        granted = (await this.#redis.eval(ACQUIRE, [this.#key(target)], [this.#cap, LEASE_TTL_MS, id])) === 1;
      } catch (error) {
        log.warn(
          'opening a session without a lease: Redis cannot be reached, so only this consumer’s own limit applies',
          { target, error: (error as Error).message },
        );
        return { release: async () => {} };
      }
      if (granted) return this.#hold(target, id);
      if (Date.now() + pause > deadline) throw new SessionCapReached(target, this.#cap, Date.now() - started);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  #hold(target: string, id: string): SessionLease {
    const held = this.#held.get(target) ?? new Set<string>();
    held.add(id);
    this.#held.set(target, held);
    this.#renewal ??= setInterval(() => void this.#renewAll(), RENEW_EVERY_MS).unref();
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        held.delete(id);
        if (held.size === 0) this.#held.delete(target);
        if (this.#held.size === 0) {
          clearInterval(this.#renewal);
          this.#renewal = undefined;
        }
        // A release that does not reach Redis lapses on its own after LEASE_TTL_MS.
        await this.#redis.zrem(this.#key(target), id).catch(() => {});
      },
    };
  }

  async #renewAll(): Promise<void> {
    for (const [target, ids] of this.#held) {
      try {
        const renewed = Number(await this.#redis.eval(RENEW, [this.#key(target)], [LEASE_TTL_MS, ...ids]));
        if (renewed < ids.size)
          log.warn(
            'some session leases lapsed before they were renewed; the cap may be exceeded until those sessions close',
            { target, lapsed: ids.size - renewed },
          );
      } catch (error) {
        log.warn('session leases could not be renewed', { target, error: (error as Error).message });
      }
    }
  }

  #key(target: string): string {
    return `${this.#keyPrefix}:sessions:${target}`;
  }
}
