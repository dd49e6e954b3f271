import { requirePrimary } from '../server-facts.js';
import { formatCount, formatRows } from '../format.js';
import type postgres from 'postgres';
import type { Check, CheckContext, Finding, Severity } from '../types.js';
import { catalogQuery, inScope, parseTargetTables, userSchema } from './scope.js';
import { LIST_CAP, noteTruncation } from '../finding-list.js';

const DEAD_ID = 'tables.dead_tuples';
const NEVER_VACUUMED_ID = 'tables.never_vacuumed';
const NEVER_ANALYZED_ID = 'tables.never_analyzed';

// The per-table counters are read with the pg_stat_get_* functions behind pg_stat_all_tables: the view
// also sums index scans per table (a GROUP BY over every index) that these checks never use.

/**
 * A table's own autovacuum settings: storage parameters (ALTER TABLE ... SET (...)) override the server
 * settings. Autovacuum also does nothing when it or track_counts is off server-wide.
 * Expects `c` to be the table's pg_class row.
 */
function autovacuumSettings(sql: postgres.ISql): postgres.Fragment {
  return sql`
    left join lateral (
      select coalesce(max(option_value) filter (where option_name = 'autovacuum_vacuum_threshold')::float8,
                      current_setting('autovacuum_vacuum_threshold')::float8) as vacuum_base,
             coalesce(max(option_value) filter (where option_name = 'autovacuum_vacuum_scale_factor')::float8,
                      current_setting('autovacuum_vacuum_scale_factor')::float8) as vacuum_scale,
             coalesce(max(option_value) filter (where option_name = 'autovacuum_analyze_threshold')::float8,
                      current_setting('autovacuum_analyze_threshold')::float8) as analyze_base,
             coalesce(max(option_value) filter (where option_name = 'autovacuum_analyze_scale_factor')::float8,
                      current_setting('autovacuum_analyze_scale_factor')::float8) as analyze_scale,
             coalesce(bool_and(option_value::bool) filter (where option_name = 'autovacuum_enabled'), true) as enabled_on_table,
             current_setting('autovacuum')::bool and current_setting('track_counts')::bool as enabled_on_server
        from pg_options_to_table(c.reloptions)) av on true`;
}

export interface DeadTupleFacts {
  overThreshold: boolean;
  autovacuumEnabled: boolean;
  beingVacuumed: boolean;
  /** The previous review saw this table above its threshold too. */
  overThresholdLastRun: boolean;
}

/**
 * The threshold is autovacuum's own trigger (threshold + scale_factor × reltuples, as pganalyze's
 * VACUUM Advisor graphs it). Above it with autovacuum on, autovacuum should run within a naptime:
 * informational the first time, a warning when the next review still finds it there (autovacuum
 * cannot keep up, or cannot remove the rows). With autovacuum off for the table nothing will clean it.
 */
export function deadTupleSeverity(facts: DeadTupleFacts): Severity {
  if (!facts.autovacuumEnabled) return facts.overThreshold ? 'warning' : 'info';
  if (facts.beingVacuumed) return 'info';
  return facts.overThresholdLastRun ? 'warning' : 'info';
}

/**
 * Dead rows measured against each table's own autovacuum threshold, and every table with
 * autovacuum_enabled = false (reported even when clean: nothing will vacuum it but anti-wraparound).
 * The tables found above their threshold are remembered in the run's state for the next review.
 */
