import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalysis } from '../../../lib/analyses/index.js';
import type { Finding, TaskParams } from '../../../lib/analyses/types.js';
import { createTargetDatabase, targetAdmin, type TargetDatabase } from '../../helpers/target-db.js';
import { findingsOf } from '../../helpers/findings.js';

// pg_stat_statements is cluster-wide and other files run against the same cluster at the same
// time: everything here is planted in databases of this file, and the review reads only the
// reviewed database's entries, so assertions look for our statements, not for exact lists.

const params = (overrides: Partial<TaskParams> = {}): TaskParams => ({
  query_timeout: 60,
  analysis_target: 'queries',
  ...overrides,
});
const review = (
  db: TargetDatabase,
  overrides: Partial<TaskParams> = {},
  login?: { username: string; password: string },
) => runAnalysis({ taskType: 'query_analysis', params: params(overrides), target: db.options(login), previous: null });

async function queryidOf(db: TargetDatabase, textStart: string): Promise<string> {
  const [row] = await db.admin`
    select queryid::text as queryid from pg_stat_statements
     where dbid = (select oid from pg_database where datname = current_database()) and query like ${`${textStart}%`}`;
  return row.queryid;
}

describe('query_analysis on a database with planted statements', () => {
  let db: TargetDatabase;
  let sleepQueryid: string;
  let spillQueryid: string;
  const roles: string[] = [];
  const password = randomBytes(12).toString('hex');

  beforeAll(async () => {
    db = await createTargetDatabase('queries');
    await db.admin`create extension pg_stat_statements`;
    await db.admin`create table accounts (id int primary key, balance int)`;
    await db.admin`insert into accounts select g, g from generate_series(1, 1000) g`;
    // Slow by PgHero's rule: ≥ 20 ms mean over ≥ 100 calls.
    for (let i = 0; i < 100; i++) await db.admin`select pg_sleep(0.025)`;
    for (let i = 0; i < 20; i++) await db.admin`select balance from accounts where id = ${i + 1}`;
    // A sort that cannot fit in 64 kB of work_mem writes temp files.
    for (let i = 0; i < 3; i++) {
      await db.admin.begin(async (tx) => {
        await tx`set local work_mem = '64kB'`;
        await tx`select count(*) from (select g from generate_series(1, 100000) g order by md5(g::text)) sorted`;
      });
    }
    sleepQueryid = await queryidOf(db, 'select pg_sleep');
    spillQueryid = await queryidOf(db, 'select count(*) from (select g from generate_series');
  });

  afterAll(async () => {
    await db?.drop();
    const root = targetAdmin();
    for (const role of roles) await root.unsafe(`drop role if exists "${role}"`);
    await root.end();
  });

  async function createRole(grant: string): Promise<{ username: string; password: string }> {
    const username = `queries_${randomBytes(4).toString('hex')}`;
    roles.push(username);
    await db.admin.unsafe(`create role "${username}" login password '${password}' ${grant}`);
    return { username, password };
  }

  it('reports a statement averaging ≥ 20 ms over ≥ 100 calls as queries.slow, with its queryid and mean', async () => {
    const result = await review(db);
    const slow = findingsOf(result, 'queries.slow').find((f) => f.object === sleepQueryid);
    expect(slow).toBeDefined();
    expect(slow!.severity).toBe('warning');
    expect(slow!.evidence.calls).toBe(100);
    expect(slow!.evidence.mean_ms).toBeGreaterThanOrEqual(25);
    expect(slow!.evidence.value).toBe(slow!.evidence.mean_ms);
    expect(slow!.evidence.query).toBe('select pg_sleep($1)');
    expect(result.not_assessable).toEqual([]);
  });

  it('does not call a statement slow that is fast or run fewer than 100 times', async () => {
    const result = await review(db);
    const slowQueryids = findingsOf(result, 'queries.slow').map((f) => f.object);
    expect(slowQueryids).not.toContain(await queryidOf(db, 'select balance from accounts'));
    expect(slowQueryids).not.toContain(spillQueryid);
  });

  it('lists the heaviest statements by total time, calls and temp files as info findings keyed by queryid', async () => {
    const result = await review(db);
    const topTotal = findingsOf(result, 'queries.top_total_time');
    expect(topTotal[0]).toMatchObject({ severity: 'info', object: sleepQueryid });
    expect(topTotal[0].evidence).toMatchObject({ rank: 1, calls: 100, query: 'select pg_sleep($1)' });
    expect(topTotal.length).toBeLessThanOrEqual(10);
    expect(findingsOf(result, 'queries.top_calls').map((f) => f.object)).toContain(sleepQueryid);
    const spill = findingsOf(result, 'queries.top_temp_written').find((f) => f.object === spillQueryid);
    expect(spill).toBeDefined();
    expect(Number(spill!.evidence.temp_blks_written)).toBeGreaterThan(0);
    expect(spill!.recommendation).toMatch(/^SET work_mem = '\d+MB'/);
  });

  it("leaves out its own reads of pg_stat_statements and the reviewing role's catalog and log-file queries", async () => {
    // The reviewing role here is the planting superuser: what other review families run looks like this.
    for (let i = 0; i < 30; i++)
      await db.admin`select name, size from pg_ls_logdir() order by modification desc limit 5`;
    await review(db);
    const result = await review(db);
    const texts = result.findings.map((f) => String(f.evidence.query ?? ''));
    expect(texts.length).toBeGreaterThan(0);
    expect(texts.some((t) => /pg_stat_statements|pg_stat_database|pg_roles|pg_ls_logdir/.test(t))).toBe(false);
    // Its own work with pg_ functions that are not catalogs stays in.
    expect(texts).toContain('select pg_sleep($1)');
  });

  it('narrows to statements that name one of target_tables', async () => {
    const result = await review(db, { target_tables: ['public.accounts'] });
    const statements = result.findings.filter((f) => f.check.startsWith('queries.'));
    expect(statements.length).toBeGreaterThan(0);
    for (const f of statements) expect(String(f.evidence.query)).toMatch(/accounts/);
    expect(statements.map((f) => f.object)).not.toContain(sleepQueryid);
  });

  it('runs under a role that only has pg_monitor, and still sees every statement', async () => {
    const login = await createRole('in role pg_monitor');
    const result = await review(db, {}, login);
    expect(result.not_assessable).toEqual([]);
    expect(findingsOf(result, 'queries.slow').map((f) => f.object)).toContain(sleepQueryid);
  });

  it('reports the numbers of statements it may not read, and says which grant shows their texts', async () => {
    const login = await createRole('');
    const result = await review(db, {}, login);
    const texts = result.not_assessable.find((n) => n.check === 'queries.query_texts');
    expect(texts).toBeDefined();
    expect(texts!.enable).toBe(`GRANT pg_read_all_stats TO ${login.username};`);
    const hidden = findingsOf(result, 'queries.top_total_time').find((f) => f.object === 'hidden:postgres');
    expect(hidden).toBeDefined();
    expect(hidden!.evidence).toMatchObject({ text_hidden: true, query: null });
    expect(Number(hidden!.evidence.calls)).toBeGreaterThanOrEqual(100);
    // Summed per role, hidden statements have no mean of their own to call slow.
    expect(findingsOf(result, 'queries.slow').filter((f) => f.object?.startsWith('hidden:'))).toEqual([]);
  });

  it('runs under the performance target as well', async () => {
    const result = await review(db, { analysis_target: 'performance' });
    expect(result.analysis_target).toBe('performance');
    expect(findingsOf(result, 'queries.slow').map((f) => f.object)).toContain(sleepQueryid);
  });
});

