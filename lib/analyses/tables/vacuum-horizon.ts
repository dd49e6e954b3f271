import { formatCount, formatDuration, quoteIdent, sqlLiteral } from '../format.js';
import { NotAssessableError, type Check, type CheckContext, type Finding, type Severity } from '../types.js';
import { catalogQuery } from './scope.js';
import { LIST_CAP, noteTruncation } from '../finding-list.js';

const HORIZON_ID = 'tables.vacuum_horizon';

// A horizon fewer than this many transactions old keeps next to nothing; a busy server passes a
// thousand transactions in well under a second, so younger holders are ordinary work.
export const HORIZON_MIN_XIDS = 1_000;
// A session's snapshot younger than a minute is ordinary work too (PgHero's long_running_query_sec)
// unless it sits idle in its transaction, which nothing will end.
export const HORIZON_MIN_SESSION_SECONDS = 60;
// Ten million transactions of dead rows that cannot be removed is serious bloat on any table that
// is updated; half of autovacuum_freeze_max_age held back means the anti-wraparound vacuums that
// will start cannot finish their job. In time: an hour of a busy server's updates, and a day.
const HORIZON_WARNING_XIDS = 10_000_000;
const HORIZON_WARNING_SECONDS = 3600;
const HORIZON_CRITICAL_SECONDS = 86_400;

export type HorizonKind =
  'session' | 'prepared_transaction' | 'replication_slot' | 'logical_slot_catalog' | 'standby_feedback';

export interface HorizonHolder {
  kind: HorizonKind;
  xidAge: number;
  heldSeconds: number | null;
  idleInTransaction: boolean;
  active: boolean;
}

/** Whether a holder is worth a finding at all: only sessions doing ordinary, recent work are not. */
export function isReportedHolder(h: HorizonHolder): boolean {
  if (h.xidAge < HORIZON_MIN_XIDS) return false;
  if (h.kind !== 'session') return true;
  return h.idleInTransaction || (h.heldSeconds ?? 0) >= HORIZON_MIN_SESSION_SECONDS;
}

/**
 * Critical once half of autovacuum_freeze_max_age or a day is held back; a warning from ten million
 * transactions or an hour, and for any holder nothing will release by itself (a prepared
 * transaction, an inactive slot). A young session or an active consumer is informational.
 */
export function horizonSeverity(h: HorizonHolder, freezeMaxAge: number): Severity {
  const held = h.heldSeconds ?? 0;
  if (h.xidAge >= freezeMaxAge / 2 || held >= HORIZON_CRITICAL_SECONDS) return 'critical';
  if (h.xidAge >= HORIZON_WARNING_XIDS || held >= HORIZON_WARNING_SECONDS) return 'warning';
  if (
    h.kind === 'prepared_transaction' ||
    ((h.kind === 'replication_slot' || h.kind === 'logical_slot_catalog') && !h.active)
  )
    return 'warning';
  return 'info';
}

const kindLabel: Record<HorizonKind, string> = {
  session: 'session',
  prepared_transaction: 'prepared transaction',
  replication_slot: 'replication slot',
  logical_slot_catalog: 'logical replication slot (catalog rows)',
  standby_feedback: 'standby (hot_standby_feedback)',
};

function releaseAdvice(r: Record<string, unknown>): string {
  switch (r.kind as HorizonKind) {
    case 'session':
      return (
        `End the transaction in the application; if it is abandoned: SELECT pg_terminate_backend(${r.pid}); ` +
        'and bound idle transactions with idle_in_transaction_session_timeout.'
      );
    case 'prepared_transaction':
      return (
        `Have the transaction manager resolve it, or connect to ${r.database} and run ROLLBACK PREPARED ${sqlLiteral(String(r.name))}; ` +
        '(or COMMIT PREPARED).'
      );
    case 'replication_slot':
    case 'logical_slot_catalog':
      return r.active
        ? `The slot's consumer is far behind: bring it up to date, or drop the slot if it is not needed.`
        : `Nothing consumes this slot: SELECT pg_drop_replication_slot(${sqlLiteral(String(r.name))}); if its ` +
            'consumer is gone for good.';
    case 'standby_feedback':
      return (
        'A long query on that standby holds it through hot_standby_feedback: end it there, or cap it with ' +
        'statement_timeout on the standby.'
      );
  }
}

/**
 * Who holds back the oldest xmin horizon, the point before which VACUUM may remove dead rows and
 * freeze: sessions (backend_xmin), prepared transactions, replication slots (xmin, catalog_xmin) and
 * standbys through hot_standby_feedback. Each holder is named with its age in transactions and, where
 * the server knows it, in time; the tables with the most dead rows in this database come along as the
 * rows that cannot be cleaned while it holds.
 */
