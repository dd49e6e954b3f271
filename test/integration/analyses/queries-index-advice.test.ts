import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalysis } from '../../../lib/analyses/index.js';
import { indexAdviceCheck } from '../../../lib/analyses/queries/index-advice/index-advice.js';
import { readServerFacts } from '../../../lib/analyses/server-facts.js';
import { renderHtml } from '../../../lib/report/render-html.js';
import { renderMarkdown } from '../../../lib/report/render-markdown.js';
import type { ReportData } from '../../../lib/report/report-data.js';
import { openTarget } from '../../../lib/target/open-target.js';
import type { PreviousRun, ReviewResult, TaskParams } from '../../../lib/analyses/types.js';
import { asPrevious, findingsOf } from '../../helpers/findings.js';
import { ensureHypoPG } from '../../helpers/hypopg.js';
import { createTargetDatabase, targetAdmin, type TargetDatabase } from '../../helpers/target-db.js';

// A planted workload: statements by customer (selective, unindexed), by status (three values), on
// a 100-row table and on an indexed column. Each database of this file holds its own statements.

const params = (overrides: Partial<TaskParams> = {}): TaskParams => ({
  query_timeout: 60,
  analysis_target: 'queries',
  ...overrides,
});
const review = (
  db: TargetDatabase,
  options: {
    previous?: PreviousRun;
    login?: { username: string; password: string };
    sql?: ReturnType<typeof openTarget>;
  } = {},
) =>
  runAnalysis({
    taskType: 'query_analysis',
    params: params(),
    target: db.options(options.login),
    previous: options.previous ?? null,
    sql: options.sql,
  });

async function plantWorkload(db: TargetDatabase): Promise<void> {
  await db.admin`create extension pg_stat_statements`;
  await db.admin`create table orders (id bigint primary key, customer_id int, status text, created_at timestamptz, total numeric)`;
  await db.admin`
    insert into orders
    select g, g % 20000, (array['new', 'paid', 'shipped'])[1 + g % 3], timestamptz '2026-01-01' + g * interval '1 minute', g
      from generate_series(1, 200000) g`;
  await db.admin`create table tiny (id int primary key, code int)`;
  await db.admin`insert into tiny select g, g from generate_series(1, 100) g`;
  await db.admin`create table events (id bigint primary key, account_id int, kind text)`;
  await db.admin`insert into events select g, g % 5000, 'k' || g % 7 from generate_series(1, 50000) g`;
  await db.admin`create index events_account_id_idx on events (account_id)`;
  await db.admin`analyze`;
  await runWorkload(db);
}

async function runWorkload(db: TargetDatabase): Promise<void> {
  for (let i = 0; i < 30; i++) {
    await db.admin`select * from orders where customer_id = ${i}`;
    await db.admin`select * from orders where customer_id = ${i} order by created_at desc limit 10`;
    await db.admin`select count(*) from orders where status = ${'paid'}`;
    await db.admin`select * from tiny where code = ${i}`;
    await db.admin`select * from events where account_id = ${i}`;
    // A typed literal: pg_stat_statements stores it as `timestamptz $1`, which does not parse as is.
    await db.admin.unsafe(
      `select count(*) from orders where created_at > timestamptz '2026-03-01' and customer_id = ${i}`,
    );
  }
}

async function queryidOf(db: TargetDatabase, textStart: string): Promise<string> {
  const [row] = await db.admin`
    select queryid::text as queryid from pg_stat_statements
     where dbid = (select oid from pg_database where datname = current_database()) and query like ${`${textStart}%`}`;
  return row.queryid;
}

const adviceOf = (result: ReviewResult) => findingsOf(result, 'queries.index_advice');

