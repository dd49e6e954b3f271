import postgres from 'postgres';
import { randomBytes } from 'node:crypto';
import type { TargetOptions } from '../../lib/target/open-target.js';

/** The dedicated cluster started by scripts/target-cluster.sh (pg_stat_statements, logging collector). */
export const targetPort = Number(process.env.TARGET_PG_PORT ?? 5433);

export function targetAdmin(database = 'postgres'): postgres.Sql {
  return postgres({ host: '127.0.0.1', port: targetPort, username: 'postgres', database, max: 2, onnotice: () => {} });
}

export interface TargetDatabase {
  name: string;
  /** Superuser connection to this database, for planting problems. */
  admin: postgres.Sql;
  options(overrides?: Partial<TargetOptions>): TargetOptions;
  drop(): Promise<void>;
}

/** A fresh, empty database on the target cluster; each test plants its own problems in it. */
export async function createTargetDatabase(prefix = 'target'): Promise<TargetDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const root = targetAdmin();
  await root.unsafe(`create database "${name}"`);
  await root.end();
  const admin = targetAdmin(name);
  return {
    name,
    admin,
    options: (overrides = {}) => ({
      host: '127.0.0.1',
      port: targetPort,
      database: name,
      username: 'postgres',
      password: null,
      sslmode: 'disable',
      statementTimeoutSeconds: 30,
      ...overrides,
    }),
    drop: async () => {
      await admin.end({ timeout: 1 });
      const r = targetAdmin();
      await r.unsafe(`drop database if exists "${name}" with (force)`);
      await r.end();
    },
  };
}

/** The logging collector writes asynchronously: wait until a marker logged last is in the file. */
export async function waitForLog(admin: postgres.Sql, marker: string): Promise<void> {
  // A DO block takes no parameters; the marker is a database name plus a suffix, [a-z0-9_-] only.
  if (!/^[a-z0-9_-]+$/.test(marker)) throw new Error(`a log marker is [a-z0-9_-] only: ${marker}`);
  await admin.unsafe(`do $$ begin raise log 'pg-reviewer test marker ${marker}'; end $$`);
  for (let attempt = 0; attempt < 50; attempt++) {
    const [newest] = await admin<
      { name: string; size: string }[]
    >`select name, size from pg_ls_logdir() where name like '%.log' order by modification desc limit 1`;
    const size = Number(newest.size);
    const [row] = await admin<{ tail: Buffer }[]>`
      select pg_read_binary_file('log/' || ${newest.name}::text, ${Math.max(0, size - 4_000_000)}::bigint, 4000000) as tail`;
    if (row.tail.includes(`pg-reviewer test marker ${marker}`)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`marker ${marker} never reached the server log`);
}
