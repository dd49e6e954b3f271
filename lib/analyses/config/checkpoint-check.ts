import { round } from '../format.js';
import { requirePrimary } from '../server-facts.js';
import type { Check } from '../types.js';
import { counterWindow } from './counter-window.js';

/**
 * None of the anchor tools publishes a number for requested versus timed checkpoints (pgwatch and
 * PgHero only chart them); the PostgreSQL manual's rule is that max_wal_size should be large
 * enough for checkpoints to be triggered mostly by checkpoint_timeout. "Mostly" is read as more
 * than half, over at least ten checkpoints so that a few manual CHECKPOINTs or base backups after
 * a restart do not decide the verdict.
 */
export const MIN_CHECKPOINTS = 10;
export const MAX_REQUESTED_PERCENT = 50;

const requestedCheckpoints: Check = {
  id: 'performance.requested_checkpoints',
  targets: ['performance'],
  async run(ctx) {
    // A standby performs restartpoints, not checkpoints; max_wal_size is judged on the primary.
    requirePrimary(ctx.server);
    // PostgreSQL 17 moved the checkpoint counters from pg_stat_bgwriter to pg_stat_checkpointer.
    const [row] =
      ctx.server.version_num >= 170000
        ? await ctx.sql`select num_timed::float8 as timed, num_requested::float8 as requested, stats_reset, to_json(now()) #>> '{}' as taken_at from pg_catalog.pg_stat_checkpointer`
        : await ctx.sql`select checkpoints_timed::float8 as timed, checkpoints_req::float8 as requested, stats_reset, to_json(now()) #>> '{}' as taken_at from pg_catalog.pg_stat_bgwriter`;
    const statsReset = row.stats_reset ? new Date(row.stats_reset).toISOString() : null;
    const window = counterWindow(
      ctx,
      'performance.requested_checkpoints',
      { timed: row.timed, requested: row.requested },
      statsReset,
      new Date(row.taken_at).toISOString(),
    );
    const { timed, requested } = window.delta;
    const total = timed + requested;
    if (total < MIN_CHECKPOINTS) return [];
    const percent = round((100 * requested) / total, 1);
    if (percent <= MAX_REQUESTED_PERCENT) return [];
    return [
      {
        check: 'performance.requested_checkpoints',
        severity: 'warning',
        object: 'checkpoints',
        title: `${percent}% of checkpoints were requested rather than timed`,
        detail:
          `${window.window[0].toUpperCase()}${window.window.slice(1)}: ${requested} requested and ${timed} ` +
          'timed checkpoints. Requested checkpoints usually mean WAL filled max_wal_size before ' +
          'checkpoint_timeout elapsed, so dirty pages are flushed in bursts and more full-page images are ' +
          'written; manual CHECKPOINT commands, base backups and CREATE DATABASE also count here.',
        recommendation:
          "Raise max_wal_size (ALTER SYSTEM SET max_wal_size = '<larger>'; SELECT pg_reload_conf();) until " +
          'checkpoints are mostly timed; with log_checkpoints on, the log shows what triggered each one.',
        evidence: {
          value: percent,
          requested,
          timed,
          window: window.sinceReset ? 'stats_reset' : 'previous_review',
          stats_reset: statsReset,
        },
      },
    ];
  },
};

export const checkpointChecks: Check[] = [requestedCheckpoints];
