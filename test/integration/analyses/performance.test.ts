import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalysis } from '../../../lib/analyses/index.js';
import type { ReviewResult } from '../../../lib/analyses/types.js';
import { createTargetDatabase, targetAdmin, targetPort, type TargetDatabase } from '../../helpers/target-db.js';
import { asPrevious, findingsOf } from '../../helpers/findings.js';

const reviewPerformance = (
  db: TargetDatabase,
  login: { username: string; password: string } | null = null,
  previous: ReviewResult | null = null,
) =>
  runAnalysis({
    taskType: 'config_check',
    params: { query_timeout: 60, analysis_target: 'performance' },
    target: db.options(login ?? {}),
    previous: previous && asPrevious(previous),
  });

/** A short-lived client: when it ends, its backends exit and flush their pending statistics. */
function plantingClient(db: TargetDatabase, max = 1) {
  return postgres({
    host: '127.0.0.1',
    port: targetPort,
    username: 'postgres',
    database: db.name,
    max,
    onnotice: () => {},
  });
}

/** Cumulative statistics reach shared memory asynchronously; wait until the planted counters are visible. */
async function waitForDatabaseStats(
  db: TargetDatabase,
  ready: (row: Record<string, number>) => boolean,
): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const [row] = await db.admin`
      select temp_files::float8, deadlocks::float8, xact_rollback::float8
      from pg_stat_database where datname = current_database()`;
    if (ready(row)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('planted statistics did not become visible');
}