export const deadTuples: Check = {
  id: DEAD_ID,
  targets: ['tables', 'performance'],
  async run(ctx: CheckContext): Promise<Finding[]> {
    requirePrimary(ctx.server);
    const { sql } = ctx;
    const scope = parseTargetTables(ctx.params.target_tables);
    const rows = await catalogQuery(
      sql,
      (tx) => tx`
      select object, dead, live, threshold, enabled_on_table, enabled_on_server, last_vacuumed, being_vacuumed,
             count(*) over () as total
        from (select format('%I.%I', n.nspname, c.relname) as object,
                     pg_stat_get_dead_tuples(c.oid)::float8 as dead, pg_stat_get_live_tuples(c.oid)::float8 as live,
                     av.vacuum_base + av.vacuum_scale * greatest(c.reltuples, 0) as threshold,
                     av.enabled_on_table, av.enabled_on_server,
                     greatest(pg_stat_get_last_vacuum_time(c.oid), pg_stat_get_last_autovacuum_time(c.oid)) as last_vacuumed,
                     exists (select 1 from pg_stat_progress_vacuum p where p.relid = c.oid) as being_vacuumed
                from pg_class c
                join pg_namespace n on n.oid = c.relnamespace
                ${autovacuumSettings(sql)}
               where c.relkind in ('r', 'm')
                 and ${userSchema(sql, sql`n.nspname`)}
                 and ${inScope(sql, scope, sql`n.nspname`, sql`c.relname`)}) t
       where not enabled_on_table or dead > threshold
       order by dead > threshold desc, dead / greatest(threshold, 1) desc, object
       limit ${LIST_CAP}`,
    );

    const before = (ctx.previousState[DEAD_ID] as { over_threshold?: string[] } | undefined)?.over_threshold ?? [];
    const overThresholdBefore = new Set(before);
    const overThresholdNow: string[] = [];

    const findings = rows.map((r): Finding => {
      const dead = Number(r.dead);
      const threshold = Math.round(Number(r.threshold));
      const overThreshold = dead > threshold;
      if (overThreshold) overThresholdNow.push(r.object);
      const autovacuumEnabled = r.enabled_on_table && r.enabled_on_server;
      const severity = deadTupleSeverity({
        overThreshold,
        autovacuumEnabled,
        beingVacuumed: r.being_vacuumed,
        overThresholdLastRun: overThresholdBefore.has(r.object),
      });
      const lastVacuum = r.last_vacuumed
        ? `last vacuumed ${new Date(r.last_vacuumed).toISOString()}`
        : 'never vacuumed';
      const state = overThreshold
        ? `has ${formatCount(dead)} dead rows, above its autovacuum threshold of ${formatCount(threshold)} (${formatCount(Number(r.live))} ` +
          `live rows, ${lastVacuum})`
        : `has ${formatCount(dead)} dead rows, under its autovacuum threshold of ${formatCount(threshold)}`;
      let why: string;
      if (!r.enabled_on_table)
        why =
          ' Autovacuum is disabled on this table (autovacuum_enabled = false): only a manual VACUUM or an ' +
          'anti-wraparound vacuum will clean it.';
      else if (!r.enabled_on_server)
        why = ' Autovacuum (or track_counts) is off on this server: nothing vacuums it automatically.';
      else if (r.being_vacuumed) why = ' A vacuum is running on it right now.';
      else if (overThresholdBefore.has(r.object))
        why =
          ' The previous review found it above the threshold too: autovacuum is not keeping up, or cannot ' +
          'remove the rows (long transactions, replication slots).';
      else why = ' Autovacuum should process it shortly; the next review will tell whether it did.';
      return {
        check: DEAD_ID,
        severity,
        object: r.object,
        title: r.enabled_on_table ? 'Dead rows above the autovacuum threshold' : 'Autovacuum disabled on table',
        detail: `${r.object} ${state}.${why}`,
        recommendation: r.enabled_on_table
          ? `VACUUM (VERBOSE, ANALYZE) ${r.object};  -- then check what holds back cleanup if the dead rows remain`
          : `ALTER TABLE ${r.object} RESET (autovacuum_enabled);  -- and VACUUM (ANALYZE) ${r.object};`,
        evidence: {
          value: dead,
          dead_rows: dead,
          live_rows: Number(r.live),
          autovacuum_threshold: threshold,
          autovacuum_enabled_on_table: r.enabled_on_table,
          autovacuum_enabled_on_server: r.enabled_on_server,
          last_vacuum: r.last_vacuumed ? new Date(r.last_vacuumed).toISOString() : null,
          being_vacuumed: r.being_vacuumed,
          above_threshold_last_run: overThresholdBefore.has(r.object),
        },
      };
    });
    ctx.state[DEAD_ID] = { over_threshold: overThresholdNow };
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'tables');
  },
};

/**
 * Tables with rows that no ANALYZE has ever processed (since statistics were last reset): the planner
 * estimates them from defaults. A warning once more rows changed than autovacuum's own analyze
 * threshold, i.e. autovacuum should have analyzed it and has not (disabled, or far behind).
 */
