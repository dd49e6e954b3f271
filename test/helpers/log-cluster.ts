import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import postgres from 'postgres';

const BIN = '/usr/lib/postgresql/15/bin';
const isRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL binary as the postgres user when we are root (initdb and postgres refuse root). */
function asPostgres(command: string, args: string[], options: ExecFileSyncOptions = {}): string {
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  return String(execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...options }));
}

export interface LogCluster {
  port: number;
  dataDir: string;
  prefix: string;
  admin(database?: string): postgres.Sql;
  /** The text of the log file of each format written so far. */
  logText(format: 'stderr' | 'csvlog' | 'jsonlog'): string;
  logPath(format: 'stderr' | 'csvlog' | 'jsonlog'): string;
  stop(): void;
}

/**
 * A throw-away PostgreSQL 15 cluster of our own, for tests that need server settings the shared
 * target cluster must not get: it writes stderr, csvlog and jsonlog at once (each to one file),
 * with the settings given. Started on `port`; stop() stops it and removes its data.
 */
export function startLogCluster(port: number, settings: Record<string, string | number>, hba: string[]): LogCluster {
  const dataDir = `/tmp/pg-reviewer-logs-${port}`;
  const prefix = '%m [%p] %q%u@%d ';
  try {
    asPostgres(`${BIN}/pg_ctl`, ['-D', dataDir, '-m', 'immediate', 'stop']);
  } catch {
    // not running
  }
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  if (isRoot) execFileSync('chown', ['postgres:postgres', dataDir]);
  asPostgres(`${BIN}/initdb`, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  const all: Record<string, string | number> = {
    port,
    listen_addresses: "'127.0.0.1'",
    unix_socket_directories: `'${dataDir}'`,
    logging_collector: 'on',
    log_destination: "'stderr,csvlog,jsonlog'",
    log_directory: "'log'",
    log_filename: "'postgresql.log'",
    log_rotation_size: 0,
    log_line_prefix: `'${prefix}'`,
    lc_messages: "'C'",
    ...settings,
  };
  writeFileSync(
    `${dataDir}/postgresql.auto.conf`,
    Object.entries(all)
      .map(([k, v]) => `${k} = ${v}`)
      .join('\n') + '\n',
  );
  writeFileSync(`${dataDir}/pg_hba.conf`, hba.join('\n') + '\n');
  if (isRoot) execFileSync('chown', ['-R', 'postgres:postgres', dataDir]);
  asPostgres(`${BIN}/pg_ctl`, ['-D', dataDir, '-l', `${dataDir}/startup.log`, '-w', '-t', '60', 'start']);

  const file = { stderr: 'postgresql.log', csvlog: 'postgresql.csv', jsonlog: 'postgresql.json' } as const;
  return {
    port,
    dataDir,
    prefix,
    admin: (database = 'postgres') =>
      postgres({ host: '127.0.0.1', port, username: 'postgres', database, max: 4, onnotice: () => {} }),
    logPath: (format) => `${dataDir}/log/${file[format]}`,
    logText: (format) => readFileSync(`${dataDir}/log/${file[format]}`, 'utf8'),
    stop: () => {
      if (existsSync(dataDir)) {
        try {
          asPostgres(`${BIN}/pg_ctl`, ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      }
    },
  };
}

/** Runs pgbench (shipped with the server) against the cluster; returns its output. */
export function pgbench(cluster: LogCluster, args: string[]): string {
  return asPostgres(`${BIN}/pgbench`, ['-h', '127.0.0.1', '-p', String(cluster.port), '-U', 'postgres', ...args], {
    cwd: '/tmp',
  });
}

/** pgBadger on a log file, as JSON; installed through apt-get when missing (CI runs as root). */
export function pgbadgerJson(
  logFile: string,
  format: 'stderr' | 'csv' | 'jsonlog',
  prefix: string,
): Record<string, unknown> {
  ensurePgbadger();
  const out = `${logFile}.pgbadger.json`;
  const args = [
    '-f',
    format,
    ...(format === 'stderr' ? ['--prefix', prefix] : []),
    '-o',
    out,
    '--quiet',
    '-j',
    '1',
    logFile,
  ];
  execFileSync('pgbadger', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
}

function ensurePgbadger(): void {
  try {
    execFileSync('pgbadger', ['--version'], { stdio: 'ignore' });
    return;
  } catch {
    // missing: install it
  }
  const hasLists =
    existsSync('/var/lib/apt/lists') && readdirSync('/var/lib/apt/lists').some((f) => f.endsWith('_Packages'));
  if (!hasLists) execFileSync('apt-get', ['update'], { stdio: 'ignore' });
  execFileSync('apt-get', ['install', '-y', 'pgbadger'], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}
