/**
 * Index advice at workload scale: 200 statements over 50 tables of 20,000 rows on the target
 * cluster (port 5433), HypoPG installed. Times the advice step alone (its share of pg_stat_statements
 * already read, as in a review), the rest of the query review measured in the same run as the
 * baseline, and the advice step without HypoPG (the estimate path). Target: the advice step stays
 * well inside its time budget (a quarter of query_timeout, at most 60 s).
 *
 *   npx tsx bench/index-advice.ts
 *
 * Prints a small table, then the figures as JSON on the last line of stdout.
 */
import { indexAdviceCheck } from '../lib/analyses/queries/index-advice/index-advice.js';
import { TIME_BUDGET_CEILING_MS, TIME_BUDGET_SHARE } from '../lib/analyses/queries/index-advice/thresholds.js';
import { queryChecks } from '../lib/analyses/queries/index.js';
import { readStatements } from '../lib/analyses/queries/statements-source.js';
import { runChecks } from '../lib/analyses/run-checks.js';
import { readServerFacts } from '../lib/analyses/server-facts.js';
import { openTarget } from '../lib/target/open-target.js';
import type { CheckContext, Finding, TaskParams } from '../lib/analyses/types.js';
import { ensureHypoPG } from '../test/helpers/hypopg.js';
import { createTargetDatabase, type TargetDatabase } from '../test/helpers/target-db.js';
import { median, printTable } from './support/figures.js';
import { recordResults } from './support/results-file.js';

const TABLES = 50;
const ROWS = 20_000;
const RUNS = 3;
const QUERY_TIMEOUT_S = 300;

// Four shapes per table: a selective equality, equality plus range, a low-selectivity filter with a
// selective one and a sort, and a range alone; 200 distinct statements in all.
const shapes = (t: string) => [
  `select * from ${t} where account_id = $1`,
  `select * from ${t} where account_id = $1 and created_at > $2`,
  `select id from ${t} where kind = $1 and ref = $2 order by created_at limit $3`,
  `select count(*) from ${t} where created_at between $1 and $2`,
];

async function plant(db: TargetDatabase): Promise<void> {
  await db.admin`create extension pg_stat_statements`;
  await db.admin`create extension hypopg`;
  for (let i = 0; i < TABLES; i++) {
    await db.admin.unsafe(`
      create table t${i} (id bigint primary key, account_id int, ref int, kind text, created_at timestamptz, payload text);
      insert into t${i} select g, g % 2000, g % 5000, 'k' || g % 4, timestamptz '2026-01-01' + g * interval '1 minute', md5(g::text)
        from generate_series(1, ${ROWS}) g;`);
  }
  await db.admin`analyze`;
  for (let i = 0; i < TABLES; i++) {
    const [a, b, c, d] = shapes(`t${i}`);
    for (let call = 0; call < 3; call++) {
      await db.admin.unsafe(a, [call]);
      await db.admin.unsafe(b, [call, '2026-01-05']);
      await db.admin.unsafe(c, ['k1', call, 10]);
      await db.admin.unsafe(d, ['2026-01-02', '2026-01-03']);
    }
  }
}

async function context(db: TargetDatabase, sql: ReturnType<typeof openTarget>): Promise<CheckContext> {
  const params: TaskParams = { query_timeout: QUERY_TIMEOUT_S, analysis_target: 'queries' };
  return { sql, params, server: await readServerFacts(sql), previous: null, state: {}, previousState: {} };
}

async function timeOnce(db: TargetDatabase, sql: ReturnType<typeof openTarget>) {
  const ctx = await context(db, sql);
  let started = performance.now();
  await readStatements(ctx);
  const readMs = performance.now() - started;
  started = performance.now();
  const others = await runChecks(
    queryChecks.filter((c) => c !== indexAdviceCheck),
    ctx,
  );
  const othersMs = performance.now() - started;
  started = performance.now();
  const advice = await indexAdviceCheck.run(ctx);
  const adviceMs = performance.now() - started;
  if (others.notAssessable.length > 0)
    throw new Error(`query checks not assessable: ${JSON.stringify(others.notAssessable)}`);
  return { readMs, othersMs, adviceMs, advice };
}

async function main(): Promise<void> {
  await ensureHypoPG();
  const db = await createTargetDatabase('bench_advice');
  const sql = openTarget(db.options({ statementTimeoutSeconds: QUERY_TIMEOUT_S }));
  try {
    await plant(db);
    await timeOnce(db, sql); // warms caches and the parser
    const runs = [];
    for (let run = 0; run < RUNS; run++) runs.push(await timeOnce(db, sql));
    await db.admin`drop extension hypopg`;
    const estimates = [];
    for (let run = 0; run < RUNS; run++) estimates.push(await timeOnce(db, sql));

    const last: Finding[] = runs[runs.length - 1].advice;
    const coverage = last.find((f) => f.check === 'queries.index_advice_coverage');
    const advice = last.filter((f) => f.check === 'queries.index_advice');
    const adviceMs = median(runs.map((r) => r.adviceMs));
    const reviewMs = median(runs.map((r) => r.readMs + r.othersMs + r.adviceMs));
    const restMs = median(runs.map((r) => r.readMs + r.othersMs));
    const budgetMs = Math.min(QUERY_TIMEOUT_S * 1000 * TIME_BUDGET_SHARE, TIME_BUDGET_CEILING_MS);
    const figures = {
      tables: TABLES,
      statements: TABLES * shapes('t').length,
      advice_ms: Math.round(adviceMs),
      advice_estimate_ms: Math.round(median(estimates.map((r) => r.adviceMs))),
      rest_of_query_review_ms: Math.round(restMs),
      query_review_ms: Math.round(reviewMs),
      advice_share_of_review: Number((adviceMs / reviewMs).toFixed(2)),
      advice_vs_rest_of_review: Number((adviceMs / restMs).toFixed(2)),
      budget_ms: budgetMs,
      advice_share_of_budget: Number((adviceMs / budgetMs).toFixed(3)),
      proposals: advice.length,
      proposals_estimate: estimates[estimates.length - 1].advice.filter((f) => f.check === 'queries.index_advice')
        .length,
      stopped_early: coverage?.evidence.stopped_early === true,
      unplannable: Number(coverage?.evidence.unplannable_count ?? 0),
    };
    console.log(`index advice over ${figures.statements} statements and ${TABLES} tables (median of ${RUNS} runs)`);
    printTable([
      ['step', 'ms'],
      ['index advice (HypoPG)', figures.advice_ms],
      ['index advice (estimate, no HypoPG)', figures.advice_estimate_ms],
      ['rest of the query review (baseline)', figures.rest_of_query_review_ms],
      ['whole query review', figures.query_review_ms],
      ['advice time budget', budgetMs],
    ]);
    console.log(
      `advice is ${Math.round(figures.advice_share_of_review * 100)}% of the query review (${figures.advice_vs_rest_of_review}× ` +
        'the rest of it) and ' +
        (`${(figures.advice_share_of_budget * 100).toFixed(1)}% of its budget; ${figures.proposals} indexes ` +
          `proposed (${figures.proposals_estimate} by estimate)`) +
        `${figures.stopped_early ? '; STOPPED EARLY' : ''}`,
    );
    recordResults('index_advice', figures);
    console.log(JSON.stringify(figures));
  } finally {
    await sql.end();
    await db.drop();
  }
}

await main();
