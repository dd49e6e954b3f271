import { formatDuration, plural, round } from '../format.js';
import type { Check, Finding } from '../types.js';
import { requireAllSessionsVisible } from './access.js';
import { gradeBy } from './findings.js';
import { presentQuery } from '../query-text.js';
import { groupByDatabase, summarizeSession } from './session-rows.js';
import { LIST_CAP } from '../finding-list.js';

// PgHero lists queries running longer than long_running_query_sec, 60 s by default (reported as
// info); heroku pg-extras and supabase "long-running-queries" use 5 minutes, where it becomes a warning.
const LONG_RUNNING_SECONDS = 60;
const longRunningSeverity = (seconds: number) =>
  gradeBy(seconds, [
    [300, 'warning'],
    [LONG_RUNNING_SECONDS, 'info'],
  ]);

const longRunningQueries: Check = {
  id: 'performance.long_running_queries',
  targets: ['performance'],
  async run(ctx) {
    await requireAllSessionsVisible(ctx);
    const rows = await ctx.sql`
      select * from (
        select pid, datname, usename, application_name, host(client_addr) as client_addr,
               extract(epoch from now() - query_start)::float8 as running_seconds,
               wait_event_type, wait_event, left(query, 4000) as query,
               count(*) over (partition by datname)::int as in_database,
               row_number() over (partition by datname order by query_start) as rank
        from pg_catalog.pg_stat_activity
        where state = 'active' and backend_type = 'client backend' and pid <> pg_backend_pid()
          and query_start <= now() - make_interval(secs => ${LONG_RUNNING_SECONDS})
      ) s
      where rank <= ${LIST_CAP}
      order by datname, rank
      limit 1000`;
    const findings: Finding[] = [];
    for (const [database, sessions] of groupByDatabase(rows)) {
      const oldest = sessions[0];
      const seconds = Number(oldest.running_seconds);
      const total = Number(oldest.in_database);
      findings.push({
        check: 'performance.long_running_queries',
        severity: longRunningSeverity(seconds) ?? 'info',
        object: database,
        title:
          `${plural(total, 'query', 'queries')} running for more than ${LONG_RUNNING_SECONDS} s in ${database}, ` +
          `the longest for ${formatDuration(seconds)}`,
        detail:
          `The longest, pid ${oldest.pid} (user ${oldest.usename}, application '${oldest.application_name ?? ''}'), ` +
          `has run for ${formatDuration(seconds)}${oldest.wait_event ? ` and is waiting on ${oldest.wait_event_type}/${oldest.wait_event}` : ''}: ${presentQuery(oldest.query as string, 200)}. ` +
          'Long statements hold locks and snapshots, which blocks DDL and holds back VACUUM.',
        recommendation:
          'Check the plan of the statement (EXPLAIN) and whether it should run on a replica; cancel it if ' +
          `needed with SELECT pg_cancel_backend(${oldest.pid}); and cap runaway statements with ` +
          'statement_timeout for the role.',
        evidence: {
          value: round(seconds, 0),
          queries_found: total,
          sessions: sessions.map((s) => ({
            ...summarizeSession(s),
            running_seconds: Math.round(Number(s.running_seconds)),
            wait: s.wait_event ? `${s.wait_event_type}/${s.wait_event}` : null,
          })),
          ...(total > sessions.length ? { not_listed: total - sessions.length } : {}),
        },
      });
    }
    return findings;
  },
};

// pganalyze "Blocking Queries": warning once a blocked query has waited 300 s, critical at 600 s.
// Shorter waits are still listed (as info): a review catches them only when they are happening.
const blockedSeverity = (seconds: number) =>
  gradeBy(seconds, [
    [600, 'critical'],
    [300, 'warning'],
  ]) ?? 'info';

/** Cancelling only stops a running statement; a blocker idle in its transaction has to be terminated. */
function stopSession(pid: number, state: string | undefined): string {
  return state === 'active'
    ? `SELECT pg_cancel_backend(${pid});`
    : `SELECT pg_terminate_backend(${pid}); (it is not running a statement, so cancelling would not release its ` +
        'locks)';
}