describe('config_check / performance', () => {
  describe('on a clean database', () => {
    let db: TargetDatabase;
    beforeAll(async () => {
      db = await createTargetDatabase('cfg_perf_clean');
    });
    afterAll(async () => {
      await db?.drop();
    });

    it('finds nothing critical or warning about the database', async () => {
      const result = await reviewPerformance(db);

      expect(result.not_assessable).toEqual([]);
      // performance.requested_checkpoints is server-wide: on the shared test cluster every CREATE and
      // DROP DATABASE of every test file forces a checkpoint, so it may legitimately fire here.
      const serious = result.findings.filter(
        (f) =>
          (f.severity === 'critical' || f.severity === 'warning') && f.check !== 'performance.requested_checkpoints',
      );
      expect(serious).toEqual([]);
    });

    it('runs every check for a role that only has pg_monitor', async () => {
      const admin = targetAdmin();
      const login = {
        username: `cfg_perf_mon_${randomBytes(4).toString('hex')}`,
        password: randomBytes(12).toString('hex'),
      };
      try {
        await admin.unsafe(`create role ${login.username} login password '${login.password}' in role pg_monitor`);
        const result = await reviewPerformance(db, login);
        expect(result.server.current_user).toBe(login.username);
        expect(result.not_assessable).toEqual([]);
      } finally {
        await admin.unsafe(`drop role if exists ${login.username}`);
        await admin.end();
      }
    });
  });

  describe(
    'on a database with a working set larger than its cache, temporary files, a deadlock and failing ' + 'transactions',
    () => {
      let db: TargetDatabase;
      let result: ReviewResult;

      beforeAll(async () => {
        db = await createTargetDatabase('cfg_perf_planted');
        const client = plantingClient(db, 2);
        // 67 MB table: bigger than a quarter of shared_buffers (128 MB), so sequential scans use a small
        // ring buffer and nearly every block counts as a read.
        await client`create table big as select g as id, repeat('x', 100) as pad from generate_series(1, 500000) g`;
        await client`select count(*) from big`;
        await client`select count(*) from big`;
        // A sort larger than work_mem spills to a temporary file.
        await client.begin(async (tx) => {
          await tx`set local work_mem = '64kB'`;
          await tx`select count(*) from (select id from big order by pad desc, id desc limit 400000) s`;
        });
        await plantDeadlock(client);
        // 1,200 failed statements: each is a rolled-back transaction.
        for (let i = 0; i < 1200; i++) await client`select 1 / 0`.catch(() => undefined);
        await client.end();
        await waitForDatabaseStats(db, (row) => row.temp_files > 0 && row.deadlocks > 0 && row.xact_rollback >= 1200);
        result = await reviewPerformance(db);
      }, 120_000);

      afterAll(async () => {
        await db?.drop();
      });

      it(
        'rates a table cache hit ratio far below 99% over tens of thousands of reads a warning and names the ' +
          'table read most',
        async () => {
          const [hit] = findingsOf(result, 'performance.table_cache_hit_ratio');
          expect(hit).toMatchObject({ severity: 'warning', object: db.name, evidence: { window: 'stats_reset' } });
          expect(hit.evidence.hit_percent as number).toBeLessThan(90);
          expect((hit.evidence.most_read as Array<{ relation: string }>)[0].relation).toBe('public.big');
        },
      );

      it('reports the temporary files written, as info', async () => {
        expect(findingsOf(result, 'performance.temp_files')).toMatchObject([
          { severity: 'info', object: db.name, evidence: { temp_files: expect.any(Number) } },
        ]);
      });

      it('reports the deadlock found on a first review as info, counted since statistics were reset', async () => {
        const [deadlock] = findingsOf(result, 'performance.deadlocks');
        expect(deadlock).toMatchObject({
          severity: 'info',
          object: db.name,
          evidence: { value: 1, window: 'stats_reset' },
        });
        expect(deadlock.title).toContain('since statistics were reset');
      });

      it('warns about a deadlock since the previous review, then drops the finding when none happened since', async () => {
        const client = plantingClient(db, 2);
        await plantDeadlock(client);
        await client.end();
        await waitForDatabaseStats(db, (row) => row.deadlocks >= 2);
        const second = await reviewPerformance(db, null, result);
        const [deadlock] = findingsOf(second, 'performance.deadlocks');
        expect(deadlock).toMatchObject({
          severity: 'warning',
          object: db.name,
          evidence: { value: 1, window: 'previous_review' },
        });
        expect(deadlock.title).toContain('since the previous review');
        // The failing statements were before the previous review: too few transactions since to judge.
        expect(findingsOf(second, 'performance.rollback_ratio')).toEqual([]);

        const third = await reviewPerformance(db, null, second);
        expect(findingsOf(third, 'performance.deadlocks')).toEqual([]);
        expect(third.changes.resolved).toContainEqual(
          expect.objectContaining({ check: 'performance.deadlocks', object: db.name }),
        );
      });

      it('rates a commit ratio below 80% critical', async () => {
        const [rollbacks] = findingsOf(result, 'performance.rollback_ratio');
        expect(rollbacks).toMatchObject({ severity: 'critical', object: db.name });
        expect(rollbacks.evidence.rollbacks as number).toBeGreaterThanOrEqual(1200);
      });
    },
  );
});

/** Two transactions lock two rows in opposite order; the deadlock detector aborts one of them. */
async function plantDeadlock(client: postgres.Sql): Promise<void> {
  await client`create table if not exists pair (id int primary key, v int)`;
  await client`insert into pair values (1, 0), (2, 0) on conflict do nothing`;
  const [a, b] = await Promise.all([client.reserve(), client.reserve()]);
  try {
    await a`begin`;
    await b`begin`;
    await a`update pair set v = v + 1 where id = 1`;
    await b`update pair set v = v + 1 where id = 2`;
    const outcomes = await Promise.allSettled([
      a`update pair set v = v + 1 where id = 2`,
      b`update pair set v = v + 1 where id = 1`,
    ]);
    const aborted = outcomes.filter((o) => o.status === 'rejected' && (o.reason as { code?: string }).code === '40P01');
    if (aborted.length !== 1) throw new Error('expected exactly one deadlock victim');
  } finally {
    await a`rollback`;
    await b`rollback`;
    a.release();
    b.release();
  }
}
