import { formatBytes, formatDuration, plural, round, sqlLiteral } from '../format.js';
import type { Check, CheckContext, Finding, Severity } from '../types.js';
import { requireAllSessionsVisible } from './access.js';
import { gradeBy } from './findings.js';
import { LIST_CAP, noteTruncation } from '../finding-list.js';

// Standby lag. No anchor tool ships a default (check_postgres hot_standby_delay asks for one); five
// minutes behind is already a failover that loses five minutes of commits, half an hour is an outage
// in waiting. The byte bounds cover a standby that is behind while its timers still look fresh.
const LAG_WARNING_SECONDS = 300;
const LAG_CRITICAL_SECONDS = 1800;
const LAG_WARNING_BYTES = 1024 ** 3;
const LAG_CRITICAL_BYTES = 16 * 1024 ** 3;

export function lagSeverity(seconds: number | null, bytes: number | null): Severity | null {
  const byTime =
    seconds === null
      ? null
      : gradeBy(seconds, [
          [LAG_CRITICAL_SECONDS, 'critical'],
          [LAG_WARNING_SECONDS, 'warning'],
        ]);
  const byBytes =
    bytes === null
      ? null
      : gradeBy(bytes, [
          [LAG_CRITICAL_BYTES, 'critical'],
          [LAG_WARNING_BYTES, 'warning'],
        ]);
  return byTime === 'critical' || byBytes === 'critical' ? 'critical' : (byTime ?? byBytes);
}

/** pg_current_wal_lsn() fails during recovery; a standby's own position is what it has replayed. */
const currentLsn = (ctx: CheckContext) =>
  ctx.server.in_recovery ? ctx.sql`pg_catalog.pg_last_wal_replay_lsn()` : ctx.sql`pg_catalog.pg_current_wal_lsn()`;

const seconds = (value: unknown) => (value === null || value === undefined ? null : Number(value));

/** Each standby streaming from this server: how far its write, flush and replay are behind. */
const standbyLag: Check = {
  id: 'config.replication_lag',
  targets: ['config', 'performance'],
  async run(ctx) {
    // Without pg_read_all_stats, pg_stat_replication shows the standbys but none of their positions.
    await requireAllSessionsVisible(ctx);
    const rows = await ctx.sql`
      select coalesce(nullif(application_name, ''), host(client_addr), pid::text) as standby, pid, host(client_addr) as client_addr,
             state, sync_state,
             extract(epoch from write_lag)::float8 as write_lag, extract(epoch from flush_lag)::float8 as flush_lag,
             extract(epoch from replay_lag)::float8 as replay_lag,
             pg_catalog.pg_wal_lsn_diff(${currentLsn(ctx)}, replay_lsn)::float8 as replay_bytes,
             pg_catalog.pg_wal_lsn_diff(${currentLsn(ctx)}, flush_lsn)::float8 as flush_bytes
        from pg_catalog.pg_stat_replication
       order by replay_bytes desc nulls first
       limit ${LIST_CAP}`;
    return rows.flatMap((r): Finding[] => {
      const replaySeconds = seconds(r.replay_lag);
      const replayBytes = seconds(r.replay_bytes);
      const catchingUp = r.state !== 'streaming';
      const severity = lagSeverity(replaySeconds, replayBytes) ?? (catchingUp ? 'info' : null);
      if (!severity) return [];
      const behind = `${replayBytes === null ? 'an unknown amount of WAL' : formatBytes(Math.max(replayBytes, 0))}${replaySeconds === null ? '' : ` (${formatDuration(replaySeconds)})`}`;
      return [
        {
          check: 'config.replication_lag',
          severity,
          object: r.standby,
          title: catchingUp
            ? `Standby ${r.standby} is ${r.state}, not streaming`
            : `Standby ${r.standby} replays ${behind} behind`,
          detail:
            `Standby ${r.standby} (${r.client_addr ?? 'local'}, ${r.sync_state}, state ${r.state}) has ` +
            `replayed up to ${behind} behind this server; write lag ${formatLag(r.write_lag)}, flush lag ${formatLag(r.flush_lag)}, ` +
            `replay lag ${formatLag(r.replay_lag)}. A failover to it now would lose or wait for that much, and ` +
            'its queries see data that old.',
          recommendation:
            'On the standby, compare pg_last_wal_receive_lsn() with pg_last_wal_replay_lsn(): if receiving ' +
            "lags, look at the network and the primary's WAL rate; if replay lags, at recovery conflicts, " +
            "long standby queries (max_standby_streaming_delay) and the standby's I/O.",
          evidence: {
            value: replayBytes,
            state: r.state,
            sync_state: r.sync_state,
            pid: r.pid,
            write_lag_seconds: seconds(r.write_lag),
            flush_lag_seconds: seconds(r.flush_lag),
            replay_lag_seconds: replaySeconds,
            replay_lag_bytes: replayBytes,
            flush_lag_bytes: seconds(r.flush_bytes),
          },
        },
      ];
    });
  },
};