const blockedSessions: Check = {
  id: 'performance.blocked_sessions',
  targets: ['performance'],
  async run(ctx) {
    await requireAllSessionsVisible(ctx);
    // pg_locks.waitstart (PostgreSQL 14+) says when the lock wait began; before that the statement start is the best
    // estimate.
    const waitStart =
      ctx.server.version_num >= 140000
        ? ctx.sql`coalesce((select min(l.waitstart) from pg_catalog.pg_locks l where l.pid = a.pid and not l.granted), a.query_start)`
        : ctx.sql`a.query_start`;
    const rows = await ctx.sql`
      select * from (
        select a.pid, a.datname, a.usename, a.application_name, host(a.client_addr) as client_addr,
               pg_catalog.pg_blocking_pids(a.pid) as blocking_pids,
               extract(epoch from now() - ${waitStart})::float8 as wait_seconds,
               a.wait_event, left(a.query, 4000) as query
        from pg_catalog.pg_stat_activity a
        where a.wait_event_type = 'Lock' and a.pid <> pg_backend_pid()
      ) w
      where cardinality(blocking_pids) > 0
      order by wait_seconds desc
      limit 1000`;
    if (rows.length === 0) return [];

    const blockerPids = [...new Set(rows.flatMap((r) => r.blocking_pids as number[]))].slice(0, LIST_CAP);
    const blockerRows = await ctx.sql`
      select pid, datname, usename, application_name, host(client_addr) as client_addr, state,
             extract(epoch from now() - coalesce(xact_start, query_start))::float8 as transaction_seconds,
             left(query, 4000) as query
      from pg_catalog.pg_stat_activity
      where pid = any(${blockerPids})`;
    const blockers = new Map(blockerRows.map((b) => [Number(b.pid), b]));

    const findings: Finding[] = [];
    for (const [database, waiting] of groupByDatabase(rows)) {
      const longest = waiting[0];
      const seconds = Number(longest.wait_seconds);
      const heads = [...new Set(waiting.flatMap((w) => w.blocking_pids as number[]))];
      const firstBlocker = blockers.get(heads[0]);
      findings.push({
        check: 'performance.blocked_sessions',
        severity: blockedSeverity(seconds),
        object: database,
        title: `${plural(waiting.length, 'session')} waiting on locks in ${database}, the longest for ${formatDuration(seconds)}`,
        detail: `Session ${longest.pid} (user ${longest.usename}) has waited ${formatDuration(seconds)} for a ${longest.wait_event} lock held by ${plural(heads.length, 'session')} (${heads.join(', ')})${
          firstBlocker
            ? `; blocker ${firstBlocker.pid} (user ${firstBlocker.usename}) is ${firstBlocker.state}, its ` +
              `transaction open for ${formatDuration(Number(firstBlocker.transaction_seconds))}`
            : ''
        }.`,
        recommendation:
          `Find out why the blocking transaction is still open; if it has to go, ${stopSession(heads[0], firstBlocker?.state)}. ` +
          'Set lock_timeout for DDL so it gives up instead of queueing everyone behind it.',
        evidence: {
          value: round(seconds, 0),
          waiting_sessions: waiting.slice(0, LIST_CAP).map((w) => ({
            ...summarizeSession(w),
            wait_seconds: Math.round(Number(w.wait_seconds)),
            blocked_by: w.blocking_pids,
          })),
          blocking_sessions: heads
            .map((pid) => blockers.get(pid))
            .filter((b) => b !== undefined)
            .map((b) => ({
              ...summarizeSession(b),
              state: b.state,
              transaction_seconds: Math.round(Number(b.transaction_seconds)),
            })),
          ...(waiting.length > LIST_CAP ? { not_listed: waiting.length - LIST_CAP } : {}),
        },
      });
    }
    return findings;
  },
};

export const activityChecks: Check[] = [longRunningQueries, blockedSessions];
