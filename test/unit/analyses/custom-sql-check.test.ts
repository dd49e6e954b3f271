import { describe, expect, it } from 'vitest';
import { checkCustomSql } from '../../../lib/analyses/custom-sql/check-custom-sql.js';

const specExample = "SELECT usename, count(*) FROM pg_stat_activity WHERE state = 'active' GROUP BY usename;";

describe('checkCustomSql allows one read statement', () => {
  it.each([
    ['a SELECT', 'select relname, n_live_tup from pg_stat_user_tables order by 2 desc limit 10', 'select'],
    ['the spec example with its trailing semicolon', specExample, 'select'],
    [
      'a WITH whose parts only read',
      'with big as (select relname from pg_class where relpages > 100) select count(*) from big',
      'select',
    ],
    [
      'a recursive WITH',
      'with recursive n(i) as (select 1 union all select i + 1 from n where i < 5) select * from n',
      'select',
    ],
    ['VALUES', "values (1, 'a'), (2, 'b')", 'select'],
    ['TABLE t', 'table pg_stat_activity', 'select'],
    ['SHOW work_mem', 'show work_mem', 'show'],
    ['EXPLAIN SELECT', 'explain select * from pg_class where relname = $$x$$', 'explain'],
    ['EXPLAIN with options other than ANALYZE', 'explain (format json, costs off, verbose) select 1', 'explain'],
    [
      'a read of a statistics reset time, which only looks like a reset',
      'select pg_stat_get_db_stat_reset_time(1)',
      'select',
    ],
    ['a statement hidden behind comments', '/* weekly */ select 1 -- done', 'select'],
  ])('allows %s', async (_, text, kind) => {
    expect(await checkCustomSql(text)).toMatchObject({ ok: true, kind });
  });
});

