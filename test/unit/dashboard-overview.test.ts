import { describe, expect, it } from 'vitest';
import type { OverviewRow } from '../../db/queries/dashboard.js';
import { summarizeConnections } from '../../lib/dashboard/overview.js';
import { sparkline } from '../../lib/dashboard/sparkline.js';

const base = { connection_name: 'shop', host: 'db', port: 5432, database: 'app' };
const row = (over: Partial<OverviewRow>): OverviewRow => ({
  ...base,
  connection_id: 1,
  task_id: null,
  task_type: null,
  run_id: null,
  run_status: null,
  run_finished_at: null,
  run_summary: null,
  trend: null,
  ...over,
});

describe('the overview of a connection', () => {
  it('keeps the latest run per review type, adds their open findings and names the newest run', () => {
    const [shop] = summarizeConnections([
      row({
        task_id: 1,
        task_type: 'config_check',
        run_id: '10',
        run_status: 'completed',
        run_finished_at: '2026-01-01 00:00:00+00',
        run_summary: { critical: 1, warning: 2, info: 3 },
        trend: '6,4',
      }),
      row({
        task_id: 2,
        task_type: 'config_check',
        run_id: '12',
        run_status: 'completed',
        run_finished_at: '2026-01-01 01:00:00+00',
        run_summary: { critical: 0, warning: 1, info: 0 },
        trend: '1',
      }),
      row({
        task_id: 3,
        task_type: 'table_analysis',
        run_id: '11',
        run_status: 'failed',
        run_finished_at: '2026-01-01 00:30:00+00',
        run_summary: null,
        trend: '5,2,2',
      }),
    ]);
    expect(shop.tasks).toBe(3);
    expect(shop.reviews.map((r) => [r.taskType, r.runId, r.status])).toEqual([
      ['config_check', 12, 'completed'],
      ['table_analysis', 11, 'failed'],
    ]);
    expect(shop.open).toEqual({ critical: 0, warning: 1, info: 0 });
    expect(shop.lastRun?.runId).toBe(12);
    // Each task's runs (newest first) aligned on the newest: [_, 4, 6] + [_, _, 1] + [2, 2, 5].
    expect(shop.trend).toEqual([2, 6, 12]);
  });

  it('lists a connection without tasks or runs too', () => {
    const [empty] = summarizeConnections([row({ connection_id: 7 })]);
    expect(empty).toMatchObject({ id: 7, tasks: 0, reviews: [], lastRun: null, trend: [] });
  });
});

describe('the trend line', () => {
  it('reads its values out in its title and draws the newest point last', () => {
    const svg = String(sparkline([0, 5, 10], 'open findings per run'));
    expect(svg).toContain('<title>open findings per run: 0, 5, 10</title>');
    expect(svg).toContain('<circle cx="93.0" cy="3.0"');
    expect(sparkline([], 'x')).toBe('—');
  });
});