describe('query_analysis where pg_stat_statements is missing or idle', () => {
  let bare: TargetDatabase;
  let clean: TargetDatabase;

  beforeAll(async () => {
    [bare, clean] = await Promise.all([createTargetDatabase('queries_bare'), createTargetDatabase('queries_clean')]);
    await clean.admin`create extension pg_stat_statements`;
  });

  afterAll(async () => {
    await Promise.all([bare?.drop(), clean?.drop()]);
  });

  it('is not assessable, not failed, without the extension in the database, naming CREATE EXTENSION', async () => {
    const result = await review(bare);
    expect(result.findings).toEqual([]);
    expect(result.not_assessable.length).toBeGreaterThan(0);
    for (const entry of result.not_assessable) expect(entry.enable).toBe('CREATE EXTENSION pg_stat_statements;');
    expect(result.not_assessable.flatMap((n) => n.checks ?? [n.check])).toEqual(
      expect.arrayContaining(['queries.slow', 'queries.regression', 'queries.top_statements']),
    );
  });

  it('finds nothing to warn about on a database with no workload', async () => {
    const result = await review(clean);
    const serious: Finding[] = result.findings.filter((f) => f.severity !== 'info');
    expect(serious).toEqual([]);
    expect(result.not_assessable).toEqual([]);
  });
});
