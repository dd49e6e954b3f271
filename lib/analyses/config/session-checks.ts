import { formatDuration, plural, round, sqlLiteral } from '../format.js';
import type { Check, Finding } from '../types.js';
import { requireAllSessionsVisible } from './access.js';
import { gradeBy } from './findings.js';
import { groupByDatabase, summarizeSession } from './session-rows.js';
import { LIST_CAP, noteTruncation } from '../finding-list.js';

const connectionUsage: Check = {
  id: 'config.connection_usage',
  targets: ['config'],
  async run(ctx) {
    // Without pg_read_all_stats other roles' sessions show no backend_type: the count would be silently low.
    await requireAllSessionsVisible(ctx);
    // Slots left for ordinary roles: max_connections minus superuser_reserved_connections (and, from
    // PostgreSQL 16, reserved_connections), the base check_postgres "backends" uses for percentages.
    const reservedSince16 =
      ctx.server.version_num >= 160000 ? ctx.sql`+ current_setting('reserved_connections')::int` : ctx.sql``;
    const [row] = await ctx.sql`
      select (select count(*)::int from pg_catalog.pg_stat_activity where backend_type = 'client backend') as used,
             current_setting('max_connections')::int as max_connections,
             current_setting('superuser_reserved_connections')::int ${reservedSince16} as reserved`;
    const available = row.max_connections - row.reserved;
    const percent = round((100 * row.used) / Math.max(available, 1), 1);
    // check_postgres backends: warning at 90%, critical at 95% of the available slots;
    // postgresqltuner already warns above 70%, reported here as info.
    const severity = gradeBy(percent, [
      [95, 'critical'],
      [90, 'warning'],
      [70, 'info'],
    ]);
    if (!severity) return [];
    return [
      {
        check: 'config.connection_usage',
        severity,
        object: 'max_connections',
        title: `${percent}% of the connection slots are in use`,
        detail:
          `${row.used} client connections of ${available} available (max_connections ${row.max_connections} ` +
          `minus ${row.reserved} reserved). When they run out, new connections fail with "too many clients ` +
          'already".',
        recommendation:
          'Put a connection pooler (PgBouncer) in front of the application, or close idle sessions; raise ' +
          'max_connections only with the memory to back it (restart required).',
        evidence: {
          value: percent,
          used: row.used,
          available,
          max_connections: row.max_connections,
          reserved: row.reserved,
        },
      },
    ];
  },
};

// check_postgres txn_idle has no default; its documented example warns at 15 seconds, which is where
// idle transactions start being reported (as info). pganalyze's "Idle Transactions" check raises a
// warning at 1800 s and escalates to critical at 3600 s.
const IDLE_REPORTED_AFTER_SECONDS = 15;
const idleSeverity = (seconds: number) =>
  gradeBy(seconds, [
    [3600, 'critical'],
    [1800, 'warning'],
    [IDLE_REPORTED_AFTER_SECONDS, 'info'],
  ]);

const idleInTransaction: Check = {
  id: 'config.idle_in_transaction',
  targets: ['config'],
  async run(ctx) {
    await requireAllSessionsVisible(ctx);
    const rows = await ctx.sql`
      select * from (
        select pid, datname, usename, application_name, host(client_addr) as client_addr, state,
               extract(epoch from now() - state_change)::float8 as idle_seconds,
               extract(epoch from now() - xact_start)::float8 as xact_seconds,
               left(query, 4000) as query,
               count(*) over (partition by datname)::int as in_database,
               row_number() over (partition by datname order by state_change) as rank
        from pg_catalog.pg_stat_activity
        where state in ('idle in transaction', 'idle in transaction (aborted)')
          and pid <> pg_backend_pid()
          and state_change <= now() - make_interval(secs => ${IDLE_REPORTED_AFTER_SECONDS})
      ) s
      where rank <= ${LIST_CAP}
      order by datname, rank
      limit 1000`;
    const findings: Finding[] = [];
    for (const [database, sessions] of groupByDatabase(rows)) {
      const oldest = sessions[0];
      const idleSeconds = Number(oldest.idle_seconds);
      const total = Number(oldest.in_database);
      findings.push({
        check: 'config.idle_in_transaction',
        severity: idleSeverity(idleSeconds) ?? 'info',
        object: database,
        title: `${plural(total, 'session')} idle in transaction in ${database}, the oldest for ${formatDuration(idleSeconds)}`,
        detail:
          `Session ${oldest.pid} (user ${oldest.usename}, application '${oldest.application_name ?? ''}') has ` +
          `been ${oldest.state} for ${formatDuration(idleSeconds)} in a transaction open for ${formatDuration(Number(oldest.xact_seconds))}. ` +
          'An open transaction keeps its locks and stops VACUUM from removing rows deleted since it began.',
        recommendation:
          `Find the code path that leaves the transaction open (application ${sqlLiteral(oldest.application_name ?? '')}); ` +
          `end this one with SELECT pg_terminate_backend(${oldest.pid}); and bound future ones with ALTER ` +
          `SYSTEM SET idle_in_transaction_session_timeout = '5min';`,
        evidence: {
          value: round(idleSeconds, 0),
          sessions_found: total,
          sessions: sessions.map((s) => ({
            ...summarizeSession(s),
            state: s.state,
            idle_seconds: Math.round(Number(s.idle_seconds)),
            transaction_seconds: Math.round(Number(s.xact_seconds)),
          })),
          ...(total > sessions.length ? { not_listed: total - sessions.length } : {}),
        },
      });
    }
    return findings;
  },
};

const preparedTransactions: Check = {
  id: 'config.prepared_transactions',
  targets: ['config'],
  async run(ctx) {
    const rows = await ctx.sql`
      select gid, database, owner, prepared, extract(epoch from now() - prepared)::float8 as age_seconds,
             count(*) over ()::int as total
      from pg_catalog.pg_prepared_xacts
      order by prepared
      limit ${LIST_CAP}`;
    // check_postgres prepared_txns: warning at 1 second, critical at 30 seconds. Almost no installation
    // should keep a prepared transaction for longer than its transaction manager needs to commit it.
    const findings = rows.map((r): Finding => {
      const age = Number(r.age_seconds);
      return {
        check: 'config.prepared_transactions',
        severity:
          gradeBy(age, [
            [30, 'critical'],
            [1, 'warning'],
          ]) ?? 'warning',
        object: r.gid,
        title: `Prepared transaction ${r.gid} in ${r.database} has been waiting for ${formatDuration(age)}`,
        detail:
          `Prepared by ${r.owner} at ${new Date(r.prepared).toISOString()}. A prepared transaction survives ` +
          'restarts, holds its locks and holds back VACUUM and transaction ID freezing until it is committed ' +
          'or rolled back.',
        recommendation:
          `Ask the transaction manager to resolve it; if it is orphaned, connect to ${r.database} and run ` +
          `ROLLBACK PREPARED ${sqlLiteral(r.gid)}; (or COMMIT PREPARED).`,
        evidence: {
          value: round(age, 0),
          gid: r.gid,
          database: r.database,
          owner: r.owner,
          prepared_at: new Date(r.prepared).toISOString(),
        },
      };
    });
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'prepared transactions');
  },
};

export const sessionChecks: Check[] = [connectionUsage, idleInTransaction, preparedTransactions];
