import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogRefusal } from '../../../lib/analyses/custom-sql/catalog-fence.js';
import { checkCustomSql } from '../../../lib/analyses/custom-sql/check-custom-sql.js';
import { runAnalysis } from '../../../lib/analyses/index.js';
import { validTargets } from '../../../lib/analyses/targets.js';
import type { TaskType } from '../../../lib/analyses/types.js';
import { createTargetDatabase, targetPort, type TargetDatabase } from '../../helpers/target-db.js';

let db: TargetDatabase;

beforeAll(async () => {
  db = await createTargetDatabase('fence');
  // dblink connects back to this very database as the superuser: a writable second session.
  const loopback = `dbname=${db.name} host=127.0.0.1 port=${targetPort} user=postgres`;
  await db.admin.unsafe(`
    create extension dblink;
    create extension amcheck;
    create table docs (id int primary key, body tsvector, at int);
    insert into docs select g, to_tsvector('simple', 'word' || g), g from generate_series(1, 100) g;
    create index docs_body on docs using gin (body) with (fastupdate = on);
    create index docs_at on docs using brin (at);
    create view sneaky as select dblink_exec('${loopback}', 'create table leaked_by_view (id int)') as result;
    create view sneakier as select * from sneaky;
    create function leak() returns text language sql volatile as $$ select dblink_exec('${loopback}', 'create table leaked_by_function (id int)') $$;
    create view leak_view as select leak();
    create function harmless_label() returns text language plpgsql immutable as $$ begin return dblink_exec('${loopback}', 'create table leaked_while_planning (id int)'); end $$;
    create function wrapped(text) returns text language sql as $$ select $1 || dblink_exec('${loopback}', 'create table leaked_by_operator (id int)') $$;
    create operator ### (rightarg = text, function = wrapped);
    create function nested_leak() returns text language sql as $$ select leak() $$;
    create function atomic_leak() returns text language sql begin atomic; select dblink_exec('${loopback}', 'create table leaked_by_atomic (id int)'); end;
    create sequence counter;
    create function next_default(n bigint default nextval('counter')) returns bigint language sql as $$ select n $$;
    create function ordered(text, text) returns boolean language sql as $$ select $1 < $2 || dblink_exec('${loopback}', 'create table leaked_by_sort (id int)') $$;
    create operator <<< (leftarg = text, rightarg = text, function = ordered);
    create function doc_count() returns bigint language sql stable as $$ select count(*) from docs $$;
    create view doc_stats as select count(*) as docs, max(at) as newest from docs;
    create view xid_view as select txid_current() as xid;
    create view "it's\\sneaky" as select * from sneaky;
    create view "o'clock\\docs" as select count(*) as docs from docs;
  `);
});

afterAll(async () => {
  await db?.drop();
});

function run(customSql: string, taskType: TaskType = 'custom_sql') {
  return runAnalysis({
    taskType,
    params: {
      query_timeout: 60,
      analysis_target: validTargets[taskType][0],
      ...(taskType === 'custom_sql' ? { custom_sql: customSql } : {}),
    },
    target: db.options(),
    previous: null,
  });
}

async function leakedTables(): Promise<string[]> {
  const rows = await db.admin<
    { relname: string }[]
  >`select relname from pg_class where relname like 'leaked%' order by relname`;
  return rows.map((r) => r.relname);
}

