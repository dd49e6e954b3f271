import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { env } from '../lib/env.js';
import * as schema from './schema/index.js';

export type Db = PostgresJsDatabase<typeof schema>;
/** A database handle or an open transaction: every query function in db/queries accepts either. */
export type DbOrTx = Db | Parameters<Parameters<Db['transaction']>[0]>[0];

let client: postgres.Sql | undefined;
let db: Db | undefined;

// One small pool per Lambda container: a few connections are plenty for one request at a time,
// and idle ones are closed so frozen containers do not hold server slots.
export function getDb(): Db {
  if (!db) {
    client = postgres(env().DATABASE_URL, {
      max: 5,
      idle_timeout: 20,
      connect_timeout: 10,
      onnotice: () => {},
      connection: { application_name: 'pg-reviewer-service' },
    });
    db = drizzle(client, { schema });
  }
  return db;
}

export async function closeDb(): Promise<void> {
  const open = client;
  client = undefined;
  db = undefined;
  await open?.end({ timeout: 5 });
}