describe('checkCustomSql refuses, naming what it found', () => {
  it.each([
    ['two statements', 'select 1; select 2', 'Exactly one statement is allowed; found 2'],
    ['a read followed by a write', 'select 1; delete from t', 'Exactly one statement is allowed; found 2'],
    ['only a comment', '-- nothing to run', 'Exactly one statement is allowed; found 0'],
    ['blank text', '   \n ', 'The statement is empty'],
    ['INSERT', 'insert into t values (1)', 'Only read statements are allowed; found INSERT'],
    ['UPDATE', 'update t set a = 1', 'Only read statements are allowed; found UPDATE'],
    ['DELETE', 'delete from t', 'Only read statements are allowed; found DELETE'],
    [
      'MERGE',
      'merge into t using s on t.a = s.a when matched then delete',
      'Only read statements are allowed; found MERGE',
    ],
    ['CREATE', 'create table t (a int)', 'Only read statements are allowed; found CREATE TABLE'],
    ['CREATE INDEX', 'create index on t (a)', 'Only read statements are allowed; found CREATE INDEX'],
    ['DROP', 'drop table t', 'Only read statements are allowed; found DROP'],
    ['ALTER', 'alter table t add column b int', 'Only read statements are allowed; found ALTER TABLE'],
    ['ALTER SYSTEM', "alter system set work_mem = '1GB'", 'Only read statements are allowed; found ALTER SYSTEM'],
    ['COPY', 'copy t to stdout', 'Only read statements are allowed; found COPY'],
    ['COPY of a query to a server file', "copy (select 1) to '/tmp/x'", 'Only read statements are allowed; found COPY'],
    ['DO', 'do $$ begin perform 1; end $$', 'Only read statements are allowed; found DO'],
    ['CALL', 'call p()', 'Only read statements are allowed; found CALL'],
    ['SET', "set work_mem = '1GB'", 'Only read statements are allowed; found SET'],
    ['RESET', 'reset all', 'Only read statements are allowed; found RESET'],
    ['VACUUM', 'vacuum t', 'Only read statements are allowed; found VACUUM'],
    ['ANALYZE', 'analyze t', 'Only read statements are allowed; found ANALYZE'],
    ['GRANT', 'grant select on t to someone', 'Only read statements are allowed; found GRANT'],
    ['REVOKE', 'revoke select on t from someone', 'Only read statements are allowed; found REVOKE'],
    ['TRUNCATE', 'truncate t', 'Only read statements are allowed; found TRUNCATE'],
    ['LOCK', 'lock table t', 'Only read statements are allowed; found LOCK'],
    ['BEGIN', 'begin', 'Only read statements are allowed; found BEGIN'],
    [
      'REFRESH MATERIALIZED VIEW',
      'refresh materialized view m',
      'Only read statements are allowed; found REFRESH MATERIALIZED VIEW',
    ],
    ['SELECT INTO', 'select * into t2 from t', 'SELECT INTO creates a table and is not allowed'],
    ['SELECT ... FOR UPDATE', 'select * from t for update', 'SELECT ... FOR UPDATE locks rows and is not allowed'],
    [
      'FOR SHARE in a subquery',
      'select * from (select * from t for share) s',
      'SELECT ... FOR SHARE locks rows and is not allowed',
    ],
    [
      'a DELETE inside WITH',
      'with x as (delete from t returning *) select * from x',
      'Only read statements are allowed; found DELETE in a WITH clause',
    ],
    [
      'an INSERT inside a nested WITH',
      'with a as (with b as (insert into t values (1) returning a) select * from b) select * from a',
      'Only read statements are allowed; found INSERT in a WITH clause',
    ],
    ['EXPLAIN ANALYZE', 'explain analyze select 1', 'EXPLAIN ANALYZE executes the statement and is not allowed'],
    [
      'EXPLAIN (ANALYZE) among other options',
      'explain (buffers, analyze) select 1',
      'EXPLAIN ANALYZE executes the statement and is not allowed',
    ],
    ['EXPLAIN of a write', 'explain update t set a = 1', 'EXPLAIN is allowed only for a read statement; found UPDATE'],
    [
      'a parameter placeholder',
      'select * from pg_class where relname = $1',
      'Parameters such as $1 are not supported; write the value into the statement',
    ],
  ])('refuses %s', async (_, text, reason) => {
    expect(await checkCustomSql(text)).toEqual({ ok: false, reason });
  });

  it.each([
    ['dblink', "select * from dblink('dbname=prod', 'delete from t') as x(a int)", 'dblink'],
    ['a schema-qualified dblink_exec', "select public.dblink_exec('dbname=prod', 'drop table t')", 'dblink_exec'],
    ['pg_read_file', "select pg_read_file('postgresql.auto.conf')", 'pg_read_file'],
    ['pg_read_file through pg_catalog, upper-case', "SELECT PG_CATALOG.PG_READ_FILE('x')", 'pg_read_file'],
    ['pg_ls_dir as a table', "select * from pg_ls_dir('.')", 'pg_ls_dir'],
    ['lo_import', "select lo_import('/etc/passwd')", 'lo_import'],
    ['pg_sleep in a subquery', 'select * from pg_class where oid in (select 1 from pg_sleep(10))', 'pg_sleep'],
    ['pg_sleep in a WHERE clause', 'select 1 where pg_sleep(5) is not null', 'pg_sleep'],
    ['pg_terminate_backend', 'select pg_terminate_backend(pid) from pg_stat_activity', 'pg_terminate_backend'],
    ['pg_stat_reset', 'select pg_stat_reset()', 'pg_stat_reset'],
    ['pg_stat_statements_reset', 'select pg_stat_statements_reset()', 'pg_stat_statements_reset'],
    ['set_config', "select set_config('default_transaction_read_only', 'off', false)", 'set_config'],
    ['nextval', "select nextval('orders_id_seq')", 'nextval'],
    ['an advisory lock', 'select pg_advisory_lock(42)', 'pg_advisory_lock'],
    [
      'query_to_xml, which runs its text argument',
      "select query_to_xml('delete from t', true, true, '')",
      'query_to_xml',
    ],
    ['crosstab', "select * from crosstab('select 1') as c(a int)", 'crosstab'],
    [
      'a replication slot creation',
      "select pg_create_logical_replication_slot('s', 'pgoutput')",
      'pg_create_logical_replication_slot',
    ],
    ['pg_reload_conf', 'select pg_reload_conf()', 'pg_reload_conf'],
    ['gin_clean_pending_list', "select gin_clean_pending_list('i')", 'gin_clean_pending_list'],
    ['brin_summarize_new_values', "select brin_summarize_new_values('i')", 'brin_summarize_new_values'],
    ['brin_summarize_range', "select brin_summarize_range('i', 0)", 'brin_summarize_range'],
    ['brin_desummarize_range', "select brin_desummarize_range('i', 0)", 'brin_desummarize_range'],
    ['txid_current', 'select txid_current()', 'txid_current'],
    ['bt_index_parent_check', "select bt_index_parent_check('i')", 'bt_index_parent_check'],
    ['pg_background_launch', "select pg_background_launch('vacuum')", 'pg_background_launch'],
    ['http_get', "select * from http_get('http://example.com')", 'http_get'],
    ['aws_lambda.invoke', "select aws_lambda.invoke('f', '{}'::json)", 'aws_lambda.invoke'],
    [
      'aws_s3.query_export_to_s3',
      "select aws_s3.query_export_to_s3('select 1', 'b', 'k')",
      'aws_s3.query_export_to_s3',
    ],
  ])('refuses a call to %s', async (_, text, name) => {
    const verdict = await checkCustomSql(text);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok === false && verdict.reason).toMatch(new RegExp(`^Function (\\w+\\.)?${name} is not allowed: `));
  });

  it('refuses a syntax error with the parser message and the character position', async () => {
    expect(await checkCustomSql('select * form pg_class')).toEqual({
      ok: false,
      reason: 'The statement does not parse: syntax error at or near "form" at character 10',
    });
  });

  it('refuses an unterminated string with the position where it starts', async () => {
    expect(await checkCustomSql("select 'open")).toEqual({
      ok: false,
      reason: `The statement does not parse: unterminated quoted string at or near "'open" at character 8`,
    });
  });
});
