import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAnalysis } from '../../../lib/analyses/index.js';
import type { ReviewResult } from '../../../lib/analyses/types.js';
import { createTargetDatabase, type TargetDatabase } from '../../helpers/target-db.js';
import { asPrevious, findingsOf } from '../../helpers/findings.js';

// Each test has its own database; pg_stat_statements is shared by the cluster, so the "reset"
// below resets only this database's entries, never the counters other test files rely on.

const review = (db: TargetDatabase, previous: ReviewResult | null) =>
  runAnalysis({
    taskType: 'query_analysis',
    params: { query_timeout: 60, analysis_target: 'queries' },
    target: db.options(),
    previous: previous ? asPrevious(previous) : null,
  });

describe('query_analysis between two runs', () => {
  let db: TargetDatabase;

  beforeEach(async () => {
    db = await createTargetDatabase('queries_delta');
    await db.admin`create extension pg_stat_statements`;
    await db.admin`create table items (id int, note text)`;
    await db.admin`insert into items select g, md5(g::text) from generate_series(1, 1000) g`;
  });

  afterEach(async () => {
    await db?.drop();
  });

  // One normalized statement (one queryid) whatever the pattern.
  async function lookup(times: number): Promise<void> {
    for (let i = 0; i < times; i++) await db.admin`select count(*) from items where note like ${'%ab%'}`;
  }

  async function lookupQueryid(): Promise<string> {
    const [row] = await db.admin`
      select queryid::text as queryid from pg_stat_statements
       where dbid = (select oid from pg_database where datname = current_database())
         and query = 'select count(*) from items where note like $1'`;
    return row.queryid;
  }

  it('stores a bounded snapshot of the counters for the next run', async () => {
    await lookup(120);
    const first = await review(db, null);
    const snapshot = first.state['queries.snapshot'] as {
      statements: Array<{ queryid: string; calls: number }>;
      dbid: number;
    };
    expect(snapshot.statements.length).toBeLessThanOrEqual(500);
    expect(snapshot.statements).toContainEqual(expect.objectContaining({ queryid: await lookupQueryid(), calls: 120 }));
    expect(findingsOf(first, 'queries.regression')).toEqual([]);
  });

  it('reports a statement that became much slower since the previous run as queries.regression', async () => {
    await lookup(120);
    const first = await review(db, null);
    // The same statement now scans 100 times as many rows.
    await db.admin`insert into items select g, md5(g::text) from generate_series(1, 100000) g`;
    await lookup(110);
    const second = await review(db, first);

    const queryid = await lookupQueryid();
    const regressions = findingsOf(second, 'queries.regression');
    expect(regressions.map((f) => f.object)).toEqual([queryid]);
    const [regression] = regressions;
    expect(regression.severity).toBe('warning');
    expect(regression.evidence).toMatchObject({ interval_calls: 110, baseline_calls: 120 });
    expect(Number(regression.evidence.interval_mean_ms)).toBeGreaterThan(
      Number(regression.evidence.baseline_mean_ms) * 1.5,
    );
    expect(
      Number(regression.evidence.interval_mean_ms) - Number(regression.evidence.baseline_mean_ms),
    ).toBeGreaterThanOrEqual(5);
    expect(second.changes.new).toContainEqual(
      expect.objectContaining({ check: 'queries.regression', object: queryid }),
    );
    expect(findingsOf(second, 'queries.stats_reset')).toEqual([]);
  });

  it('does not report a statement whose speed did not change', async () => {
    await lookup(120);
    const first = await review(db, null);
    await lookup(120);
    const second = await review(db, first);
    expect(findingsOf(second, 'queries.regression')).toEqual([]);
    expect(findingsOf(second, 'queries.stats_reset')).toEqual([]);
  });

  it('names a statement that is new among the heaviest since the previous run', async () => {
    await lookup(120);
    const first = await review(db, null);
    for (let i = 0; i < 30; i++) await db.admin`select pg_sleep(0.01)`;
    const second = await review(db, first);
    const fresh = findingsOf(second, 'queries.new_top_statement');
    const [row] = await db.admin`
      select queryid::text as queryid from pg_stat_statements
       where dbid = (select oid from pg_database where datname = current_database()) and query = 'select pg_sleep($1)'`;
    expect(fresh.map((f) => f.object)).toContain(row.queryid);
    expect(fresh.find((f) => f.object === row.queryid)!.evidence).toMatchObject({
      interval_calls: 30,
      interval_rank: 1,
    });
  });

  it('reports queries.stats_reset, and no regression, when the counters were reset between runs', async () => {
    await lookup(120);
    const first = await review(db, null);
    const [{ dbid }] =
      await db.admin`select oid::int8::text as dbid from pg_database where datname = current_database()`;
    await db.admin`select pg_stat_statements_reset(0, ${dbid}::oid, 0)`;
    await db.admin`insert into items select g, md5(g::text) from generate_series(1, 100000) g`;
    await lookup(50);
    const second = await review(db, first);

    const [reset] = findingsOf(second, 'queries.stats_reset');
    expect(reset).toMatchObject({ severity: 'info', object: 'pg_stat_statements' });
    expect(Number(reset.evidence.statements_affected)).toBeGreaterThan(0);
    expect(findingsOf(second, 'queries.regression')).toEqual([]);
    expect(findingsOf(second, 'queries.new_top_statement')).toEqual([]);
    expect(second.not_assessable).toEqual([]);

    // The run after a reset is a fresh baseline: no reset is reported again.
    await lookup(10);
    const third = await review(db, second);
    expect(findingsOf(third, 'queries.stats_reset')).toEqual([]);
  });
});
