/**
 * table_analysis at scale: a database with 10,000 tables and 30,000 indexes on the target cluster
 * (port 5433), reviewed by runAnalysis and, in the same run, by the anchor tools' own queries run
 * with psql (PgHero's index, maintenance, sequence and space queries, ioguix's table bloat query).
 * Target: table_analysis no slower than 1.5× the anchor queries.
 *
 *   npx tsx bench/table-analysis.ts
 *
 * Prints a small table, then the figures as JSON on the last line of stdout.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAnalysis } from '../lib/analyses/index.js';
import type { ReviewResult } from '../lib/analyses/types.js';
import { createTargetDatabase, targetPort, type TargetDatabase } from '../test/helpers/target-db.js';

const TABLES = 10_000;
const SCHEMAS = 10;
// Tables created per transaction: each one takes a few AccessExclusive locks until commit, and the
// lock table holds max_locks_per_transaction × max_connections of them for the whole cluster.
const BATCH = 250;
const RUNS = 3;

async function plant(db: TargetDatabase): Promise<void> {
  for (let s = 0; s < SCHEMAS; s++) await db.admin.unsafe(`create schema s${s}`);
  // Per table: a serial primary key and two secondary indexes (3 indexes, 30,000 in all), a foreign
  // key to the previous table of its schema, a few rows. Every fiftieth table lacks its FK index,
  // every hundredth duplicates an index, so the checks have something to report.
  for (let start = 0; start < TABLES; start += BATCH) {
    await db.admin.unsafe(`
      do $$
      declare s int; t text; prev text;
      begin
        for i in ${start}..${Math.min(start + BATCH, TABLES) - 1} loop
          s := i % ${SCHEMAS};
          t := format('s%s.t%s', s, i);
          prev := case when i >= ${SCHEMAS} then format('s%s.t%s', s, i - ${SCHEMAS}) end;
          execute format('create table %s (id serial primary key, parent_id int %s, label text, created_at timestamptz default now())',
                         t, case when prev is null then '' else 'references ' || prev end);
          if i % 50 = 0 then
            execute format('create index on %s (label)', t);
          else
            execute format('create index on %s (parent_id)', t);
          end if;
          if i % 100 = 1 then
            execute format('create index on %s (id)', t);
          else
            execute format('create index on %s (created_at, label)', t);
          end if;
          execute format('insert into %s (label) select ''row '' || g from generate_series(1, 5) g', t);
        end loop;
      end $$`);
  }
  await db.admin.unsafe('analyze');
}

// The anchors' queries, as the tools send them (PgHero lib/pghero/methods/*.rb, ioguix table_bloat.sql
// without the pre-12 relhasoids column). PgHero reads sequence positions with UNION ALL batches of 1024,
// generated here from the same catalog query.
const ANCHOR_SQL = String.raw`
-- PgHero indexes (feeds duplicate_indexes and invalid_indexes)
SELECT schemaname AS schema, t.relname AS table, ix.relname AS name,
  regexp_replace(pg_get_indexdef(i.indexrelid), '^[^\(]*\((.*)\)$', '\1') AS columns,
  regexp_replace(pg_get_indexdef(i.indexrelid), '.* USING ([^ ]*) \(.*', '\1') AS using,
  indisunique AS unique, indisprimary AS primary, indisvalid AS valid, indexprs::text, indpred::text,
  pg_get_indexdef(i.indexrelid) AS definition
FROM pg_index i INNER JOIN pg_class t ON t.oid = i.indrelid INNER JOIN pg_class ix ON ix.oid = i.indexrelid
LEFT JOIN pg_stat_user_indexes ui ON ui.indexrelid = i.indexrelid
WHERE schemaname IS NOT NULL ORDER BY 1, 2;

-- PgHero unused_indexes(max_scans: 0)
SELECT schemaname AS schema, relname AS table, indexrelname AS index,
  pg_relation_size(i.indexrelid) AS size_bytes, idx_scan as index_scans
FROM pg_stat_user_indexes ui INNER JOIN pg_index i ON ui.indexrelid = i.indexrelid
WHERE NOT indisunique AND idx_scan <= 0
ORDER BY pg_relation_size(i.indexrelid) DESC, relname ASC;

-- PgHero missing_indexes
SELECT schemaname AS schema, relname AS table,
  CASE idx_scan WHEN 0 THEN 'Insufficient data' ELSE (100 * idx_scan / (seq_scan + idx_scan))::text END percent_of_times_index_used,
  n_live_tup AS estimated_rows
FROM pg_stat_user_tables
WHERE idx_scan > 0 AND (100 * idx_scan / (seq_scan + idx_scan)) < 95 AND n_live_tup >= 10000
ORDER BY n_live_tup DESC, relname ASC;

-- PgHero invalid_constraints
SELECT nsp.nspname AS schema, rel.relname AS table, con.conname AS name, fnsp.nspname AS foreign_schema, frel.relname AS foreign_table
FROM pg_catalog.pg_constraint con
INNER JOIN pg_catalog.pg_class rel ON rel.oid = con.conrelid
LEFT JOIN pg_catalog.pg_class frel ON frel.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace nsp ON nsp.oid = con.connamespace
LEFT JOIN pg_catalog.pg_namespace fnsp ON fnsp.oid = frel.relnamespace
WHERE con.convalidated = 'f';

-- PgHero transaction_id_danger(threshold: 1500000000) and autovacuum_danger
SELECT n.nspname AS schema, c.relname AS table,
  2146483648 - GREATEST(AGE(c.relfrozenxid), AGE(t.relfrozenxid)) AS transactions_left
FROM pg_class c INNER JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_class t ON c.reltoastrelid = t.oid
WHERE c.relkind = 'r' AND (2146483648 - GREATEST(AGE(c.relfrozenxid), AGE(t.relfrozenxid))) < 1500000000
ORDER BY 3, 1, 2;
SELECT n.nspname AS schema, c.relname AS table,
  current_setting('autovacuum_freeze_max_age')::int - GREATEST(AGE(c.relfrozenxid), AGE(t.relfrozenxid)) AS transactions_left
FROM pg_class c INNER JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_class t ON c.reltoastrelid = t.oid
WHERE c.relkind = 'r' AND (current_setting('autovacuum_freeze_max_age')::int - GREATEST(AGE(c.relfrozenxid), AGE(t.relfrozenxid))) < 2000000
ORDER BY 3, 1, 2;

-- PgHero maintenance_info (with dead rows)
SELECT schemaname AS schema, relname AS table, last_vacuum, last_autovacuum, last_analyze, last_autoanalyze, n_dead_tup AS dead_rows, n_live_tup AS live_rows
FROM pg_stat_user_tables ORDER BY 1, 2;

-- PgHero sequences: columns fed by nextval, and which sequences are readable
SELECT n.nspname AS table_schema, c.relname AS table, attname AS column, format_type(a.atttypid, a.atttypmod) AS column_type,
  pg_get_expr(d.adbin, d.adrelid) AS default_value
FROM pg_catalog.pg_attribute a
INNER JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
INNER JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
INNER JOIN pg_catalog.pg_attrdef d ON (a.attrelid, a.attnum) = (d.adrelid, d.adnum)
WHERE NOT a.attisdropped AND a.attnum > 0 AND pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval%' AND n.nspname NOT LIKE 'pg\_temp\_%';
SELECT n.nspname AS schema, c.relname AS sequence, has_sequence_privilege(c.oid, 'SELECT') AS readable
FROM pg_class c INNER JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'S' AND n.nspname NOT IN ('pg_catalog', 'information_schema');

-- PgHero relation_sizes (space page)
SELECT c.oid as oid, n.nspname AS schema, c.relname AS relation, i.inhparent AS parent_oid,
  CASE WHEN c.relkind IN ('r', 'p') THEN 'table' ELSE 'index' END AS type, pg_table_size(c.oid) AS size_bytes
FROM pg_class c LEFT JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_inherits i ON c.oid = i.inhrelid
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast' AND c.relkind IN ('r', 'p', 'I', 'i')
ORDER BY pg_table_size(c.oid) DESC, 2 ASC;

-- ioguix table_bloat.sql (PostgreSQL 12+: no relhasoids)
SELECT current_database(), schemaname, tblname, bs*tblpages AS real_size, (tblpages-est_tblpages)*bs AS extra_size,
  CASE WHEN tblpages > 0 AND tblpages - est_tblpages > 0 THEN 100 * (tblpages - est_tblpages)/tblpages::float ELSE 0 END AS extra_ratio,
  fillfactor, (tblpages-est_tblpages_ff)*bs AS bloat_size,
  CASE WHEN tblpages > 0 AND tblpages - est_tblpages_ff > 0 THEN 100 * (tblpages - est_tblpages_ff)/tblpages::float ELSE 0 END AS bloat_ratio, is_na
FROM (
  SELECT ceil( reltuples / ( (bs-page_hdr)/tpl_size ) ) + ceil( toasttuples / 4 ) AS est_tblpages,
    ceil( reltuples / ( (bs-page_hdr)*fillfactor/(tpl_size*100) ) ) + ceil( toasttuples / 4 ) AS est_tblpages_ff,
    tblpages, fillfactor, bs, tblid, schemaname, tblname, heappages, toastpages, is_na
  FROM (
    SELECT ( 4 + tpl_hdr_size + tpl_data_size + (2*ma)
        - CASE WHEN tpl_hdr_size%ma = 0 THEN ma ELSE tpl_hdr_size%ma END
        - CASE WHEN ceil(tpl_data_size)::int%ma = 0 THEN ma ELSE ceil(tpl_data_size)::int%ma END
      ) AS tpl_size, bs - page_hdr AS size_per_block, (heappages + toastpages) AS tblpages, heappages,
      toastpages, reltuples, toasttuples, bs, page_hdr, tblid, schemaname, tblname, fillfactor, is_na
    FROM (
      SELECT tbl.oid AS tblid, ns.nspname AS schemaname, tbl.relname AS tblname, tbl.reltuples,
        tbl.relpages AS heappages, coalesce(toast.relpages, 0) AS toastpages, coalesce(toast.reltuples, 0) AS toasttuples,
        coalesce(substring(array_to_string(tbl.reloptions, ' ') FROM 'fillfactor=([0-9]+)')::smallint, 100) AS fillfactor,
        current_setting('block_size')::numeric AS bs,
        CASE WHEN version()~'mingw32' OR version()~'64-bit|x86_64|ppc64|ia64|amd64' THEN 8 ELSE 4 END AS ma,
        24 AS page_hdr,
        23 + CASE WHEN MAX(coalesce(s.null_frac,0)) > 0 THEN ( 7 + count(s.attname) ) / 8 ELSE 0::int END AS tpl_hdr_size,
        sum( (1-coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 0) ) AS tpl_data_size,
        bool_or(att.atttypid = 'pg_catalog.name'::regtype) OR sum(CASE WHEN att.attnum > 0 THEN 1 ELSE 0 END) <> count(s.attname) AS is_na
      FROM pg_attribute AS att
        JOIN pg_class AS tbl ON att.attrelid = tbl.oid
        JOIN pg_namespace AS ns ON ns.oid = tbl.relnamespace
        LEFT JOIN pg_stats AS s ON s.schemaname=ns.nspname AND s.tablename = tbl.relname AND s.inherited=false AND s.attname=att.attname
        LEFT JOIN pg_class AS toast ON tbl.reltoastrelid = toast.oid
      WHERE NOT att.attisdropped AND tbl.relkind in ('r','m')
      GROUP BY 1,2,3,4,5,6,7,8,9,10
      ORDER BY 2,3
    ) AS s
  ) AS s2
) AS s3;
`;

function psql(database: string, file: string): void {
  execFileSync(
    'psql',
    [
      '-h',
      '127.0.0.1',
      '-p',
      String(targetPort),
      '-U',
      'postgres',
      '-d',
      database,
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-o',
      '/dev/null',
      '-f',
      file,
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const db = await createTargetDatabase('bench_tables');
  const dir = mkdtempSync(join(tmpdir(), 'table-analysis-bench-'));
  try {
    const setupStarted = performance.now();
    await plant(db);
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    const [counts] = await db.admin`
      select count(*) filter (where c.relkind = 'r') as tables, count(*) filter (where c.relkind = 'i') as indexes,
             count(*) filter (where c.relkind = 'S') as sequences
        from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname ~ '^s[0-9]+$'`;

    // PgHero reads every readable sequence's last_value, 1024 per UNION ALL statement.
    const sequences = await db.admin`
      select format('%I.%I', n.nspname, c.relname) as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where c.relkind = 'S' and n.nspname not in ('pg_catalog', 'information_schema') order by 1`;
    const lastValues: string[] = [];
    for (let i = 0; i < sequences.length; i += 1024) {
      lastValues.push(
        `${sequences
          .slice(i, i + 1024)
          .map((s) => `SELECT last_value FROM ${s.name}`)
          .join(' UNION ALL ')};`,
      );
    }
    const anchorFile = join(dir, 'anchors.sql');
    writeFileSync(anchorFile, `${ANCHOR_SQL}\n${lastValues.join('\n')}\n`);

    const review = () =>
      runAnalysis({
        taskType: 'table_analysis',
        params: { query_timeout: 600, analysis_target: 'tables' },
        target: db.options({ statementTimeoutSeconds: 600 }),
        previous: null,
      });

    // One untimed pass of each warms the OS page cache and the server's shared buffers alike.
    let last: ReviewResult = await review();
    psql(db.name, anchorFile);

    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 5);
    const ours: number[] = [];
    const anchors: number[] = [];
    try {
      for (let run = 0; run < RUNS; run++) {
        let started = performance.now();
        last = await review();
        ours.push(performance.now() - started);
        started = performance.now();
        psql(db.name, anchorFile);
        anchors.push(performance.now() - started);
      }
    } finally {
      clearInterval(sampler);
    }

    const oursMs = Math.round(median(ours));
    const anchorsMs = Math.round(median(anchors));
    const figures = {
      benchmark: 'table_analysis',
      tables: Number(counts.tables),
      indexes: Number(counts.indexes),
      sequences: Number(counts.sequences),
      runs: RUNS,
      table_analysis_ms: oursMs,
      table_analysis_runs_ms: ours.map(Math.round),
      anchor_queries_ms: anchorsMs,
      anchor_queries_runs_ms: anchors.map(Math.round),
      ratio: Number((oursMs / anchorsMs).toFixed(2)),
      target_ratio: 1.5,
      peak_rss_mb: Math.round(peakRss / 1024 ** 2),
      max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      findings: last.summary,
      not_assessable: last.not_assessable.map((n) => n.check),
      setup_s: Math.round(setupSeconds),
    };

    console.log(
      `table_analysis over ${figures.tables} tables, ${figures.indexes} indexes, ${figures.sequences} ` +
        `sequences (median of ${RUNS} runs)`,
    );
    console.table({
      'table_analysis (runAnalysis)': { ms: oursMs, runs: ours.map(Math.round).join(' / ') },
      'anchor queries (psql -f)': { ms: anchorsMs, runs: anchors.map(Math.round).join(' / ') },
    });
    console.log(
      `ratio ${figures.ratio} (target ≤ ${figures.target_ratio}); peak RSS ${figures.peak_rss_mb} MB; findings ${JSON.stringify(last.summary)}`,
    );
    console.log(JSON.stringify(figures));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  }
}

await main();
