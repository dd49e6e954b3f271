import type postgres from 'postgres';
import { NotAssessableError, type ServerFacts } from './types.js';

/**
 * Managed services are told apart by settings only they define (custom placeholders elsewhere are
 * NULL through current_setting(name, true)) and Aurora by its own function.
 */
const providerColumn = `case
      when current_setting('rds.extensions', true) is not null then
        case when to_regproc('aurora_version') is not null then 'aws_aurora' else 'aws_rds' end
      when current_setting('cloudsql.iam_authentication', true) is not null then 'gcp_cloudsql'
      when current_setting('azure.extensions', true) is not null then 'azure'
    end as provider`;

/**
 * The reviewed server's facts, as select-list items (custom_sql reads them in the statement that
 * sets its transaction's settings). Functions and GUCs only, no catalog views: every review pays
 * for this, and pg_stat_database or pg_roles would cost more than a trivial review itself.
 */
export const serverFactsColumns = `
    version() as version,
    current_setting('server_version_num')::int as version_num,
    current_user as current_user,
    current_database() as database,
    pg_postmaster_start_time() as started_at,
    extract(epoch from now() - pg_postmaster_start_time())::bigint as uptime_seconds,
    pg_stat_get_db_stat_reset_time((select oid from pg_database where datname = current_database())) as stats_reset,
    current_setting('is_superuser')::bool as is_superuser,
    pg_is_in_recovery() as in_recovery,
    ${providerColumn}`;

export async function readServerFacts(sql: postgres.Sql): Promise<ServerFacts> {
  const [row] = await sql.unsafe(`select ${serverFactsColumns}`);
  return serverFactsFrom(row);
}

export function serverFactsFrom(row: postgres.Row): ServerFacts {
  return {
    version: row.version,
    version_num: row.version_num,
    current_user: row.current_user,
    database: row.database,
    started_at: row.started_at ? new Date(row.started_at).toISOString() : null,
    uptime_seconds: row.uptime_seconds === null ? null : Number(row.uptime_seconds),
    stats_reset: row.stats_reset ? new Date(row.stats_reset).toISOString() : null,
    is_superuser: row.is_superuser === true,
    in_recovery: row.in_recovery === true,
    provider: row.provider ?? null,
  };
}

/** The one reason every primary-only check gives on a standby, so the review lists them as one entry. */
export const STANDBY_REASON =
  'This server is a standby (in recovery): the verdict rests on what only the primary records (vacuum, ' +
  "analyze, dead rows, index use by the primary's queries, checkpoints), so it belongs to the primary's " +
  'review';

/**
 * For checks whose verdict only holds on a primary: on a standby every table looks never vacuumed
 * and an index unused by the standby's own queries may serve the primary's.
 */
export function requirePrimary(server: ServerFacts): void {
  if (server.in_recovery) throw new NotAssessableError(STANDBY_REASON, 'Schedule the same review against the primary');
}
