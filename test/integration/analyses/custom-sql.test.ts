import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCustomSql } from '../../../lib/analyses/custom-sql/run-custom-sql.js';
import { runAnalysis } from '../../../lib/analyses/index.js';
import { openTarget } from '../../../lib/target/open-target.js';
import { createTargetDatabase, targetAdmin, type TargetDatabase } from '../../helpers/target-db.js';

let db: TargetDatabase;
const monitorRole = `customsql_monitor_${randomBytes(4).toString('hex')}`;
const monitorPassword = randomBytes(12).toString('hex');

beforeAll(async () => {
  db = await createTargetDatabase('customsql');
  await db.admin.unsafe(`
    create table events (id int);
    -- A write hidden inside a function: the checker cannot see it, the read-only transaction must stop it.
    create function record_event() returns int language sql volatile as $$ insert into events values (1) returning id $$;
    -- A session-level side effect hidden inside a function: only a rollback undoes it.
    create function leave_mark() returns text language sql volatile as $$ select set_config('pg_reviewer_test.mark', 'left', false) $$;
  `);
  await db.admin.unsafe(`create role ${monitorRole} login password '${monitorPassword}' in role pg_monitor`);
});

afterAll(async () => {
  await db?.drop();
  const root = targetAdmin();
  await root.unsafe(`drop role if exists ${monitorRole}`);
  await root.end();
});

function runStatement(
  customSql: string,
  extra: { max_rows?: number; query_timeout?: number } = {},
  target = db.options(),
) {
  return runAnalysis({
    taskType: 'custom_sql',
    params: { query_timeout: 60, analysis_target: 'queries', custom_sql: customSql, ...extra },
    target,
    previous: null,
  });
}