function formatLag(value: unknown): string {
  const s = seconds(value);
  return s === null ? 'unknown (no WAL sent recently)' : formatDuration(s);
}

// Inactive slots: PgHero lists them; an inactive slot keeps every WAL segment after its restart_lsn
// until the disk is full. Critical once the server has given up on the WAL it promised (wal_status
// "unreserved" or "lost", PostgreSQL 13+), or the slot holds back more than four times max_wal_size,
// the size the WAL directory is meant to stay within.
const SLOT_CRITICAL_MAX_WAL_SIZES = 4;

export function slotSeverity(
  active: boolean,
  walStatus: string | null,
  retainedBytes: number,
  maxWalBytes: number,
): Severity | null {
  if (walStatus === 'lost' || walStatus === 'unreserved') return 'critical';
  if (retainedBytes >= SLOT_CRITICAL_MAX_WAL_SIZES * maxWalBytes) return 'critical';
  if (!active) return 'warning';
  return null;
}

/** Replication slots that are inactive or hold back more WAL than the server should keep. */
const replicationSlots: Check = {
  id: 'config.replication_slots',
  targets: ['config', 'performance'],
  async run(ctx) {
    // wal_status and safe_wal_size arrived in PostgreSQL 13.
    const since13 = ctx.server.version_num >= 130000;
    const walStatus = since13 ? ctx.sql`wal_status` : ctx.sql`null::text`;
    const safeWalSize = since13 ? ctx.sql`safe_wal_size::float8` : ctx.sql`null::float8`;
    const rows = await ctx.sql`
      select slot_name, slot_type, database, plugin, active, temporary, ${walStatus} as wal_status, ${safeWalSize} as safe_wal_size,
             restart_lsn::text as restart_lsn,
             coalesce(pg_catalog.pg_wal_lsn_diff(${currentLsn(ctx)}, restart_lsn), 0)::float8 as retained_bytes,
             pg_catalog.age(xmin)::float8 as xmin_age, pg_catalog.age(catalog_xmin)::float8 as catalog_xmin_age,
             pg_catalog.pg_size_bytes(current_setting('max_wal_size'))::float8 as max_wal_bytes,
             count(*) over ()::int as total
        from pg_catalog.pg_replication_slots
       order by active, retained_bytes desc, slot_name
       limit ${LIST_CAP}`;
    const findings = rows.flatMap((r): Finding[] => {
      const retained = Number(r.retained_bytes);
      const severity = slotSeverity(r.active, r.wal_status, retained, Number(r.max_wal_bytes));
      if (!severity) return [];
      const kind = r.slot_type === 'logical' ? `logical slot (${r.plugin}, database ${r.database})` : 'physical slot';
      const status = r.wal_status
        ? ` Its WAL status is "${r.wal_status}"${r.safe_wal_size === null ? '' : `, ${formatBytes(Math.max(Number(r.safe_wal_size), 0))} more can be written before it is lost`}.`
        : '';
      const lost =
        r.wal_status === 'lost'
          ? ' The WAL it needed is gone: its consumer cannot resume from it and must be rebuilt.'
          : '';
      return [
        {
          check: 'config.replication_slots',
          severity,
          object: r.slot_name,
          title: r.active
            ? `Replication slot ${r.slot_name} retains ${formatBytes(retained)} of WAL`
            : `Inactive replication slot ${r.slot_name} retains ${formatBytes(retained)} of WAL`,
          detail: `${r.active ? 'Active' : 'Inactive'} ${kind} ${r.slot_name} keeps ${formatBytes(retained)} of WAL from ${r.restart_lsn ?? 'no position'} on this server's disk (max_wal_size ${formatBytes(Number(r.max_wal_bytes))}).${status}${lost}${
            r.active ? '' : ' Nothing is consuming it, so the WAL it keeps grows until the disk is full'
          }${!r.active && (r.xmin_age !== null || r.catalog_xmin_age !== null) ? ' and it holds back VACUUM' : ''}${r.active ? '' : '.'}`,
          recommendation: r.active
            ? `Find out why the consumer of ${r.slot_name} is behind; cap what a slot may keep with ALTER ` +
              `SYSTEM SET max_slot_wal_keep_size = '<size>'; (PostgreSQL 13+).`
            : `If its standby or subscriber is gone for good: SELECT pg_drop_replication_slot(${sqlLiteral(r.slot_name)}); ` +
              'otherwise bring the consumer back. Cap what a slot may keep with max_slot_wal_keep_size ' +
              '(PostgreSQL 13+).',
          evidence: {
            value: retained,
            slot_type: r.slot_type,
            active: r.active,
            temporary: r.temporary,
            wal_status: r.wal_status,
            safe_wal_size: r.safe_wal_size === null ? null : Number(r.safe_wal_size),
            retained_bytes: retained,
            restart_lsn: r.restart_lsn,
            xmin_age: r.xmin_age === null ? null : Number(r.xmin_age),
            catalog_xmin_age: r.catalog_xmin_age === null ? null : Number(r.catalog_xmin_age),
          },
        },
      ];
    });
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'replication slots');
  },
};

