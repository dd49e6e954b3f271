import type postgres from 'postgres';
import type { ServerFacts } from './types.js';

/** One row of facts about the reviewed server; custom_sql sends it in the same message as its BEGIN. */
export const serverFactsQuery = `
    select version() as version,
           current_setting('server_version_num')::int as version_num,
           current_user as current_user,
           current_database() as database,
           pg_postmaster_start_time() as started_at,
           extract(epoch from now() - pg_postmaster_start_time())::bigint as uptime_seconds,
           (select stats_reset from pg_stat_database where datname = current_database()) as stats_reset,
           (select rolsuper from pg_roles where rolname = current_user) as is_superuser,
           pg_is_in_recovery() as in_recovery`;

export async function readServerFacts(sql: postgres.Sql): Promise<ServerFacts> {
  const [row] = await sql.unsafe(serverFactsQuery);
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
  };
}