describe('index advice proven by the planner with HypoPG', () => {
  let db: TargetDatabase;
  let first: ReviewResult;
  const roles: string[] = [];

  beforeAll(async () => {
    await ensureHypoPG();
    db = await createTargetDatabase('advice');
    await db.admin`create extension hypopg`;
    await plantWorkload(db);
    first = await review(db);
  });

  afterAll(async () => {
    await db?.drop();
    const root = targetAdmin();
    for (const role of roles) await root.unsafe(`drop role if exists "${role}"`);
    await root.end();
  });

  it(
    'proposes one composite index for the two statements filtering orders by customer, with a CREATE INDEX ' +
      'CONCURRENTLY that runs',
    async () => {
      const advice = adviceOf(first);
      expect(advice.map((f) => f.object)).toEqual(['public.orders(customer_id, created_at)']);
      const [finding] = advice;
      expect(finding.recommendation).toBe(
        'CREATE INDEX CONCURRENTLY orders_customer_id_created_at_idx ON public.orders (customer_id, created_at);',
      );
      expect(finding.evidence.method).toBe('hypopg');
      expect(Number(finding.evidence.cost_after)).toBeLessThanOrEqual(Number(finding.evidence.cost_before) / 2);
      const queryids = finding.evidence.queryids as string[];
      expect(queryids).toEqual(
        expect.arrayContaining([
          await queryidOf(db, 'select * from orders where customer_id = $1'),
          await queryidOf(db, 'select * from orders where customer_id = $1 order by'),
        ]),
      );
      expect(finding.evidence.calls).toBeGreaterThanOrEqual(60);
      expect(Number(finding.evidence.estimated_index_bytes)).toBeGreaterThan(0);
      expect(finding.evidence.table_writes).toBeGreaterThanOrEqual(200000);
      const statements = finding.evidence.statements as Array<{ plan_before: string; plan_after: string }>;
      expect(statements[0].plan_before).toMatch(/Seq Scan on orders/);
      expect(statements[0].plan_after).toMatch(/Index.*btree_orders_customer_id_created_at/);
    },
  );

  it('plans the statement stored with a typed literal as `timestamptz $1` by rewriting it to a cast', async () => {
    const typed = await queryidOf(db, 'select count(*) from orders where created_at > timestamptz $1');
    expect(adviceOf(first)[0].evidence.queryids).toContain(typed);
    const coverage = findingsOf(first, 'queries.index_advice_coverage')[0];
    expect(Object.keys((coverage?.evidence.unplannable as object) ?? {})).not.toContain(typed);
  });

  it('shows the statements it serves with their plans before and after in the HTML and Markdown reports', () => {
    const data: ReportData = {
      executionId: 7,
      taskId: 1,
      taskName: 'queries',
      connectionId: 1,
      connectionName: 'shop',
      database: db.name,
      taskType: 'query_analysis',
      trigger: 'manual',
      status: 'completed',
      scheduledFor: null,
      queuedAt: '2026-01-01T00:00:00.000Z',
      startedAt: null,
      completedAt: null,
      attempts: 1,
      errorMessage: null,
      result: first,
    };
    const page = renderHtml(data);
    expect(page).toContain(
      'CREATE INDEX CONCURRENTLY orders_customer_id_created_at_idx ON public.orders (customer_id, created_at);',
    );
    expect(page).toMatch(/<pre class="plan plan-before">[^<]*Seq Scan on orders/);
    expect(page).toMatch(
      /<pre class="plan plan-after">[^<]*Index[^<]*using &lt;\d+&gt;btree_orders_customer_id_created_at/,
    );
    const markdown = renderMarkdown(data);
    expect(markdown).toContain('Statements it serves, with their plans before and after');
    expect(markdown).toMatch(/Plan now:\n\n {2}```\n {2}[^`]*Seq Scan on orders/);
    expect(markdown).toMatch(/Plan with the index:\n\n {2}```\n {2}[^`]*btree_orders_customer_id_created_at/);
  });

  it('gives no advice for a low-selectivity filter, a tiny table or an indexed column', () => {
    const objects = adviceOf(first).map((f) => f.object ?? '');
    expect(objects.filter((o) => /status|tiny|events/.test(o))).toEqual([]);
  });

  it('creates nothing on the target and leaves no hypothetical index or prepared statement in the session', async () => {
    const relationsBefore = await db.admin`select count(*)::int as n from pg_class`;
    const sql = openTarget(db.options());
    try {
      const result = await review(db, { sql });
      expect(adviceOf(result)).toHaveLength(1);
      const [left] = await sql`
        select (select count(*) from hypopg_list_indexes)::int as hypothetical,
               (select count(*) from pg_prepared_statements)::int as prepared,
               current_setting('plan_cache_mode') as plan_cache_mode,
               current_setting('statement_timeout') as statement_timeout`;
      // The connection goes back to the consumer as it came: the next review on it sees none of this.
      expect(left).toEqual({ hypothetical: 0, prepared: 0, plan_cache_mode: 'auto', statement_timeout: '30s' });
    } finally {
      await sql.end();
    }
    expect(await db.admin`select count(*)::int as n from pg_class`).toEqual(relationsBefore);
  });

  it('says it stopped early, and proposes nothing unverified, when its time budget is spent', async () => {
    const sql = openTarget(db.options());
    try {
      // query_timeout 0 leaves the advice step no time at all: a budget spent before the first plan.
      const ctx = {
        sql,
        params: params({ query_timeout: 0 }),
        server: await readServerFacts(sql),
        previous: null,
        state: {},
        previousState: {},
      };
      const findings = await indexAdviceCheck.run(ctx);
      expect(findings.filter((f) => f.check === 'queries.index_advice')).toEqual([]);
      const [coverage] = findings.filter((f) => f.check === 'queries.index_advice_coverage');
      expect(coverage.title).toMatch(/stopped early/);
      expect(coverage.evidence).toMatchObject({ stopped_early: true, candidates: 1 });
    } finally {
      await sql.end();
    }
  });

  it('is not assessable, naming the grant, for a role with only pg_monitor', async () => {
    const username = `advice_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    roles.push(username);
    await db.admin.unsafe(`create role "${username}" login password '${password}' in role pg_monitor`);
    const result = await review(db, { login: { username, password } });
    const entry = result.not_assessable.find((n) => (n.checks ?? [n.check]).includes('queries.index_advice'));
    expect(entry).toBeDefined();
    expect(entry!.enable).toBe(`GRANT SELECT ON public.orders TO ${username};`);
    expect(entry!.reason).toMatch(/SECURITY DEFINER/);
    expect(adviceOf(result)).toEqual([]);
    // The rest of the query review still ran.
    expect(findingsOf(result, 'queries.top_total_time').length).toBeGreaterThan(0);
  });

  it('weighs the next run by the calls since the previous one, keeping the same advice identity', async () => {
    await runWorkload(db);
    const next = await review(db, { previous: asPrevious(first) });
    const [before] = adviceOf(first);
    const [now] = adviceOf(next);
    expect(now.object).toBe(before.object);
    expect(next.changes.new.map((f) => f.object)).not.toContain(before.object);
    // pg_stat_statements counts both runs of the workload; the advice weighs the second alone.
    expect(now.evidence).toMatchObject({ calls: before.evidence.calls, window_is_since_previous_run: true });
    expect(now.evidence).toMatchObject({ table_writes: 0, table_writes_since_previous_run: true });
  });

  it('lists the advice as resolved once the index exists, and the planner uses it', async () => {
    const recommendation = adviceOf(first)[0].recommendation!;
    await db.admin.unsafe(recommendation);
    await db.admin`analyze orders`;
    const [plan] = await db.admin.unsafe(
      `explain (format json) select * from orders where customer_id = 42 order by created_at desc limit 10`,
    );
    expect(JSON.stringify(plan)).toContain('orders_customer_id_created_at_idx');
    await runWorkload(db);
    const after = await review(db, { previous: asPrevious(first) });
    expect(adviceOf(after)).toEqual([]);
    expect(after.changes.resolved.map((f) => f.object)).toContain('public.orders(customer_id, created_at)');
  });
});

describe('index advice without HypoPG', () => {
  let db: TargetDatabase;

  beforeAll(async () => {
    db = await createTargetDatabase('advice_estimate');
    await plantWorkload(db);
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('estimates the gain from pg_stats and says the planner could not verify it', async () => {
    const result = await review(db);
    const advice = adviceOf(result);
    expect(advice.map((f) => f.object)).toEqual(['public.orders(customer_id, created_at)']);
    expect(advice[0].evidence.method).toBe('estimate');
    expect(advice[0].detail).toMatch(/HypoPG is not installed/);
    expect(Number(advice[0].evidence.cost_after)).toBeLessThanOrEqual(Number(advice[0].evidence.cost_before) / 2);
  });
});