/** WAL archiving that is failing now: segments pile up in pg_wal and point-in-time recovery has a gap. */
const walArchiving: Check = {
  id: 'config.wal_archiving',
  targets: ['config', 'performance'],
  async run(ctx) {
    const [r] = await ctx.sql`
      select current_setting('archive_mode') as archive_mode, archived_count::float8 as archived, failed_count::float8 as failed,
             last_archived_wal, last_archived_time, last_failed_wal, last_failed_time,
             coalesce(last_failed_time > coalesce(last_archived_time, '-infinity'), false) as failing,
             extract(epoch from now() - last_archived_time)::float8 as since_archived
        from pg_catalog.pg_stat_archiver`;
    const previousFailed = (ctx.previousState['config.wal_archiving'] as { failed?: number } | undefined)?.failed;
    ctx.state['config.wal_archiving'] = { failed: Number(r.failed) };
    if (r.archive_mode === 'off') return [];
    const failedSinceLastReview = previousFailed === undefined ? null : Number(r.failed) - previousFailed;
    if (!r.failing && !(failedSinceLastReview && failedSinceLastReview > 0)) return [];
    const lastGood = r.last_archived_time
      ? `the last success was ${r.last_archived_wal} at ${new Date(r.last_archived_time).toISOString()} (${formatDuration(Number(r.since_archived))} ` +
        'ago)'
      : 'no segment was ever archived';
    return [
      {
        check: 'config.wal_archiving',
        severity: r.failing ? 'critical' : 'warning',
        object: 'archive_command',
        title: r.failing
          ? `WAL archiving is failing (segment ${r.last_failed_wal})`
          : `WAL archiving failed ${plural(failedSinceLastReview ?? 0, 'time')} since the previous review`,
        detail: `archive_mode is ${r.archive_mode}; ${plural(Number(r.failed), 'failed attempt')} in all, the last on ${r.last_failed_wal} at ${r.last_failed_time ? new Date(r.last_failed_time).toISOString() : 'unknown'}; ${lastGood}.${
          r.failing
            ? ' Until archiving succeeds, WAL accumulates in pg_wal (until the disk is full) and backups ' +
              'cannot be restored past the last archived segment.'
            : ' It recovered, but backups may have had a gap.'
        }`,
        recommendation:
          "Read the archiver's errors in the server log (they show the command's exit status and output), " +
          "fix archive_command or the archive's storage, and verify with SELECT pg_switch_wal(); then " +
          'pg_stat_archiver.',
        evidence: {
          value: Number(r.failed),
          archived_count: Number(r.archived),
          failed_count: Number(r.failed),
          failed_since_last_review: failedSinceLastReview,
          last_failed_wal: r.last_failed_wal,
          last_archived_wal: r.last_archived_wal,
        },
      },
    ];
  },
};

