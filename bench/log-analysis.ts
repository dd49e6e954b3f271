/**
 * log_analysis throughput and memory.
 *
 *   npx tsx bench/log-analysis.ts            (1 GB; LOG_BENCH_MB=200 for a quicker run)
 *
 * Writes a stderr log with a realistic mix (mostly duration lines, errors with STATEMENT,
 * multi-line DETAIL, autovacuum reports, temp files, failed logins) into the target cluster's
 * log directory as postgresql-bench-*.log, owned by postgres, and deletes it afterwards. Then:
 * - end to end: chained log_analysis runs over SQL (each run reads at most the per-run cap and
 *   continues from the previous run's position), as a scheduled task would;
 * - SQL read alone: pg_read_file in 4 MB chunks, decoded as the reader decodes, nothing parsed;
 * - parser alone: the same file read with fs, decoded as the reader decodes (decodeLogText) and
 *   fed to the parser and aggregates in 4 MB chunks,
 *   with heap and RSS sampled at 100 MB and at the end to show memory is flat in log size;
 * - pgBadger (when installed) on the first PGBADGER_MB (64) of the same file, one job, JSON output,
 *   and our parser on the same bytes in the same run: the ratio is what to compare across runs
 *   on a shared machine, not the absolute figures.
 * Prints a table, then the figures as JSON on the last line.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import postgres from 'postgres';
import { runAnalysis } from '../lib/analyses/index.js';
import { LogAggregate } from '../lib/analyses/logs/log-aggregate.js';
import { createParser } from '../lib/analyses/logs/log-format.js';
import { decodeLogText } from '../lib/analyses/logs/log-reader.js';
import { CHUNK_BYTES } from '../lib/analyses/logs/thresholds.js';
import type { PreviousRun, ReviewResult } from '../lib/analyses/types.js';

const PORT = Number(process.env.TARGET_PG_PORT ?? 5433);
const DATA = process.env.TARGET_PG_DATA ?? `/tmp/pg-reviewer-target-${PORT}`;
const TARGET_MB = Number(process.env.LOG_BENCH_MB ?? 1024);
const PGBADGER_MB = Number(process.env.PGBADGER_MB ?? 64);
const PREFIX = '%m [%p] %q%u@%d ';
const MB = 1024 * 1024;

const target = {
  host: '127.0.0.1',
  port: PORT,
  database: 'postgres',
  username: 'postgres',
  password: null,
  sslmode: 'disable' as const,
  statementTimeoutSeconds: 600,
};

// ---------------------------------------------------------------- log generation

let clock = Date.UTC(2026, 0, 1);
let seq = 0;
const rand = (n: number) => Math.floor(Math.random() * n);
const pick = <T>(items: T[]) => items[rand(items.length)];
const stamp = () => `${new Date((clock += rand(3))).toISOString().replace('T', ' ').replace('Z', '')} UTC`;
const head = (
  severity: string,
  who = `${pick(['app', 'app', 'report', 'batch'])}@${pick(['shop', 'shop', 'billing', 'analytics'])}`,
) => `${stamp()} [${10000 + (seq++ % 5000)}] ${who} ${severity}:  `;

const statements = [
  () => `select * from orders where customer_id = ${rand(1e6)} and status = 'paid' order by created_at desc limit 20`,
  () => `update accounts set balance = balance - ${rand(500)}.${rand(100)} where id = ${rand(1e5)}`,
  () => `insert into events (kind, payload, created_at) values ('click', '{"page": "/p/${rand(9999)}"}', now())`,
  () =>
    `select c.id, sum(o.total) from customers c join orders o on o.customer_id = c.id where c.region in ('eu', ` +
    `'us', 'apac') and o.created_at > now() - interval '${rand(30)} days' group by c.id`,
  () => `delete from sessions where last_seen < now() - interval '${rand(48)} hours'`,
  () =>
    `select p.*, (select count(*) from reviews r where r.product_id = p.id) from products p where p.sku = 'SKU-${rand(1e6)}'`,
];

function entry(): string {
  const r = rand(1000);
  if (r < 720) return `${head('LOG')}duration: ${rand(5000)}.${rand(1000)} ms  statement: ${pick(statements)()}\n`;
  if (r < 800) {
    return (
      `${head('LOG')}duration: ${rand(900)}.${rand(1000)} ms  execute S_${rand(20)}: update accounts set ` +
      `balance = balance + $1 where id = $2\n${head('DETAIL')}parameters: $1 = '${rand(100)}', $2 = '${rand(1e5)}'\n`
    );
  }
  if (r < 830) {
    const id = rand(1e6);
    return (
      `${head('ERROR')}duplicate key value violates unique constraint "orders_pkey"\n${head('DETAIL')}Key ` +
      `(id)=(${id}) already exists.\n${head('STATEMENT')}insert into orders (id, customer_id, total) values (${id}, ${rand(1e5)}, ${rand(900)}.00)\n`
    );
  }
  if (r < 850)
    return (
      `${head('ERROR')}relation "tmp_import_${rand(500)}" does not exist at character ${rand(80)}\n${head('STATEMENT')}select ` +
      `* from tmp_import_${rand(500)}\n`
    );
  if (r < 860)
    return `${head('ERROR')}division by zero\n${head('STATEMENT')}select total / ${0} from orders where id = ${rand(1e6)}\n`;
  if (r < 900) {
    const who = `${pick(['app', 'report'])}@${pick(['shop', 'billing'])}`;
    return (
      `${head('LOG', '[unknown]@[unknown]')}connection received: host=10.0.${rand(255)}.${rand(255)} port=${40000 + rand(20000)}\n${head('LOG', who)}connection ` +
      `authorized: user=${who.split('@')[0]} database=${who.split('@')[1]} application_name=api\n`
    );
  }
  if (r < 920) {
    return (
      `${head('LOG')}temporary file: path "base/pgsql_tmp/pgsql_tmp${seq}.${rand(4)}", size ${rand(500) * 8192 * 16}\n${head('STATEMENT')}select ` +
      `* from orders order by md5(note) limit ${rand(1000)}\n`
    );
  }
  if (r < 935) {
    return (
      `${head('LOG', '')}automatic vacuum of table "shop.public.orders": index scans: 1\n` +
      `\tpages: 0 removed, ${rand(1e5)} remain, ${rand(1e4)} scanned (${rand(100)}.00% of total)\n` +
      `\ttuples: ${rand(1e4)} removed, ${rand(1e6)} remain, 0 are dead but not yet removable\n` +
      `\tbuffer usage: ${rand(1e5)} hits, ${rand(1e4)} misses, ${rand(1e3)} dirtied\n` +
      `\tavg read rate: ${rand(100)}.${rand(1000)} MB/s, avg write rate: ${rand(50)}.${rand(1000)} MB/s\n` +
      `\tsystem usage: CPU: user: 0.${rand(100)} s, system: 0.0${rand(10)} s, elapsed: ${rand(9)}.${rand(100)} s\n`
    );
  }
  if (r < 945) {
    return (
      `${head('ERROR')}deadlock detected\n${head('DETAIL')}Process ${seq} waits for ShareLock on transaction ${rand(1e7)}; ` +
      `blocked by process ${seq + 1}.\n` +
      `\tProcess ${seq + 1} waits for ShareLock on transaction ${rand(1e7)}; blocked by process ${seq}.\n` +
      (`\tProcess ${seq}: update accounts set balance = 1 where id = ${rand(100)}\n\tProcess ${seq + 1}: ` +
        `update accounts set balance = 2 where id = ${rand(100)}\n`) +
      (`${head('HINT')}See server log for query details.\n${head('STATEMENT')}update accounts set balance = 1 ` +
        `where id = ${rand(100)}\n`)
    );
  }
  if (r < 960)
    return (
      `${head('LOG')}process ${seq} still waiting for ShareLock on transaction ${rand(1e7)} after ${1000 + rand(4000)}.${rand(1000)} ` +
      'ms\n'
    );
  if (r < 970)
    return (
      `${head('FATAL', `intruder${rand(20)}@shop`)}password authentication failed for user "intruder${rand(20)}"\n${head('DETAIL', `intruder${rand(20)}@shop`)}Connection ` +
      'matched pg_hba.conf line 3: "host all all 0.0.0.0/0 scram-sha-256"\n'
    );
  if (r < 980) {
    return (
      `${head('LOG')}duration: ${rand(30000)}.${rand(1000)} ms  statement: with recent as (\n\t  select * from ` +
      `orders where created_at > now() - interval '1 day'\n\t)\n\tselect count(*) from recent where total > ${rand(1000)}\n`
    );
  }
  if (r < 990)
    return (
      `${head('LOG', '')}checkpoint starting: time\n${head('LOG', '')}checkpoint complete: wrote ${rand(1e4)} ` +
      `buffers (${rand(100)}.${rand(10)}%); 0 WAL file(s) added, 0 removed, ${rand(10)} recycled\n`
    );
  return `${head('ERROR')}canceling statement due to statement timeout\n${head('STATEMENT')}select pg_sleep(${rand(100)})\n`;
}

function generateLog(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    while (written < bytes) {
      const parts: string[] = [];
      let size = 0;
      while (size < 8 * MB) {
        const e = entry();
        parts.push(e);
        size += e.length;
      }
      written += writeSync(fd, parts.join(''));
    }
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------- measurements

interface MemorySample {
  heap_mb: number;
  rss_mb: number;
}

const memory = (): MemorySample => {
  const m = process.memoryUsage();
  return { heap_mb: Math.round(m.heapUsed / MB), rss_mb: Math.round(m.rss / MB) };
};

/** The first `mb` of the log, cut at a line end, as a file of its own. */
function headOf(path: string, mb: number): string {
  const out = `${path}.head`;
  const buffer = Buffer.allocUnsafe(mb * MB);
  const fd = openSync(path, 'r');
  const n = readSync(fd, buffer, 0, buffer.length, 0);
  closeSync(fd);
  const end = buffer.lastIndexOf(10, n - 1) + 1;
  const outFd = openSync(out, 'w');
  writeSync(outFd, buffer, 0, end);
  closeSync(outFd);
  return out;
}