export const vacuumHorizon: Check = {
  id: HORIZON_ID,
  targets: ['tables', 'performance'],
  async run(ctx: CheckContext): Promise<Finding[]> {
    const { sql } = ctx;
    // Without pg_read_all_stats the other roles' backend_xmin is hidden, and the oldest holder with it.
    if (!ctx.server.is_superuser) {
      const [row] = await sql`select pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') as visible`;
      if (!row.visible) {
        throw new NotAssessableError(
          "Other roles' sessions and their snapshots (backend_xmin) are hidden from the reviewing role",
          `GRANT pg_monitor TO ${quoteIdent(ctx.server.current_user)};`,
        );
      }
    }
    const rows = await catalogQuery(
      sql,
      (tx) => tx`
      with holders as (
        select 'session' as kind, 'pid ' || pid as name, pid, datname as database, usename as owner, state,
               backend_xmin as horizon, extract(epoch from now() - xact_start)::float8 as held_seconds,
               state like 'idle in transaction%' as idle_in_transaction, true as active, left(query, 200) as query
          from pg_catalog.pg_stat_activity
         where backend_xmin is not null and backend_type = 'client backend' and pid <> pg_backend_pid()
        union all
        select 'prepared_transaction', gid, null, database, owner, null,
               transaction, extract(epoch from now() - prepared)::float8, false, false, null
          from pg_catalog.pg_prepared_xacts
        union all
        select 'replication_slot', slot_name, active_pid, database, null, null, xmin, null, false, active, null
          from pg_catalog.pg_replication_slots where xmin is not null
        union all
        select 'logical_slot_catalog', slot_name, active_pid, database, null, null, catalog_xmin, null, false, active, null
          from pg_catalog.pg_replication_slots where catalog_xmin is not null
        union all
        select 'standby_feedback', coalesce(nullif(application_name, ''), host(client_addr), pid::text), pid, null, usename, state,
               backend_xmin, null, false, true, null
          from pg_catalog.pg_stat_replication where backend_xmin is not null
      )
      select kind, name, pid, database, owner, state, horizon::text as horizon, pg_catalog.age(horizon)::float8 as xid_age,
             held_seconds, idle_in_transaction, active, query,
             current_setting('autovacuum_freeze_max_age')::float8 as freeze_max_age
        from holders
       order by pg_catalog.age(horizon) desc
       limit 1000`,
    );

    const holders = rows.filter((r) =>
      isReportedHolder({
        kind: r.kind,
        xidAge: Number(r.xid_age),
        heldSeconds: r.held_seconds === null ? null : Number(r.held_seconds),
        idleInTransaction: r.idle_in_transaction,
        active: r.active,
      }),
    );
    if (holders.length === 0) return [];
    const deadRows = await catalogQuery(
      sql,
      (tx) => tx`
      select format('%I.%I', schemaname, relname) as table, n_dead_tup::float8 as dead_rows
        from pg_catalog.pg_stat_user_tables where n_dead_tup > 0
       order by n_dead_tup desc limit 5`,
    );
    const mostDead = deadRows.map((d) => ({ table: d.table, dead_rows: Number(d.dead_rows) }));
    const deadNote =
      mostDead.length > 0
        ? ` Tables of ${ctx.server.database} with the most dead rows now: ${mostDead.map((d) => `${d.table} (${formatCount(d.dead_rows)})`).join(', ')}; ` +
          'rows deleted or updated after the horizon stay in them until it moves.'
        : '';

    const findings = holders.slice(0, LIST_CAP).map((r, rank): Finding => {
      const holder: HorizonHolder = {
        kind: r.kind,
        xidAge: Number(r.xid_age),
        heldSeconds: r.held_seconds === null ? null : Number(r.held_seconds),
        idleInTransaction: r.idle_in_transaction,
        active: r.active,
      };
      const label = kindLabel[holder.kind];
      const what =
        holder.kind === 'session'
          ? `Session ${r.pid} (user ${r.owner}, database ${r.database}) has been ${r.state} in a transaction ` +
            `open for ${formatDuration(holder.heldSeconds ?? 0)}`
          : holder.kind === 'prepared_transaction'
            ? `Prepared transaction ${r.name} (owner ${r.owner}, database ${r.database}) was prepared ${formatDuration(holder.heldSeconds ?? 0)} ` +
              'ago and never committed or rolled back'
            : holder.kind === 'standby_feedback'
              ? `Standby ${r.name} reports through hot_standby_feedback a snapshot its queries still need`
              : `${r.active ? 'Active' : 'Inactive'} ${label} ${r.name}${r.database ? ` (database ${r.database})` : ''} ` +
                'keeps the rows its consumer may still need';
      return {
        check: HORIZON_ID,
        severity: horizonSeverity(holder, Number(r.freeze_max_age)),
        object: `${holder.kind}:${r.name}`,
        title:
          `${rank === 0 ? 'Oldest vacuum horizon' : 'Vacuum horizon'} held by ${label} ${r.name}: ${formatCount(holder.xidAge)} ` +
          'transactions',
        detail:
          `${what}; its xmin ${r.horizon} is ${formatCount(holder.xidAge)} transactions old${holder.heldSeconds === null ? '' : ` (${formatDuration(holder.heldSeconds)})`}. ` +
          `VACUUM in every database of the server cannot remove rows that died after it, nor freeze past it.${rank === 0 ? deadNote : ''}`,
        recommendation: releaseAdvice(r),
        evidence: {
          value: holder.xidAge,
          kind: holder.kind,
          name: r.name,
          xmin: r.horizon,
          xid_age: holder.xidAge,
          held_seconds: holder.heldSeconds === null ? null : Math.round(holder.heldSeconds),
          database: r.database,
          ...(holder.kind === 'session' ? { pid: r.pid, state: r.state, user: r.owner } : {}),
          ...(rank === 0 ? { tables_with_most_dead_rows: mostDead } : {}),
        },
      };
    });
    return noteTruncation(findings, holders.length, 'holders');
  },
};