describe('custom_sql', () => {
  it('serializes every common type faithfully, with PostgreSQL type names', async () => {
    const result = await runStatement(`
      select 9007199254740993::int8 as big,
             1.10::numeric as exact,
             0.1::float8 as ratio,
             true as flag,
             '2024-03-01 12:00:00.5+00'::timestamptz as at,
             '2024-02-29'::date as day,
             '\\x01ff'::bytea as bytes,
             '{"plan": {"rows": 3}}'::jsonb as doc,
             array[1, 2, null]::int4[] as ids,
             null::text as nothing`);

    expect(result.data?.columns).toEqual([
      { name: 'big', type: 'int8' },
      { name: 'exact', type: 'numeric' },
      { name: 'ratio', type: 'float8' },
      { name: 'flag', type: 'bool' },
      { name: 'at', type: 'timestamptz' },
      { name: 'day', type: 'date' },
      { name: 'bytes', type: 'bytea' },
      { name: 'doc', type: 'jsonb' },
      { name: 'ids', type: 'int4[]' },
      { name: 'nothing', type: 'text' },
    ]);
    const [row] = result.data!.rows;
    expect(row.slice(0, 4)).toEqual(['9007199254740993', '1.10', 0.1, true]);
    expect(row[4]).toMatch(/^2024-03-01T\d\d:\d\d:00\.5[+-]\d\d:\d\d$/);
    expect(new Date(row[4] as string).toISOString()).toBe('2024-03-01T12:00:00.500Z');
    expect(row.slice(5)).toEqual(['2024-02-29', '\\x01ff', { plan: { rows: 3 } }, [1, 2, null], null]);
    expect(result.data).toMatchObject({ row_count: 1, truncated: false });
  });

  it('returns data and no findings in the review result', async () => {
    const result = await runStatement('select 1 as one');
    expect(result).toMatchObject({
      task_type: 'custom_sql',
      findings: [],
      not_assessable: [],
      summary: { critical: 0, warning: 0, info: 0, not_assessable: 0 },
    });
    expect(result.data?.rows).toEqual([[1]]);
  });

  it('runs the spec example and sees its own active session', async () => {
    const result = await runStatement(
      "SELECT usename, count(*) FROM pg_stat_activity WHERE state = 'active' GROUP BY usename;",
    );
    expect(result.data?.columns).toEqual([
      { name: 'usename', type: 'name' },
      { name: 'count', type: 'int8' },
    ]);
    expect(result.data?.rows).toContainEqual(['postgres', expect.stringMatching(/^[1-9]\d*$/)]);
  });

  it('runs SHOW and EXPLAIN', async () => {
    expect((await runStatement('show work_mem')).data?.columns).toEqual([{ name: 'work_mem', type: 'text' }]);
    const plan = await runStatement('explain select * from events where id = 1');
    expect(plan.data?.columns).toEqual([{ name: 'QUERY PLAN', type: 'text' }]);
    expect(plan.data?.rows[0][0]).toMatch(/Seq Scan on events/);
  });

  it('caps the result at max_rows and says truncated only when more rows existed', async () => {
    const exact = await runStatement('select g from generate_series(1, 5) g', { max_rows: 5 });
    expect(exact.data).toMatchObject({ row_count: 5, truncated: false, rows: [[1], [2], [3], [4], [5]] });

    const over = await runStatement('select g from generate_series(1, 5) g', { max_rows: 4 });
    expect(over.data).toMatchObject({ row_count: 4, truncated: true, rows: [[1], [2], [3], [4]] });
  });

  it('never produces a huge result in full: a billion-row statement returns its first rows at once', async () => {
    const started = performance.now();
    const result = await runStatement('select generate_series(1, 1000000000) as n', {
      max_rows: 10,
      query_timeout: 30,
    });
    expect(result.data).toMatchObject({ row_count: 10, truncated: true });
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('refuses a write hidden in a function with the read-only transaction error, and writes nothing', async () => {
    await expect(runStatement('select record_event()')).rejects.toThrow(/read-only transaction/);
    const [{ count }] = await db.admin`select count(*)::int as count from events`;
    expect(count).toBe(0);
  });

  it('refuses a SQL function whose body changes a setting, by what its body calls', async () => {
    await expect(runStatement('select leave_mark()')).rejects.toThrow(
      'Function pg_catalog.set_config is not allowed: it changes settings',
    );
  });

  it("rolls the transaction back, so the review's own settings do not outlive the statement", async () => {
    const sql = openTarget(db.options());
    try {
      const params = { query_timeout: 60 };
      const before = await runCustomSql(sql, {
        ...params,
        custom_sql: "select current_setting('bytea_output') as output, pg_backend_pid()",
      });
      await sql.unsafe("set bytea_output = 'escape'");
      const after = await runCustomSql(sql, {
        ...params,
        custom_sql: "select current_setting('bytea_output') as output, pg_backend_pid()",
      });
      const [[, reviewedIn]] = before.data.rows;
      const [[during, readIn]] = after.data.rows;
      // Inside the review its own setting holds; the same session keeps its own after it.
      expect(during).toBe('hex');
      expect(readIn).toBe(reviewedIn);
      expect(await sql.unsafe('show bytea_output')).toEqual([{ bytea_output: 'escape' }]);
    } finally {
      await sql.end();
    }
  });

  it('refuses a statement that is not a read before it reaches the database, with the reason', async () => {
    await expect(runStatement('update events set id = 2')).rejects.toThrow(
      'Only read statements are allowed; found UPDATE',
    );
    await expect(runStatement("select pg_read_file('postgresql.conf')")).rejects.toThrow(
      /^Function pg_read_file is not allowed/,
    );
  });

  it('cancels a statement that runs past query_timeout on the server, with a readable message', async () => {
    // The connection's own timeout is 30 s: only the transaction's statement_timeout can stop this at 1 s.
    const sql = openTarget(db.options({ statementTimeoutSeconds: 30 }));
    const started = performance.now();
    try {
      const error = await runCustomSql(sql, {
        query_timeout: 1,
        custom_sql: 'select count(*) from (select generate_series(1, 10000000000::int8)) s',
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toBe(
        'The statement was cancelled: canceling statement due to statement timeout (query_timeout is 1 s)',
      );
      expect(((error as Error).cause as { code?: string }).code).toBe('57014');
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      await sql.end();
    }
  });

  it('fails the review past a 1 s query_timeout and leaves no statement running', async () => {
    await expect(
      runStatement('select count(*) from (select generate_series(1, 10000000000::int8)) s', { query_timeout: 1 }),
    ).rejects.toThrow(/query_timeout.*1 s/);
    await expect
      .poll(
        async () =>
          (
            await db.admin`select count(*)::int as n from pg_stat_activity where datname = ${db.name} and application_name = 'pg-reviewer' and state = 'active'`
          )[0].n,
        { timeout: 5_000, interval: 200 },
      )
      .toBe(0);
  });

  it("reports the statement's own error, not the aborted transaction after it, and the connection stays usable", async () => {
    const sql = openTarget(db.options());
    try {
      const params = { query_timeout: 60 };
      await expect(
        runCustomSql(sql, { ...params, custom_sql: 'select * from no_such_table -- a trailing comment' }),
      ).rejects.toThrow('relation "no_such_table" does not exist');
      await expect(runCustomSql(sql, { ...params, custom_sql: 'show no_such.setting' })).rejects.toThrow(
        'unrecognized configuration parameter "no_such.setting"',
      );
      const after = await runCustomSql(sql, { ...params, custom_sql: 'select 2 as two -- a trailing comment' });
      expect(after.data).toMatchObject({ columns: [{ name: 'two', type: 'int4' }], rows: [[2]] });
      expect(after.server).toMatchObject({
        database: db.name,
        current_user: 'postgres',
        is_superuser: true,
        version_num: expect.any(Number),
      });
    } finally {
      await sql.end();
    }
  });

  it('lets a pg_monitor role read statistics, and reports plainly what it may not read', async () => {
    const target = db.options({ username: monitorRole, password: monitorPassword });
    const stats = await runStatement('select count(*) from pg_stat_activity', {}, target);
    expect(stats.data?.row_count).toBe(1);
    await expect(runStatement('select * from events', {}, target)).rejects.toThrow(
      /permission denied for table events/,
    );
  });
});