/** On a standby: is it connected to its primary, and how far behind is its replay. */
const standbyReplay: Check = {
  id: 'config.standby_replay',
  targets: ['config', 'performance'],
  async run(ctx) {
    if (!ctx.server.in_recovery) return [];
    const [r] = await ctx.sql`
      select pg_catalog.pg_last_wal_receive_lsn()::text as received, pg_catalog.pg_last_wal_replay_lsn()::text as replayed,
             pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_last_wal_receive_lsn(), pg_catalog.pg_last_wal_replay_lsn())::float8 as unreplayed_bytes,
             extract(epoch from now() - pg_catalog.pg_last_xact_replay_timestamp())::float8 as since_last_replayed_commit,
             pg_catalog.pg_is_wal_replay_paused() as paused,
             (select status from pg_catalog.pg_stat_wal_receiver) as receiver_status`;
    const unreplayed = r.unreplayed_bytes === null ? 0 : Math.max(Number(r.unreplayed_bytes), 0);
    // The time since the last replayed commit is only lag while there is WAL left to replay: on an idle
    // primary nothing new arrives and the timestamp ages without the standby being behind.
    const lagSeconds =
      unreplayed > 0 && r.since_last_replayed_commit !== null ? Number(r.since_last_replayed_commit) : 0;
    const findings: Finding[] = [];
    if (r.receiver_status !== 'streaming') {
      findings.push({
        check: 'config.standby_replay',
        severity: 'critical',
        object: 'wal_receiver',
        title: r.receiver_status
          ? `The standby's WAL receiver is ${r.receiver_status}, not streaming`
          : 'The standby is not receiving WAL from a primary',
        detail:
          `This server is in recovery but its WAL receiver is ${r.receiver_status ?? 'not running'}: it ` +
          'replays only what reaches it from the archive, if anything, and falls further behind. It last ' +
          `received ${r.received ?? 'nothing'} and replayed ${r.replayed ?? 'nothing'}.`,
        recommendation:
          "Check primary_conninfo and primary_slot_name, the primary's pg_hba.conf replication entry and " +
          "this server's log for the receiver's connection errors.",
        evidence: {
          value: unreplayed,
          receiver_status: r.receiver_status,
          received_lsn: r.received,
          replayed_lsn: r.replayed,
        },
      });
    }
    const severity = r.paused ? 'warning' : lagSeverity(lagSeconds, unreplayed);
    if (severity) {
      findings.push({
        check: 'config.standby_replay',
        severity,
        object: 'replay',
        title: r.paused
          ? 'WAL replay is paused on this standby'
          : `Replay is ${formatBytes(unreplayed)} (${formatDuration(lagSeconds)}) behind what this standby received`,
        detail:
          `Received up to ${r.received ?? 'nothing'}, replayed up to ${r.replayed ?? 'nothing'}: ${formatBytes(unreplayed)} ` +
          `wait to be replayed${lagSeconds > 0 ? `, and the last replayed commit is ${formatDuration(lagSeconds)} old` : ''}.${r.paused ? ' Replay was paused with pg_wal_replay_pause().' : ' Queries here see old data, and long standby queries delay replay up to max_standby_streaming_delay.'}`,
        recommendation: r.paused
          ? 'SELECT pg_wal_replay_resume();'
          : "Look for recovery conflicts and long queries on this standby, and for the standby's I/O keeping " +
            "up with the primary's WAL rate.",
        evidence: {
          value: unreplayed,
          unreplayed_bytes: unreplayed,
          lag_seconds: round(lagSeconds, 0),
          paused: r.paused,
          received_lsn: r.received,
          replayed_lsn: r.replayed,
        },
      });
    }
    return findings;
  },
};

/**
 * Queries on a standby cancelled because replay needed what they held. The counters are cumulative,
 * so the verdict is on the change since the previous review; a first review states the total.
 */
const recoveryConflicts: Check = {
  id: 'config.recovery_conflicts',
  targets: ['config', 'performance'],
  async run(ctx) {
    if (!ctx.server.in_recovery) return [];
    const [r] = await ctx.sql`
      select confl_tablespace::float8 as tablespace, confl_lock::float8 as lock, confl_snapshot::float8 as snapshot,
             confl_bufferpin::float8 as bufferpin, confl_deadlock::float8 as deadlock
        from pg_catalog.pg_stat_database_conflicts where datname = current_database()`;
    const counts: Record<string, number> = {
      snapshot: r.snapshot,
      lock: r.lock,
      bufferpin: r.bufferpin,
      deadlock: r.deadlock,
      tablespace: r.tablespace,
    };
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const previous = ctx.previousState['config.recovery_conflicts'] as
      { total?: number; stats_reset?: string | null } | undefined;
    ctx.state['config.recovery_conflicts'] = { total, stats_reset: ctx.server.stats_reset };
    const comparable =
      previous?.total !== undefined && previous.stats_reset === ctx.server.stats_reset && total >= previous.total;
    const count = comparable ? total - previous.total! : total;
    if (count === 0) return [];
    const window = comparable
      ? 'since the previous review'
      : ctx.server.stats_reset
        ? `since statistics were reset (${ctx.server.stats_reset})`
        : 'since statistics collection began';
    return [
      {
        check: 'config.recovery_conflicts',
        severity: comparable ? 'warning' : 'info',
        object: ctx.server.database,
        title: `${plural(count, 'query', 'queries')} on this standby cancelled by recovery conflicts ${window}`,
        detail: `In ${ctx.server.database} ${window}: ${Object.entries(counts)
          .filter(([, n]) => n > 0)
          .map(([kind, n]) => `${n} ${kind}`)
          .join(
            ', ',
          )} (cumulative counts). Replay needed rows, locks or buffers those queries held, and cancelled them after max_standby_streaming_delay.`,
        recommendation:
          'For snapshot conflicts, turn on hot_standby_feedback (it moves the bloat to the primary instead) ' +
          'or raise max_standby_streaming_delay (replay then lags); move long reports to a standby set aside ' +
          'for them.',
        evidence: { value: count, ...counts, window: comparable ? 'previous_review' : 'stats_reset' },
      },
    ];
  },
};

export const replicationChecks: Check[] = [
  standbyReplay,
  standbyLag,
  replicationSlots,
  walArchiving,
  recoveryConflicts,
];