export const neverAnalyzed: Check = {
  id: NEVER_ANALYZED_ID,
  targets: ['tables'],
  async run(ctx: CheckContext): Promise<Finding[]> {
    requirePrimary(ctx.server);
    const { sql } = ctx;
    const scope = parseTargetTables(ctx.params.target_tables);
    const rows = await catalogQuery(
      sql,
      (tx) => tx`
      select format('%I.%I', n.nspname, c.relname) as object,
             greatest(pg_stat_get_live_tuples(c.oid), c.reltuples, 0)::float8 as rows,
             pg_stat_get_mod_since_analyze(c.oid)::float8 as modified,
             av.analyze_base + av.analyze_scale * greatest(c.reltuples, 0) as threshold,
             count(*) over () as total
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        ${autovacuumSettings(sql)}
       where c.relkind in ('r', 'm')
         and pg_stat_get_last_analyze_time(c.oid) is null and pg_stat_get_last_autoanalyze_time(c.oid) is null
         and greatest(pg_stat_get_live_tuples(c.oid), c.reltuples) > 0
         and ${userSchema(sql, sql`n.nspname`)}
         and ${inScope(sql, scope, sql`n.nspname`, sql`c.relname`)}
       order by pg_stat_get_mod_since_analyze(c.oid) >= av.analyze_base + av.analyze_scale * greatest(c.reltuples, 0) desc, rows desc, 1
       limit ${LIST_CAP}`,
    );

    const resetNote = ctx.server.stats_reset
      ? ` (statistics were reset ${ctx.server.stats_reset}; an ANALYZE before that is not visible)`
      : '';
    const findings = rows.map((r): Finding => {
      const modified = Number(r.modified);
      const threshold = Math.round(Number(r.threshold));
      const overdue = modified >= threshold;
      return {
        check: NEVER_ANALYZED_ID,
        severity: overdue ? 'warning' : 'info',
        object: r.object,
        title: 'Table never analyzed',
        detail:
          `${r.object} (about ${formatRows(Number(r.rows))}) has never been analyzed${resetNote}, so the ` +
          'planner guesses its row counts and value distributions.' +
          (overdue
            ? ` ${formatCount(modified)} rows changed, past autovacuum's analyze threshold of ${formatCount(threshold)}.`
            : ''),
        recommendation: `ANALYZE ${r.object};`,
        evidence: {
          rows: Number(r.rows),
          modified_since_analyze: modified,
          autoanalyze_threshold: threshold,
          stats_reset: ctx.server.stats_reset,
        },
      };
    });
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'tables');
  },
};

/**
 * Tables with rows that were never vacuumed (since statistics were last reset). Informational:
 * insert-only tables are legitimately left alone for a while, but until a vacuum sets the visibility
 * map, index-only scans still visit the heap and freezing work accumulates.
 */
export const neverVacuumed: Check = {
  id: NEVER_VACUUMED_ID,
  targets: ['tables'],
  async run(ctx: CheckContext): Promise<Finding[]> {
    requirePrimary(ctx.server);
    const { sql } = ctx;
    const scope = parseTargetTables(ctx.params.target_tables);
    const rows = await catalogQuery(
      sql,
      (tx) => tx`
      select format('%I.%I', n.nspname, c.relname) as object,
             greatest(pg_stat_get_live_tuples(c.oid), c.reltuples, 0)::float8 as rows,
             count(*) over () as total
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
       where c.relkind in ('r', 'm')
         and pg_stat_get_last_vacuum_time(c.oid) is null and pg_stat_get_last_autovacuum_time(c.oid) is null
         and greatest(pg_stat_get_live_tuples(c.oid), c.reltuples) > 0
         and ${userSchema(sql, sql`n.nspname`)}
         and ${inScope(sql, scope, sql`n.nspname`, sql`c.relname`)}
       order by rows desc, 1
       limit ${LIST_CAP}`,
    );

    const resetNote = ctx.server.stats_reset ? ` since statistics were reset (${ctx.server.stats_reset})` : '';
    const findings = rows.map((r): Finding => ({
      check: NEVER_VACUUMED_ID,
      severity: 'info',
      object: r.object,
      title: 'Table never vacuumed',
      detail:
        `${r.object} (about ${formatRows(Number(r.rows))}) has not been vacuumed${resetNote}: its visibility ` +
        'map is unset, so index-only scans still read the heap, and freezing is deferred to a later, larger ' +
        'vacuum.',
      recommendation: `VACUUM (ANALYZE) ${r.object};`,
      evidence: { rows: Number(r.rows), stats_reset: ctx.server.stats_reset },
    }));
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'tables');
  },
};