/** pgBadger's speed on a file, or null when it is not installed (apt-get install pgbadger). */
function pgbadgerAlone(path: string): number | null {
  try {
    execFileSync('pgbadger', ['--version'], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const started = performance.now();
  execFileSync('pgbadger', ['-f', 'stderr', '--prefix', PREFIX, '-j', '1', '--quiet', '-o', `${path}.json`, path], {
    stdio: 'ignore',
  });
  const seconds = (performance.now() - started) / 1000;
  rmSync(`${path}.json`, { force: true });
  return statSync(path).size / MB / seconds;
}

function parserAlone(path: string): { mbPerS: number; at100: MemorySample; atEnd: MemorySample; entries: number } {
  const aggregate = new LogAggregate();
  const parser = createParser('stderr', PREFIX, (e) => aggregate.add(e), false);
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  const fd = openSync(path, 'r');
  let position = 0;
  let at100: MemorySample | null = null;
  const started = performance.now();
  try {
    for (
      let n = readSync(fd, buffer, 0, CHUNK_BYTES, position);
      n > 0;
      n = readSync(fd, buffer, 0, CHUNK_BYTES, position)
    ) {
      // Cut at the last newline, so no character is split; the next read starts right after it.
      // Decoded as the reader decodes what pg_read_file sends.
      const end = n === CHUNK_BYTES ? buffer.lastIndexOf(10, n - 1) + 1 : n;
      parser.push(decodeLogText(buffer.subarray(0, end)));
      position += end;
      if (!at100 && position >= 100 * MB) at100 = gcAndSample();
    }
  } finally {
    closeSync(fd);
  }
  parser.finish();
  const seconds = (performance.now() - started) / 1000;
  return {
    mbPerS: position / MB / seconds,
    at100: at100 ?? gcAndSample(),
    atEnd: gcAndSample(),
    entries: aggregate.entries,
  };
}

// Memory is sampled after a full collection, so the figures are what is live, not garbage
// waiting to be collected. --expose-gc can be turned on at run time; `npx tsx` passes no flags.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function gcAndSample(): MemorySample {
  collectGarbage();
  return memory();
}

async function sqlReadAlone(name: string, size: number): Promise<number> {
  const sql = postgres({
    host: target.host,
    port: target.port,
    database: target.database,
    username: target.username,
    max: 1,
    prepare: false,
    onnotice: () => {},
  });
  const started = performance.now();
  try {
    for (let offset = 0; offset < size; offset += CHUNK_BYTES) {
      const [[bytes]] =
        await sql`select pg_read_file(${`log/${name}`}::text, ${offset}::bigint, ${Math.min(CHUNK_BYTES, size - offset)}::bigint) as text`.raw();
      decodeLogText(bytes);
    }
  } finally {
    await sql.end();
  }
  return size / MB / ((performance.now() - started) / 1000);
}

async function endToEnd(
  name: string,
  size: number,
  baseline: ReviewResult,
): Promise<{ mbPerS: number; runs: number; peakRss: number; entries: number }> {
  let previous: PreviousRun = { executionId: 1, result: baseline };
  let peakRss = memory().rss_mb;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, memory().rss_mb)), 50);
  const started = performance.now();
  let runs = 0;
  let entries = 0;
  try {
    for (;;) {
      const result = await runAnalysis({
        taskType: 'log_analysis',
        params: { query_timeout: 600, analysis_target: 'logs' },
        target,
        previous,
      });
      runs++;
      const coverage = result.findings.find((f) => f.check === 'logs.coverage');
      entries += Number(coverage?.evidence.entries ?? 0);
      const offset =
        (result.state['logs.position'] as { files: Record<string, { offset: number }> }).files[name]?.offset ?? 0;
      previous = { executionId: runs + 1, result };
      if (offset >= size || runs > 20) break;
    }
  } finally {
    clearInterval(sampler);
  }
  return { mbPerS: size / MB / ((performance.now() - started) / 1000), runs, peakRss, entries };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const name = `postgresql-bench-${randomBytes(4).toString('hex')}.log`;
  const path = `${DATA}/log/${name}`;
  // The position before the file exists: the bench file is then new to every chained run.
  const baseline = await runAnalysis({
    taskType: 'log_analysis',
    params: { query_timeout: 600, analysis_target: 'logs' },
    target,
    previous: null,
  });
  try {
    const generateStarted = performance.now();
    generateLog(path, TARGET_MB * MB);
    execFileSync('chown', ['postgres:postgres', path]);
    const size = statSync(path).size;
    const generateSeconds = (performance.now() - generateStarted) / 1000;

    const head = headOf(path, Math.min(PGBADGER_MB, TARGET_MB));
    const pgbadger = pgbadgerAlone(head);
    const parserOnHead = parserAlone(head);
    rmSync(head, { force: true });
    const parser = parserAlone(path);
    const sqlRead = await sqlReadAlone(name, size);
    const e2e = await endToEnd(name, size, baseline);

    const figures = {
      log_mb: Math.round(size / MB),
      generated_in_s: Number(generateSeconds.toFixed(1)),
      end_to_end_mb_per_s: Number(e2e.mbPerS.toFixed(1)),
      end_to_end_runs: e2e.runs,
      end_to_end_entries: e2e.entries,
      sql_read_only_mb_per_s: Number(sqlRead.toFixed(1)),
      parser_only_mb_per_s: Number(parser.mbPerS.toFixed(1)),
      parser_entries: parser.entries,
      peak_rss_mb_end_to_end: e2e.peakRss,
      parser_heap_mb_at_100mb: parser.at100.heap_mb,
      parser_heap_mb_at_end: parser.atEnd.heap_mb,
      parser_rss_mb_at_100mb: parser.at100.rss_mb,
      parser_rss_mb_at_end: parser.atEnd.rss_mb,
      pgbadger_mb: Math.min(PGBADGER_MB, TARGET_MB),
      pgbadger_mb_per_s: pgbadger === null ? null : Number(pgbadger.toFixed(1)),
      parser_on_same_mb_per_s: Number(parserOnHead.mbPerS.toFixed(1)),
      parser_vs_pgbadger: pgbadger === null ? null : Number((parserOnHead.mbPerS / pgbadger).toFixed(1)),
      end_to_end_vs_pgbadger: pgbadger === null ? null : Number((e2e.mbPerS / pgbadger).toFixed(1)),
      target_mb_per_s: 45,
    };
    console.table([
      { measure: 'log size (MB)', value: figures.log_mb },
      { measure: 'end to end over SQL (MB/s)', value: figures.end_to_end_mb_per_s },
      { measure: '  runs needed (per-run cap)', value: figures.end_to_end_runs },
      { measure: 'pg_read_file alone (MB/s)', value: figures.sql_read_only_mb_per_s },
      { measure: 'parser + aggregates alone (MB/s)', value: figures.parser_only_mb_per_s },
      { measure: 'entries parsed', value: figures.parser_entries },
      {
        measure: `pgBadger -j 1 on the first ${figures.pgbadger_mb} MB (MB/s)`,
        value: figures.pgbadger_mb_per_s ?? 'not installed',
      },
      { measure: '  our parser on the same bytes (MB/s)', value: figures.parser_on_same_mb_per_s },
      { measure: '  parser / pgBadger', value: figures.parser_vs_pgbadger ?? '–' },
      { measure: '  end to end / pgBadger', value: figures.end_to_end_vs_pgbadger ?? '–' },
      { measure: 'peak RSS end to end (MB)', value: figures.peak_rss_mb_end_to_end },
      { measure: 'parser heap at 100 MB (MB)', value: figures.parser_heap_mb_at_100mb },
      { measure: `parser heap at ${figures.log_mb} MB (MB)`, value: figures.parser_heap_mb_at_end },
      { measure: 'parser RSS at 100 MB (MB)', value: figures.parser_rss_mb_at_100mb },
      { measure: `parser RSS at ${figures.log_mb} MB (MB)`, value: figures.parser_rss_mb_at_end },
    ]);
    console.log(JSON.stringify(figures));
  } finally {
    try {
      unlinkSync(path);
    } catch {
      // never created
    }
  }
}

await main();
