import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { env } from '../lib/env.js';
import * as schema from './schema/index.js';

export type Db = PostgresJsDatabase<typeof schema>;
/** A database handle or an open transaction: every query function in db/queries accepts either. */
export type DbOrTx = Db | Parameters<Parameters<Db['transaction']>[0]>[0];

interface ServiceDatabase {
  client: postgres.Sql;
  db: Db;
}

let service: ServiceDatabase | undefined;
let drain: ServiceDatabase | undefined;

export function getDb(): Db {
  service ??= openServiceDatabase(env().DATABASE_URL);
  return service.db;
}

/**
 * The consumer's drain: its claims and outcomes find executions by primary key whatever their values, so
 * they are planned once per connection instead of at every call, as are the statements of the triggers
 * they fire. A claim of one or two executions spent as long in the planner as in execution. Two
 * connections: one claim batch and one outcome batch are in flight at a time.
 */
export function getDrainDb(): Db {
  drain ??= openServiceDatabase(env().DATABASE_URL, { plans: 'generic', max: 2 });
  return drain.db;
}

export async function closeDb(): Promise<void> {
  const open = [service, drain].filter((d) => d !== undefined);
  service = undefined;
  drain = undefined;
  await Promise.all(open.map((d) => d.client.end({ timeout: 5 })));
}

export interface ServiceDatabaseOptions {
  /**
   * `custom` (the default): prepared once per connection, but planned for each call's own values, since a
   * generic plan cannot use the partial indexes whose predicate a parameter decides (status <> 'completed').
   * `generic`: planned once per connection, for statements whose plan no value changes.
   */
  plans?: 'custom' | 'generic';
  max?: number;
}

// One small pool per Lambda container: a few connections are plenty for one request at a time,
// and idle ones are closed so frozen containers do not hold server slots.
export function openServiceDatabase(url: string, options: ServiceDatabaseOptions = {}): ServiceDatabase {
  const prepare = preparesStatements(url);
  const sql = postgres(url, {
    max: options.max ?? 5,
    idle_timeout: 20,
    connect_timeout: 10,
    onnotice: () => {},
    connection: {
      application_name: 'pg-reviewer-service',
      ...(prepare ? { plan_cache_mode: `force_${options.plans ?? 'custom'}_plan` } : {}),
    },
  });
  return { client: sql, db: drizzle(withPreparedStatements(sql, prepare), { schema }) };
}

/**
 * `?prepare=false` in DATABASE_URL (postgres.js reads it too) is for transaction-mode poolers such as PgBouncer
 * before 1.21.
 */
function preparesStatements(url: string): boolean {
  const value = new URL(url).searchParams.get('prepare');
  return value !== 'false' && value !== 'disable';
}

/**
 * Drizzle runs every statement through `unsafe()`, which postgres.js does not prepare unless told
 * to, and an unprepared statement with parameters costs two round trips (Parse and Describe, wait
 * for the parameter types, then Bind and Execute). Prepared, it costs one from its second use on a
 * connection. Transactions get a fresh postgres.js handle, so `begin` and `savepoint` pass theirs
 * through the same wrapper.
 */
function withPreparedStatements(sql: postgres.Sql, prepare: boolean): postgres.Sql {
  const target = sql as unknown as Record<string, (...args: unknown[]) => unknown>;
  const wrapped: Record<string, unknown> = {
    unsafe: (
      text: string,
      parameters: postgres.ParameterOrJSON<never>[] = [],
      options: postgres.UnsafeQueryOptions = {},
    ) => sql.unsafe(text, parameters, { ...options, prepare: prepare && parameters.length > 0 }),
  };
  for (const name of ['begin', 'savepoint']) {
    wrapped[name] = (...args: unknown[]) => {
      const work = args.pop() as (inner: postgres.Sql) => unknown;
      return target[name](...args, (inner: postgres.Sql) => work(withPreparedStatements(inner, prepare)));
    };
  }
  return new Proxy(sql, {
    get: (object, property, receiver) =>
      typeof property === 'string' && Object.hasOwn(wrapped, property)
        ? wrapped[property]
        : Reflect.get(object, property, receiver),
  });
}