const OVERDUE_ID = 'tables.maintenance_overdue';

interface OverdueState {
  overdue: string[];
  writes: Record<string, number>;
  taken_at: string;
}

/**
 * Tables past autovacuum's own trigger for work other than dead rows: rows changed since the last
 * ANALYZE beyond the analyze threshold (on a table analyzed before; never-analyzed ones have their
 * own check), and from PostgreSQL 13 rows inserted since the last VACUUM beyond the insert threshold
 * (autovacuum_vacuum_insert_threshold + _scale_factor × reltuples), which keeps insert-only tables
 * frozen and their visibility map set. Informational at first, a warning when the previous review
 * found the same table overdue; the write rate since that review says how fast it falls behind.
 */
export const maintenanceOverdue: Check = {
  id: OVERDUE_ID,
  targets: ['tables', 'performance'],
  async run(ctx: CheckContext): Promise<Finding[]> {
    requirePrimary(ctx.server);
    const { sql } = ctx;
    const scope = parseTargetTables(ctx.params.target_tables);
    const since13 = ctx.server.version_num >= 130000;
    const insertsSinceVacuum = since13 ? sql`pg_stat_get_ins_since_vacuum(c.oid)::float8` : sql`null::float8`;
    const insertThreshold = since13
      ? sql`case when coalesce((select option_value::float8 from pg_options_to_table(c.reloptions) where option_name = 'autovacuum_vacuum_insert_threshold'),
                                current_setting('autovacuum_vacuum_insert_threshold')::float8) < 0 then null
                 else coalesce((select option_value::float8 from pg_options_to_table(c.reloptions) where option_name = 'autovacuum_vacuum_insert_threshold'),
                               current_setting('autovacuum_vacuum_insert_threshold')::float8)
                    + coalesce((select option_value::float8 from pg_options_to_table(c.reloptions) where option_name = 'autovacuum_vacuum_insert_scale_factor'),
                               current_setting('autovacuum_vacuum_insert_scale_factor')::float8) * greatest(c.reltuples, 0) end`
      : sql`null::float8`;
    const rows = await catalogQuery(
      sql,
      (tx) => tx`
      select *, count(*) over () as total, to_json(now()) #>> '{}' as taken_at
        from (select format('%I.%I', n.nspname, c.relname) as object,
                     ${insertsSinceVacuum} as inserts_since_vacuum, ${insertThreshold} as insert_threshold,
                     pg_stat_get_mod_since_analyze(c.oid)::float8 as modified_since_analyze,
                     av.analyze_base + av.analyze_scale * greatest(c.reltuples, 0) as analyze_threshold,
                     greatest(pg_stat_get_last_vacuum_time(c.oid), pg_stat_get_last_autovacuum_time(c.oid)) as last_vacuum,
                     greatest(pg_stat_get_last_analyze_time(c.oid), pg_stat_get_last_autoanalyze_time(c.oid)) as last_analyze,
                     (pg_stat_get_tuples_inserted(c.oid) + pg_stat_get_tuples_updated(c.oid) + pg_stat_get_tuples_deleted(c.oid))::float8 as writes,
                     av.enabled_on_table and av.enabled_on_server as autovacuum_enabled
                from pg_class c
                join pg_namespace n on n.oid = c.relnamespace
                ${autovacuumSettings(sql)}
               where c.relkind in ('r', 'm')
                 and ${userSchema(sql, sql`n.nspname`)}
                 and ${inScope(sql, scope, sql`n.nspname`, sql`c.relname`)}) t
       where inserts_since_vacuum > insert_threshold
          or (modified_since_analyze > analyze_threshold and last_analyze is not null)
       order by greatest(inserts_since_vacuum / greatest(insert_threshold, 1), modified_since_analyze / greatest(analyze_threshold, 1)) desc, object
       limit ${LIST_CAP}`,
    );

    const previous = ctx.previousState[OVERDUE_ID] as OverdueState | undefined;
    const overdueBefore = new Set(previous?.overdue ?? []);
    const hoursSince = previous ? (Date.now() - Date.parse(previous.taken_at)) / 3_600_000 : null;
    const state: OverdueState = {
      overdue: [],
      writes: {},
      taken_at: rows[0]?.taken_at ? new Date(rows[0].taken_at).toISOString() : new Date().toISOString(),
    };

    const findings = rows.map((r): Finding => {
      const writes = Number(r.writes);
      state.overdue.push(r.object);
      state.writes[r.object] = writes;
      const writesBefore = previous?.writes?.[r.object];
      const ratePerHour =
        hoursSince && hoursSince > 0 && writesBefore !== undefined && writes >= writesBefore
          ? (writes - writesBefore) / hoursSince
          : null;
      const vacuumDue = r.insert_threshold !== null && Number(r.inserts_since_vacuum) > Number(r.insert_threshold);
      const analyzeDue = Number(r.modified_since_analyze) > Number(r.analyze_threshold) && r.last_analyze !== null;
      const ago = (t: unknown) => (t ? `${formatDurationSince(new Date(t as string))} ago` : 'never');
      const parts = [
        vacuumDue &&
          `${formatCount(Number(r.inserts_since_vacuum))} rows inserted since its last vacuum (${ago(r.last_vacuum)}), ` +
            `past the insert threshold of ${formatCount(Number(r.insert_threshold))}`,
        analyzeDue &&
          `${formatCount(Number(r.modified_since_analyze))} rows changed since its last analyze (${ago(r.last_analyze)}), ` +
            `past the analyze threshold of ${formatCount(Number(r.analyze_threshold))}`,
      ].filter(Boolean);
      const again = overdueBefore.has(r.object);
      return {
        check: OVERDUE_ID,
        severity: again ? 'warning' : 'info',
        object: r.object,
        title:
          vacuumDue && analyzeDue
            ? 'Vacuum and analyze overdue'
            : vacuumDue
              ? 'Insert-driven vacuum overdue'
              : 'Analyze overdue',
        detail:
          `${r.object} has ${parts.join(', and ')}.` +
          (ratePerHour !== null
            ? ` It takes about ${formatCount(ratePerHour)} row writes an hour (since the previous review).`
            : '') +
          (!r.autovacuum_enabled
            ? ' Autovacuum is off for it: nothing will catch up by itself.'
            : again
              ? ' The previous review found it overdue too: autovacuum is not keeping up (too few workers, ' +
                'cost limits, or it is cancelled by locks).'
              : ' Autovacuum should process it shortly; the next review will tell whether it did.'),
        recommendation:
          `${vacuumDue ? `VACUUM (ANALYZE) ${r.object};` : `ANALYZE ${r.object};`}  -- and if it recurs, lower ` +
          `its scale factors: ALTER TABLE ${r.object} SET (${vacuumDue ? 'autovacuum_vacuum_insert_scale_factor' : 'autovacuum_analyze_scale_factor'} ` +
          '= 0.05);',
        evidence: {
          value: Math.max(
            vacuumDue ? Number(r.inserts_since_vacuum) : 0,
            analyzeDue ? Number(r.modified_since_analyze) : 0,
          ),
          inserts_since_vacuum: r.inserts_since_vacuum === null ? null : Number(r.inserts_since_vacuum),
          insert_threshold: r.insert_threshold === null ? null : Math.round(Number(r.insert_threshold)),
          modified_since_analyze: Number(r.modified_since_analyze),
          analyze_threshold: Math.round(Number(r.analyze_threshold)),
          last_vacuum: r.last_vacuum ? new Date(r.last_vacuum).toISOString() : null,
          last_analyze: r.last_analyze ? new Date(r.last_analyze).toISOString() : null,
          writes_per_hour: ratePerHour === null ? null : Math.round(ratePerHour),
          overdue_last_run: again,
        },
      };
    });
    ctx.state[OVERDUE_ID] = state;
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'tables');
  },
};

function formatDurationSince(time: Date): string {
  const seconds = (Date.now() - time.getTime()) / 1000;
  if (seconds < 7200) return `${Math.max(1, Math.round(seconds / 60))} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} days`;
}
