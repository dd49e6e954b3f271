import type postgres from 'postgres';
import { NotAssessableError, type ManagedProvider } from '../types.js';
import { managedProviders } from '../config/managed-services.js';
import { chooseFormat, type LogFormat } from './log-format.js';
import { quoteIdent } from '../format.js';

export interface LogSettings {
  format: LogFormat;
  logDirectory: string;
  logLinePrefix: string;
  lcMessages: string | null;
  serverEncoding: string | null;
  maxWalSizeMb: number | null;
  logMinDurationStatementMs: number | null;
  /** pg_read_file: the faster path (text, no hex), refused by the server for invalid byte sequences. */
  canReadText: boolean;
  /** pg_read_binary_file: reads any bytes; used alone when it is the only grant, else as a fallback. */
  canReadBinary: boolean;
}

const SETTINGS = [
  'logging_collector',
  'log_destination',
  'log_directory',
  'log_line_prefix',
  'lc_messages',
  'server_encoding',
  'max_wal_size',
  'log_min_duration_statement',
];

/**
 * The settings and privileges reading the log depends on. Throws NotAssessableError naming the
 * exact setting or grant when the log cannot be read, so the DBA sees the fix, not an error.
 * log_directory is visible only to superusers and pg_read_all_settings (part of pg_monitor);
 * pg_ls_logdir needs pg_monitor; pg_read_file needs an explicit EXECUTE grant.
 */
export async function readLogSettings(
  sql: postgres.Sql,
  role: string,
  provider: ManagedProvider | null = null,
): Promise<LogSettings> {
  const rows = await sql<
    { name: string; setting: string }[]
  >`select name, setting from pg_settings where name in ${sql(SETTINGS)}`;
  const setting = new Map(rows.map((r) => [r.name, r.setting]));
  const [privileges] = await sql<{ can_list: boolean; can_read_text: boolean; can_read_binary: boolean }[]>`
    select has_function_privilege('pg_ls_logdir()', 'execute') as can_list,
           has_function_privilege('pg_read_file(text, bigint, bigint)', 'execute') as can_read_text,
           has_function_privilege('pg_read_binary_file(text, bigint, bigint)', 'execute') as can_read_binary`;

  const grants: string[] = [];
  const logDirectory = setting.get('log_directory');
  if (!privileges.can_list || logDirectory === undefined) grants.push(`GRANT pg_monitor TO ${quoteIdent(role)};`);
  if (!privileges.can_read_text && !privileges.can_read_binary)
    grants.push(`GRANT EXECUTE ON FUNCTION pg_read_file(text, bigint, bigint) TO ${quoteIdent(role)};`);
  if ((grants.length > 0 || logDirectory === undefined) && provider) {
    // Managed services keep pg_read_file for their own superuser: no grant the customer can give helps.
    const { name, logs } = managedProviders[provider];
    throw new NotAssessableError(`${name} does not let a role read the server log over SQL`, `To review it: ${logs}.`);
  }
  if (setting.get('logging_collector') !== 'on') {
    throw new NotAssessableError(
      'logging_collector is off: the server does not write log files that can be read over SQL',
      'ALTER SYSTEM SET logging_collector = on; -- takes effect after a server restart',
    );
  }
  const destination = setting.get('log_destination') ?? '';
  const format = chooseFormat(destination);
  if (!format) {
    throw new NotAssessableError(
      `log_destination = '${destination}' writes no log file (only stderr, csvlog and jsonlog go to log_directory)`,
      "ALTER SYSTEM SET log_destination = 'stderr'; SELECT pg_reload_conf();",
    );
  }

  if (grants.length > 0 || logDirectory === undefined) {
    throw new NotAssessableError(
      'The reviewing role may not list or read the server log (pg_ls_logdir needs pg_monitor, log_directory ' +
        'needs pg_read_all_settings, pg_read_file needs EXECUTE)',
      grants.join(' '),
    );
  }

  const number = (name: string) => (setting.has(name) ? Number(setting.get(name)) : null);
  const minDuration = number('log_min_duration_statement');
  return {
    format,
    logDirectory,
    logLinePrefix: setting.get('log_line_prefix') ?? '',
    lcMessages: setting.get('lc_messages') ?? null,
    serverEncoding: setting.get('server_encoding') ?? null,
    maxWalSizeMb: number('max_wal_size'),
    logMinDurationStatementMs: minDuration !== null && minDuration >= 0 ? minDuration : null,
    canReadText: privileges.can_read_text,
    canReadBinary: privileges.can_read_binary,
  };
}
