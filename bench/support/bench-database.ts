import { randomBytes } from 'node:crypto';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { sql } from 'drizzle-orm';

const adminUrl = process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const migrationsFolder = new URL('../../db/migrations', import.meta.url).pathname;

// Databases of this process not yet dropped: an interrupted benchmark (Ctrl-C) drops them on its way out.
const undropped = new Set<string>();

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * A database of the benchmark's own (`pgr_bench_<label>_<random>`), created from scratch and, unless
 * told otherwise, migrated the way scripts/migrate.ts does it. Never the service's `reviewer` database.
 */
export async function createBenchDatabase(label: string, options: { migrated?: boolean } = {}): Promise<BenchDatabase> {
  const name = `pgr_bench_${label}_${randomBytes(3).toString('hex')}`;
  await withAdmin((admin) => admin.unsafe(`create database "${name}"`));
  undropped.add(name);
  dropOnInterrupt();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;

  if (options.migrated ?? true) {
    const client = postgres(url.toString(), { max: 1, onnotice: () => {} });
    try {
      await migrate(drizzle(client), { migrationsFolder });
    } finally {
      await client.end();
    }
  }
  return {
    name,
    url: url.toString(),
    drop: () => dropDatabase(name),
  };
}

async function dropDatabase(name: string): Promise<void> {
  await withAdmin((admin) => admin.unsafe(`drop database if exists "${name}" with (force)`));
  undropped.delete(name);
}

let interruptHandled = false;
function dropOnInterrupt(): void {
  if (interruptHandled) return;
  interruptHandled = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void Promise.allSettled([...undropped].map(dropDatabase)).finally(() => process.exit(130));
    });
  }
}

async function withAdmin<T>(work: (admin: postgres.Sql) => Promise<T>): Promise<T> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/** `count` connections to made-up hosts (never reached: the benchmarks that seed them run no review). */
export const insertFleetConnections = (count: number) => sql`
  insert into connections (name, host, port, database, username, sslmode)
  select 'db-' || g, 'db' || g || '.internal', 5432, 'app', 'reviewer', 'require' from generate_series(1, ${count}::int) g`;
