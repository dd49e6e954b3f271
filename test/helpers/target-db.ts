import postgres from 'postgres';
import { randomBytes } from 'node:crypto';
import type { TargetOptions } from '../../lib/analyses/target-connection.js';

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
