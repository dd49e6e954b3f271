import { formatCount, round } from '../format.js';
import type { Check, CheckContext, Finding, Severity } from '../types.js';
import { counterWindow } from './counter-window.js';

/**
 * Below this many block accesses the ratio says more about a recent restart or statistics reset
 * (every first touch is a read) than about the cache being too small.
 */
export const MIN_BLOCK_ACCESSES = 10_000;

/** Critical only when the misses are many enough to matter: a million block accesses is 8 GB read. */
export const MIN_CRITICAL_BLOCK_ACCESSES = 1_000_000;

/**
 * PgHero flags a hit rate below cache_hit_rate_threshold (99%): reported as info, since a "miss" here
 * is a read from outside shared_buffers that the OS cache often serves without touching the disk.
 * Below 95% it is a warning; critical needs far lower (80%, where even the OS cache cannot hide it)
 * and enough reads to matter.
 */
export function gradeHitRatio(percent: number, accesses: number): Severity | null {
  if (percent < 80 && accesses >= MIN_CRITICAL_BLOCK_ACCESSES) return 'critical';
  if (percent < 95) return 'warning';
  if (percent < 99) return 'info';
  return null;
}

interface HitRatioSource {
  check: string;
  label: string;
  totals: (ctx: CheckContext) => Promise<{ hit: number; read: number; takenAt: string }>;
  topReaders: (ctx: CheckContext) => Promise<Array<Record<string, unknown>>>;
}

function hitRatioCheck(source: HitRatioSource): Check {
  return {
    id: source.check,
    targets: ['performance'],
    async run(ctx) {
      const totals = await source.totals(ctx);
      const window = counterWindow(
        ctx,
        source.check,
        { hit: totals.hit, read: totals.read },
        ctx.server.stats_reset,
        totals.takenAt,
      );
      const { hit, read } = window.delta;
      const accesses = hit + read;
      if (accesses < MIN_BLOCK_ACCESSES) return [];
      const percent = round((100 * hit) / accesses, 2);
      const severity = gradeHitRatio(percent, accesses);
      if (!severity) return [];
      const readers = await source.topReaders(ctx);
      const finding: Finding = {
        check: source.check,
        severity,
        object: ctx.server.database,
        title: `${source.label} cache hit ratio is ${percent}% (expected at least 99%)`,
        detail:
          `${window.window[0].toUpperCase()}${window.window.slice(1)}, ${formatCount(read)} of ${formatCount(accesses)} ${source.label.toLowerCase()} ` +
          `block accesses in ${ctx.server.database} were read from outside shared_buffers: from the OS cache ` +
          'or the disk (PostgreSQL cannot tell which). The relations read most since statistics were reset are ' +
          'listed in the evidence.',
        recommendation:
          'If the working set should fit in memory, raise shared_buffers (pgtune: about 25% of RAM, restart ' +
          'required) or add RAM; otherwise look at the queries scanning the relations listed (sequential ' +
          'scans of large tables, missing indexes).',
        evidence: {
          value: round(100 - percent, 2),
          hit_percent: percent,
          blocks_hit: hit,
          blocks_read: read,
          window: window.sinceReset ? 'stats_reset' : 'previous_review',
          most_read: readers,
        },
      };
      return [finding];
    },
  };
}

const tableHitRatio = hitRatioCheck({
  check: 'performance.table_cache_hit_ratio',
  label: 'Table',
  async totals(ctx) {
    const [r] = await ctx.sql`
      select coalesce(sum(heap_blks_hit), 0)::float8 as hit, coalesce(sum(heap_blks_read), 0)::float8 as read, to_json(now()) #>> '{}' as taken_at
      from pg_catalog.pg_statio_user_tables`;
    return { hit: r.hit, read: r.read, takenAt: new Date(r.taken_at).toISOString() };
  },
  async topReaders(ctx) {
    const rows = await ctx.sql`
      select schemaname || '.' || relname as relation, heap_blks_read::float8 as blocks_read, heap_blks_hit::float8 as blocks_hit
      from pg_catalog.pg_statio_user_tables
      where heap_blks_read > 0
      order by heap_blks_read desc
      limit 10`;
    return rows.map((r) => ({ ...r }));
  },
});

const indexHitRatio = hitRatioCheck({
  check: 'performance.index_cache_hit_ratio',
  label: 'Index',
  async totals(ctx) {
    const [r] = await ctx.sql`
      select coalesce(sum(idx_blks_hit), 0)::float8 as hit, coalesce(sum(idx_blks_read), 0)::float8 as read, to_json(now()) #>> '{}' as taken_at
      from pg_catalog.pg_statio_user_indexes`;
    return { hit: r.hit, read: r.read, takenAt: new Date(r.taken_at).toISOString() };
  },
  async topReaders(ctx) {
    const rows = await ctx.sql`
      select schemaname || '.' || indexrelname as relation, idx_blks_read::float8 as blocks_read, idx_blks_hit::float8 as blocks_hit
      from pg_catalog.pg_statio_user_indexes
      where idx_blks_read > 0
      order by idx_blks_read desc
      limit 10`;
    return rows.map((r) => ({ ...r }));
  },
});

export const cacheHitChecks: Check[] = [tableHitRatio, indexHitRatio];