describe('the custom_sql fence', () => {
  it('refuses a view that wraps dblink_exec, and the view leaves no table behind', async () => {
    await expect(run('select * from sneaky')).rejects.toThrow(
      'Function public.dblink_exec is not allowed: it opens another connection that is not read-only',
    );
    await expect(run('select * from sneakier')).rejects.toThrow(/dblink_exec is not allowed/);
    expect(await leakedTables()).toEqual([]);
  });

  it('looks up names with quotes and backslashes as they are written', async () => {
    await expect(run(`select * from "it's\\sneaky"`)).rejects.toThrow(/dblink_exec is not allowed/);
    const accepted = await run(`select docs from "o'clock\\docs"`);
    expect(accepted.data?.rows).toEqual([['100']]);
    expect(await leakedTables()).toEqual([]);
  });

  it('refuses dblink hidden in a SQL function, a view of it, a SQL function calling it, and an operator', async () => {
    await expect(run('select leak()')).rejects.toThrow(/dblink_exec is not allowed/);
    await expect(run('select * from leak_view')).rejects.toThrow(/dblink_exec is not allowed/);
    await expect(run('select nested_leak()')).rejects.toThrow(/dblink_exec is not allowed/);
    await expect(run("select ### 'x'")).rejects.toThrow(/dblink_exec is not allowed/);
    await expect(run('select atomic_leak()')).rejects.toThrow(/dblink_exec is not allowed/);
    await expect(run("select * from (values ('a'), ('b')) v(t) order by t using <<<")).rejects.toThrow(
      /dblink_exec is not allowed/,
    );
    expect(await leakedTables()).toEqual([]);
  });

  it('refuses a PL/pgSQL function whatever its volatility label, before planning could run it', async () => {
    await expect(run("select harmless_label() where 'a' = 'a'")).rejects.toThrow(
      'Function public.harmless_label is not allowed: it is written in plpgsql, whose body cannot be ' +
        "checked; only built-in functions, read-only extensions' functions and SQL functions are run",
    );
    expect(await leakedTables()).toEqual([]);
  });

  it.each([
    ["select gin_clean_pending_list('docs_body')", /gin_clean_pending_list is not allowed: it maintains an index/],
    ["select brin_summarize_new_values('docs_at')", /brin_summarize_new_values is not allowed: it maintains an index/],
    ["select brin_summarize_range('docs_at', 0)", /brin_summarize_range is not allowed: it maintains an index/],
    ["select brin_desummarize_range('docs_at', 0)", /brin_desummarize_range is not allowed: it maintains an index/],
    ['select txid_current()', /txid_current is not allowed: it assigns a transaction id/],
    ['select pg_current_xact_id()', /pg_current_xact_id is not allowed: it assigns a transaction id/],
    ["select bt_index_parent_check('docs_pkey')", /bt_index_parent_check is not allowed: it takes a ShareLock/],
    ["select * from dblink('dbname=postgres', 'select 1') as t(x int)", /dblink is not allowed/],
    ["select nextval('no_such_sequence')", /nextval is not allowed/],
  ])('refuses %s as written', async (statement, reason) => {
    await expect(run(statement)).rejects.toThrow(reason);
  });

  it('refuses a listed function hidden in a view, by what the view runs', async () => {
    expect(await checkCustomSql('select * from xid_view')).toMatchObject({ ok: true });
    await expect(run('select * from xid_view')).rejects.toThrow(
      'Function pg_catalog.txid_current is not allowed: it assigns a transaction id, which is consumed even ' +
        'when rolled back',
    );
  });

  it("refuses what a SQL function's argument default would run", async () => {
    await expect(run('select next_default()')).rejects.toThrow(
      'Function pg_catalog.nextval is not allowed: it changes a sequence, which is not rolled back',
    );
  });

  it('refuses a volatile built-in that is not known to only read', async () => {
    await expect(run('select pg_export_snapshot()')).rejects.toThrow(
      'Function pg_catalog.pg_export_snapshot is not allowed: it is volatile and not one of the built-ins ' +
        'known to only read',
    );
  });

  it(
    'runs ordinary reads: random(), clock_timestamp(), joins, CTEs, aggregates, views and SQL functions that ' +
      'only read',
    async () => {
      const result = await run(`
      with recent as (select id, at from docs where at > 90)
      select count(*) as n, max(r.at) as newest, random() < 2 as dice, clock_timestamp() is not null as clock,
             (select docs from doc_stats) as total, doc_count() as counted
      from recent r join docs d using (id)`);
      expect(result.data?.rows).toEqual([['10', 100, true, true, '100', '100']]);
      // amcheck's plain check takes only an AccessShareLock and is allowed; its parent check is not.
      expect((await run("select bt_index_check('docs_pkey')")).data?.row_count).toBe(1);
    },
  );

  it('accepts every catalog query that the analyses themselves run, except the server-log file readers', async () => {
    const harvested = await harvestAnalysisQueries();
    expect(harvested.length).toBeGreaterThan(30);
    const refused: Array<{ statement: string; reason: string }> = [];
    const sql = postgres({ ...connectionOf(db), max: 1, onnotice: () => {} });
    const connection = await sql.reserve();
    try {
      await connection.unsafe('begin transaction read only');
      for (const statement of harvested) {
        const verdict = await checkCustomSql(statement);
        const reason = verdict.ok ? await catalogRefusal(connection, verdict.names) : verdict.reason;
        if (reason) refused.push({ statement: statement.slice(0, 200), reason });
      }
    } finally {
      await connection.unsafe('rollback');
      connection.release();
      await sql.end();
    }
    // Reading the server's files is refused to custom_sql by design; the log analysis does it under its own rules.
    const fileReaders =
      /Function (pg_catalog\.)?(pg_ls_logdir|pg_read_binary_file|pg_read_file|pg_stat_file|pg_ls_dir) is not allowed/;
    expect(refused.filter((r) => !fileReaders.test(r.reason))).toEqual([]);
  }, 120_000);

  it('answers a 3,000-term expression with a clear refusal, quickly', async () => {
    const started = performance.now();
    const verdict = await checkCustomSql(`select ${Array.from({ length: 3000 }, (_, i) => i).join(' + ')}`);
    expect(verdict).toEqual({
      ok: false,
      reason: 'The statement nests expressions or subqueries more than 400 levels deep; split it or simplify it',
    });
    const deeper = await checkCustomSql(`select ${Array.from({ length: 20_000 }, () => '1').join('+')}`);
    expect(deeper).toMatchObject({ ok: false, reason: expect.stringMatching(/more than 400 levels deep/) });
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('lets the server refuse a second statement that the parser was made to miss', async () => {
    // A NUL ends the text for the server but not for the parser; the API refuses NUL, this is the last line.
    await expect(run('select 1 as one\u0000; create table leaked_by_nul (id int)')).rejects.toThrow();
    expect(await leakedTables()).toEqual([]);
  });
});

function connectionOf(target: TargetDatabase) {
  const o = target.options();
  return { host: o.host, port: o.port, database: o.database, username: o.username };
}

/** Every statement the four analyses send, with their parameters written in as literals. */
async function harvestAnalysisQueries(): Promise<string[]> {
  const seen = new Set<string>();
  const sql = postgres({
    ...connectionOf(db),
    max: 1,
    prepare: false,
    onnotice: () => {},
    connection: { default_transaction_read_only: true },
    debug: (_connection, query, parameters) => seen.add(withLiterals(query, parameters as unknown[])),
  });
  try {
    for (const taskType of ['config_check', 'table_analysis', 'query_analysis', 'log_analysis'] as const) {
      for (const target of validTargets[taskType]) {
        await runAnalysis({
          taskType,
          params: { query_timeout: 60, analysis_target: target },
          target: db.options(),
          previous: null,
          sql: sql as never,
        });
      }
    }
  } finally {
    await sql.end();
  }
  // The analyses' own transaction framing and session settings are not reads.
  return [...seen].filter(
    (s) => !/^\s*(begin|commit|rollback|set\s|reset\s|savepoint|release)/i.test(s) && !/set_config\(/i.test(s),
  );
}

function withLiterals(query: string, parameters: unknown[]): string {
  const literal = (value: unknown): string => {
    if (value === null || value === undefined) return 'null';
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (Array.isArray(value)) return `array[${value.map(literal).join(', ')}]`;
    return `'${String(value).replace(/'/g, "''")}'`;
  };
  return query.replace(/\$(\d+)/g, (_, n: string) => literal(parameters[Number(n) - 1]));
}
