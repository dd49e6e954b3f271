import type { ConnectionRow } from '../../db/schema/index.js';
import { openTarget, type TargetOptions } from '../analyses/target-connection.js';

type TargetSql = ReturnType<typeof openTarget>;

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
 */
export class TargetConnections {
  readonly #idle = new Map<string, TargetSql[]>();

  async use<T>(connection: ConnectionRow, options: TargetOptions, review: (sql: TargetSql) => Promise<T>): Promise<T> {
    const key = `${connection.id}/${connection.updatedAt.getTime()}/${options.statementTimeoutSeconds}`;
    const sql = this.#idle.get(key)?.pop() ?? openTarget(options);
    let result: T;
    try {
      result = await review(sql);
    } catch (error) {
      await sql.end({ timeout: 0 });
      throw error;
    }
    const idle = this.#idle.get(key) ?? [];
    idle.push(sql);
    this.#idle.set(key, idle);
    return result;
  }

  async close(): Promise<void> {
    const all = [...this.#idle.values()].flat();
    this.#idle.clear();
    await Promise.all(all.map((sql) => sql.end({ timeout: 0 })));
  }
}
