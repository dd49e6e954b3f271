import type { ConnectionRow } from '../../db/schema/index.js';
import { openTarget, type TargetOptions } from './open-target.js';
import { env } from '../env.js';
import { log } from '../log/logger.js';
import { getRedis } from '../queue/redis.js';
import { SessionLeases, sessionTarget, type SessionLease } from './session-leases.js';

type TargetSql = ReturnType<typeof openTarget>;

interface Session {
  sql: TargetSql;
  target: string;
  lease: SessionLease | undefined;
  idleTimer?: NodeJS.Timeout;
}

// An idle session gives back its place under the cap after this long, as openTarget's idle_timeout ends its backend;
// sooner when other consumers wait for it (see #review).
const IDLE_SESSION_MS = 5_000;

export interface SessionLimit {
  /** Reviews of one database at a time, so one session each. */
  perDatabase: number;
  /**
   * The longest a review waits for one; past it, it opens a session over the limit rather than let
   * its execution (already claimed, its deadline running) be taken for lost.
   */
  maxWaitMs: number;
  /** The same limit across every running consumer: a session is opened only with a lease (session-leases.ts). */
  leases?: SessionLeases;
}

/** The consumer's limit: a review waits at most half the running grace, so its deadline still holds. */
export const configuredSessionLimit = (): SessionLimit => ({
  perDatabase: env().TARGET_SESSIONS_PER_DATABASE,
  maxWaitMs: (env().RUNNING_GRACE_SECONDS * 1000) / 2,
  leases: new SessionLeases(getRedis(), { keyPrefix: env().QUEUE_NAME, cap: env().TARGET_SESSIONS_PER_DATABASE }),
});

/**
 * Target connections kept open for the length of one consumer invocation, so a drain of many
 * executions against the same database pays the connection start-up (a new server backend, the
 * largest single cost of a small review) once per worker rather than once per execution.
 *
 * A connection is lent to one execution at a time and comes back only after a review that
 * finished; any failure closes it (a timed-out review must end its backend to cancel the
 * statement). Connections are keyed by everything they were opened with: the connection row as
 * last updated (a changed host or password opens a new one) and the task's query_timeout, which is
 * the session's statement_timeout. Read-only, the timeouts and application_name are openTarget's own.
 * However many workers the consumer runs, one database sees at most `perDatabase` reviews at once; with
 * `leases`, at most `perDatabase` sessions across all running consumers, each held from open to close, and
 * handed over in turn while other consumers wait for them.
 */
export class TargetPool {
  readonly #idle = new Map<string, Session[]>();
  readonly #limit: SessionLimit;
  readonly #inUse = new Map<number, number>();
  readonly #waiting = new Map<number, Array<() => void>>();

  constructor(limit: SessionLimit) {
    this.#limit = limit;
  }

  async use<T>(connection: ConnectionRow, options: TargetOptions, review: (sql: TargetSql) => Promise<T>): Promise<T> {
    const since = Date.now();
    await this.#acquire(connection.id);
    try {
      return await this.#review(connection, options, review, since);
    } finally {
      this.#release(connection.id);
    }
  }

  async close(): Promise<void> {
    const all = [...this.#idle.values()].flat();
    this.#idle.clear();
    await Promise.all(all.map((session) => this.#end(session)));
  }

  async #review<T>(
    connection: ConnectionRow,
    options: TargetOptions,
    review: (sql: TargetSql) => Promise<T>,
    waitingSince: number,
  ): Promise<T> {
    const key = `${connection.id}/${connection.updatedAt.getTime()}/${options.statementTimeoutSeconds}`;
    const session = this.#idle.get(key)?.pop() ?? (await this.#open(options, waitingSince));
    clearTimeout(session.idleTimer);
    session.lease?.whenOthersWait(undefined);
    let result: T;
    try {
      result = await review(session.sql);
    } catch (error) {
      await this.#end(session);
      throw error;
    }
    // Other consumers wait for this database: after its turn the session's place goes to them, and this
    // consumer's next review of it queues behind theirs (session-leases.ts).
    if (session.lease?.turnIsOver()) {
      await this.#end(session);
      return result;
    }
    const idle = this.#idle.get(key) ?? [];
    idle.push(session);
    this.#idle.set(key, idle);
    const giveBack = () => {
      if (idle.includes(session)) idle.splice(idle.indexOf(session), 1);
      void this.#end(session);
    };
    session.idleTimer = setTimeout(giveBack, IDLE_SESSION_MS).unref();
    // Idle, it holds a place other consumers may be waiting for: it goes as soon as a renewal says they are.
    session.lease?.whenOthersWait(giveBack);
    return result;
  }

  /** `waitingSince`: when the review began waiting for a session (epoch ms); it waits at most `maxWaitMs` from then. */
  async #open(options: TargetOptions, waitingSince: number): Promise<Session> {
    const target = sessionTarget(options);
    if (!this.#limit.leases) return { sql: openTarget(options), target, lease: undefined };
    // Sessions this consumer keeps idle for another connection row or timeout to the same database hold
    // places under the cap: they give them up rather than have this review wait for them.
    for (const idle of this.#idle.values()) {
      for (const session of idle.filter((s) => s.target === target)) {
        idle.splice(idle.indexOf(session), 1);
        await this.#end(session);
      }
    }
    const lease = await this.#limit.leases.acquire(target, waitingSince + this.#limit.maxWaitMs, waitingSince);
    return { sql: openTarget(options), target, lease };
  }

  async #end(session: Session): Promise<void> {
    clearTimeout(session.idleTimer);
    session.lease?.whenOthersWait(undefined);
    await session.sql.end({ timeout: 0 });
    await session.lease?.release();
  }

  async #acquire(database: number): Promise<void> {
    const inUse = this.#inUse.get(database) ?? 0;
    if (inUse < this.#limit.perDatabase) {
      this.#inUse.set(database, inUse + 1);
      return;
    }
    await new Promise<void>((resolve) => {
      const queue = this.#waiting.get(database) ?? [];
      // A finishing review hands its place straight to the next one (see #release).
      const handOver = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        queue.splice(queue.indexOf(handOver), 1);
        this.#inUse.set(database, (this.#inUse.get(database) ?? 0) + 1);
        log.warn('opening a session over the per-database limit: a review waited too long for one', {
          connectionId: database,
          limit: this.#limit.perDatabase,
        });
        resolve();
      }, this.#limit.maxWaitMs);
      queue.push(handOver);
      this.#waiting.set(database, queue);
    });
  }

  #release(database: number): void {
    const next = this.#waiting.get(database)?.shift();
    if (next) next();
    else this.#inUse.set(database, (this.#inUse.get(database) ?? 1) - 1);
  }
}
