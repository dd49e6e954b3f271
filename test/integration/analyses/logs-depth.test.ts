import { rmSync, writeFileSync } from 'node:fs';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalysis } from '../../../lib/analyses/index.js';
import { logChecks } from '../../../lib/analyses/logs/index.js';
import type { LogFormat } from '../../../lib/analyses/logs/log-format.js';
import { scanLogText } from '../../../lib/analyses/logs/scan-text.js';
import type { Finding, ReviewResult } from '../../../lib/analyses/types.js';
import { renderHtml } from '../../../lib/report/render-html.js';
import { renderMarkdown } from '../../../lib/report/render-markdown.js';
import type { ReportData } from '../../../lib/report/report-data.js';
import { pgbadgerJson, pgbench, startLogCluster, type LogCluster } from '../../helpers/log-cluster.js';

// A private cluster (ports 5460–5469 are this file's) that logs everything the log review reads,
// in stderr, csvlog and jsonlog at once; the workload below plants known counts in it.
const PORT = 5461;
const PLANTED = {
  pgbenchClients: 2,
  pgbenchTransactions: 60,
  lockWaits: 2,
  lockHoldMs: 600,
  tempFileRuns: 3,
  checkpoints: 3,
  sessions: 5,
  failedLogins: 6,
  warnings: 4,
  divisionErrors: 3,
};
const SELECT_TEXT = 'select abalance from accounts where aid = $1';
const UPDATE_TEXT = 'update accounts set abalance = abalance + ? where aid = $1';

let cluster: LogCluster;
let admin: postgres.Sql;
let autovacuumCount = 0;
let overSql: ReviewResult;
const byFormat = {} as Record<LogFormat, Finding[]>;
// pgBadger's JSON output is its internal hashes; only the figures compared are read.
let badger: any;
const FORMATS = ['stderr', 'csvlog', 'jsonlog'] as const;
const snapshot = {} as Record<LogFormat, string>;
const STDERR_COPY = `/tmp/pg-reviewer-logs-${PORT}-stderr.log`;
const PGBENCH_SCRIPT = `/tmp/pg-reviewer-logs-${PORT}.pgbench`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function report(format: LogFormat, target: 'logs' | 'security'): Finding[] {
  const scan = scanLogText([snapshot[format]], {
    format,
    logLinePrefix: cluster.prefix,
    logMinDurationStatementMs: 0,
    maxWalSizeMb: 1024,
  });
  return logChecks.filter((c) => c.targets.includes(target)).flatMap((c) => c.report(scan));
}

async function plantLockWait(): Promise<void> {
  const holder = await admin.reserve();
  const waiter = await admin.reserve();
  try {
    await holder`begin`;
    await holder`update accounts set abalance = abalance where aid = 1`;
    const waiting = waiter`update accounts set abalance = abalance where aid = 1`.execute();
    await sleep(PLANTED.lockHoldMs);
    await holder`commit`;
    await waiting;
  } finally {
    holder.release();
    waiter.release();
  }
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

beforeAll(async () => {
  cluster = startLogCluster(
    PORT,
    {
      log_min_duration_statement: 0,
      log_lock_waits: 'on',
      deadlock_timeout: "'100ms'",
      log_temp_files: 0,
      log_checkpoints: 'on',
      log_autovacuum_min_duration: 0,
      autovacuum_naptime: "'1s'",
      log_connections: 'on',
      log_disconnections: 'on',
      archive_mode: 'on',
      archive_command: "'false'",
    },
    ['local all all trust', 'host all postgres 127.0.0.1/32 trust', 'host all all 127.0.0.1/32 scram-sha-256'],
  );
  admin = cluster.admin();
  await admin`create table accounts (aid int primary key, abalance int not null default 0)`;
  await admin`insert into accounts (aid) select g from generate_series(1, 1000) g`;
  await admin`create table big as select g from generate_series(1, 200000) g`;
  await admin`create table churn (id int primary key, v int) with (autovacuum_vacuum_threshold = 0, autovacuum_vacuum_scale_factor = 0, autovacuum_analyze_threshold = 0, autovacuum_analyze_scale_factor = 0)`;
  await admin`insert into churn select g, 0 from generate_series(1, 100) g`;
  await admin.unsafe("create role sess_user login password 'sess-password'");
  await admin.unsafe("create role victim login password 'victim-password'");

  // Statements over the extended protocol: every run logs parse, bind and execute lines.
  writeFileSync(
    PGBENCH_SCRIPT,
    '\\set aid random(1, 1000)\nselect abalance from accounts where aid = :aid;\nupdate accounts set ' +
      'abalance = abalance + 1 where aid = :aid;\n',
  );
  pgbench(cluster, [
    '-n',
    '-M',
    'extended',
    '-f',
    PGBENCH_SCRIPT,
    '-c',
    String(PLANTED.pgbenchClients),
    '-t',
    String(PLANTED.pgbenchTransactions),
    'postgres',
  ]);

  for (let i = 0; i < PLANTED.lockWaits; i++) await plantLockWait();

  const spiller = await admin.reserve();
  try {
    await spiller`set work_mem = '64kB'`;
    for (let i = 0; i < PLANTED.tempFileRuns; i++)
      await spiller`select count(*) from (select g from big order by g desc) s`;
  } finally {
    spiller.release();
  }

  await admin.unsafe('checkpoint;');
  await admin.unsafe('checkpoint;');
  await admin.unsafe('checkpoint');

  for (let i = 0; i < PLANTED.sessions; i++) {
    const session = postgres({
      host: '127.0.0.1',
      port: PORT,
      username: 'sess_user',
      password: 'sess-password',
      database: 'postgres',
      max: 1,
    });
    await session`select 1`;
    await session.end();
  }
  for (let i = 0; i < PLANTED.failedLogins; i++) {
    const intruder = postgres({
      host: '127.0.0.1',
      port: PORT,
      username: 'victim',
      password: `guess-${i}`,
      database: 'postgres',
      max: 1,
      connect_timeout: 5,
    });
    await expect(intruder`select 1`).rejects.toThrow();
    await intruder.end({ timeout: 1 });
  }
  for (let i = 0; i < PLANTED.warnings; i++) await admin.unsafe("do $$ begin raise warning 'planted warning'; end $$");
  for (let i = 0; i < PLANTED.divisionErrors; i++) await expect(admin`select 1 / 0`).rejects.toThrow();

  // Autovacuum: churn until it ran twice, then stop it, so the statistics count is final.
  await waitFor(async () => {
    await admin`update churn set v = v + 1`;
    const [row] = await admin<
      { n: number }[]
    >`select autovacuum_count::int as n from pg_stat_user_tables where relname = 'churn'`;
    return row.n >= 2;
  }, 'two autovacuum runs');
  await admin`alter table churn set (autovacuum_enabled = false)`;
  await sleep(1500);
  [{ n: autovacuumCount }] = await admin<
    { n: number }[]
  >`select autovacuum_count::int as n from pg_stat_user_tables where relname = 'churn'`;

  // Archiving fails (archive_command = 'false') as soon as a WAL segment is complete; then it is
  // switched off, so the three files end with the same failures.
  await admin`select pg_switch_wal()`;
  await waitFor(async () => cluster.logText('stderr').includes('archive command failed'), 'an archive failure');
  await admin.unsafe("alter system set archive_command = ''");
  await admin`select pg_reload_conf()`;
  await sleep(1500);

  await admin.unsafe("do $$ begin raise log 'pg-reviewer depth test end'; end $$");
  await waitFor(
    async () => FORMATS.every((f) => cluster.logText(f).includes('pg-reviewer depth test end')),
    'the end marker in every format',
  );

  // One snapshot of each file, so the three formats and pgBadger read the same events.
  for (const format of FORMATS) snapshot[format] = cluster.logText(format);
  writeFileSync(STDERR_COPY, snapshot.stderr);
  for (const format of FORMATS) byFormat[format] = [...report(format, 'logs'), ...report(format, 'security')];
  badger = pgbadgerJson(STDERR_COPY, 'stderr', cluster.prefix);
  overSql = await runAnalysis({
    taskType: 'log_analysis',
    params: { query_timeout: 60, analysis_target: 'logs' },
    target: {
      host: '127.0.0.1',
      port: PORT,
      database: 'postgres',
      username: 'postgres',
      password: null,
      sslmode: 'disable',
      statementTimeoutSeconds: 30,
    },
    previous: null,
  });
}, 240_000);

afterAll(async () => {
  await admin?.end({ timeout: 1 });
  cluster?.stop();
  rmSync(STDERR_COPY, { force: true });
  rmSync(PGBENCH_SCRIPT, { force: true });
  rmSync(`${STDERR_COPY}.pgbadger.json`, { force: true });
});

const one = (findings: Finding[], check: string, object?: string) => {
  const found = findings.filter((f) => f.check === check && (object === undefined || f.object === object));
  expect(found, `${check} ${object ?? ''}`).toHaveLength(1);
  return found[0];
};
const statement = (findings: Finding[], text: string) => {
  const found = findings.find((f) => f.check === 'logs.top_statements' && f.evidence.statement === text);
  expect(found, text).toBeDefined();
  return found!.evidence;
};
const badgerQuery = (text: string) =>
  badger.normalyzed_info.postgres[`${text};`] ?? badger.normalyzed_info.postgres[text];
const perFormat = (check: (findings: Finding[], format: LogFormat | 'over SQL') => void) => {
  for (const format of FORMATS) check(byFormat[format], format);
};

describe('log analysis at pgBadger depth, on a log a real server wrote in three formats', () => {
  it('counts every execute of a statement once, over every logged run, with parse and bind apart', () => {
    const runs = PLANTED.pgbenchClients * PLANTED.pgbenchTransactions;
    perFormat((findings) => {
      for (const text of [SELECT_TEXT, UPDATE_TEXT])
        expect(statement(findings, text.replace('$1', '?')).count).toBe(runs);
      const summary = one(findings, 'logs.statement_summary').evidence as {
        parse: { count: number };
        bind: { count: number };
        runs: number;
      };
      expect(summary.parse.count).toBeGreaterThanOrEqual(2 * runs);
      expect(summary.bind.count).toBeGreaterThanOrEqual(2 * runs);
    });
    for (const text of [SELECT_TEXT, UPDATE_TEXT])
      expect(statement(overSql.findings, text.replace('$1', '?')).count).toBe(runs);
  });

  it('ranks statements by total time with the same counts and totals as pgBadger', () => {
    const ranked = byFormat.stderr.filter((f) => f.check === 'logs.top_statements');
    expect(ranked.map((f) => f.evidence.total_ms)).toEqual(
      [...ranked.map((f) => f.evidence.total_ms)].sort((a, b) => Number(b) - Number(a)),
    );
    for (const text of [
      SELECT_TEXT.replace('$1', '?'),
      UPDATE_TEXT.replace('$1', '?'),
      'select count(*) from (select g from big order by g desc) s',
    ]) {
      const ours = statement(byFormat.stderr, text);
      const theirs = badgerQuery(text);
      expect(theirs, text).toBeDefined();
      expect(ours.count).toBe(theirs.count);
      expect(ours.total_ms).toBeCloseTo(theirs.duration, 2);
    }
    const summary = one(byFormat.stderr, 'logs.statement_summary').evidence as { runs: number; total_ms: number };
    expect(summary.runs).toBe(badger.overall_stat.queries_number);
    expect(summary.total_ms).toBeCloseTo(badger.overall_stat.postgres.queries_duration.execute, 1);
  });

  it('treats "checkpoint;" and "checkpoint" as one statement', () => {
    perFormat((findings) => expect(statement(findings, 'checkpoint').count).toBe(PLANTED.checkpoints));
  });

  it('reports lock waits with their full durations from the acquired lines, by lock and relation', () => {
    perFormat((findings) => {
      const waits = one(findings, 'logs.lock_waits', 'postgres').evidence as Record<string, any>;
      expect(waits.count).toBe(PLANTED.lockWaits);
      expect(waits.acquired).toBe(PLANTED.lockWaits);
      // deadlock_timeout is 100 ms; the holder kept the lock 600 ms, so the real waits are longer.
      expect(waits.max_wait_ms).toBeGreaterThanOrEqual(PLANTED.lockHoldMs - 50);
      expect(waits.by_lock[0]).toMatchObject({
        mode: 'ShareLock',
        object: 'transaction',
        relation: 'accounts',
        waits: PLANTED.lockWaits,
      });
      expect(waits.total_wait_ms).toBeCloseTo(badger.lock_info.postgres.ShareLock.duration, 2);
    });
  });

  it('ties temporary files to the extended-protocol statement that made them, with sizes pgBadger agrees with', () => {
    perFormat((findings) => {
      const spill = findings.find(
        (f) =>
          f.check === 'logs.temp_file_statements' &&
          f.evidence.statement === 'select count(*) from (select g from big order by g desc) s',
      );
      expect(spill?.evidence.count).toBe(PLANTED.tempFileRuns);
      const total = one(findings, 'logs.temp_files', 'postgres').evidence;
      expect(total.count).toBe(badger.tempfile_info.postgres.count);
      expect(total.bytes).toBe(badger.tempfile_info.postgres.size);
      expect(
        findings.some(
          (f) => f.check === 'logs.temp_file_statements' && f.evidence.statement === '(statement not logged)',
        ),
      ).toBe(false);
    });
  });

  it('reports checkpoints by cause with write and sync times', () => {
    perFormat((findings) => {
      const c = one(findings, 'logs.checkpoints').evidence as Record<string, any>;
      expect(c.started.requested).toBe(PLANTED.checkpoints);
      expect(c.completed).toBe(PLANTED.checkpoints);
      expect(c.buffers_written).toBe(badger.checkpoint_info.wbuffer);
      expect(c.write_seconds).toBeCloseTo(badger.checkpoint_info.write, 3);
      expect(c.sync_seconds).toBeCloseTo(badger.checkpoint_info.sync, 3);
    });
  });

  it('counts autovacuum runs per table as the server counted them', () => {
    expect(autovacuumCount).toBeGreaterThanOrEqual(2);
    perFormat((findings) => {
      const churn = one(findings, 'logs.autovacuum', 'postgres.public.churn').evidence;
      expect(churn.vacuums).toBe(autovacuumCount);
      expect(churn.vacuums).toBe(badger.autovacuum_info.postgres.tables['postgres.public.churn'].vacuums);
      expect(churn.analyzes).toBe(badger.autoanalyze_info.postgres.tables['postgres.public.churn'].analyzes);
      expect(churn.tuples_removed).toBe(badger.autovacuum_info.postgres.tables['postgres.public.churn'].tuples.removed);
    });
  });

  it('reports connections and sessions per user, database and host', () => {
    perFormat((findings) => {
      const c = one(findings, 'logs.connections').evidence as Record<string, any>;
      expect(c.by_user.find((u: { name: string }) => u.name === 'sess_user')).toMatchObject({
        connections: PLANTED.sessions,
        sessions: PLANTED.sessions,
      });
      expect(c.sessions).toBe(badger.session_info.postgres.count);
      expect(c.connections_authorized).toBe(badger.connection_info.postgres.count);
      expect(c.by_host).toEqual([expect.objectContaining({ name: '127.0.0.1', sessions: c.sessions })]);
    });
  });

  it(
    'escalates repeated failed logins from one host to a critical finding, the host read from the connection ' + 'line',
    () => {
      perFormat((findings) => {
        expect(one(findings, 'logs.auth_failures', 'victim@127.0.0.1').evidence.count).toBe(PLANTED.failedLogins);
        expect(one(findings, 'logs.brute_force_host', 'host:127.0.0.1')).toMatchObject({
          severity: 'critical',
          evidence: { count: PLANTED.failedLogins, users: { victim: PLANTED.failedLogins } },
        });
        expect(one(findings, 'logs.brute_force_user', 'role:victim').severity).toBe('critical');
      });
    },
  );

  it('reports warnings, errors and archive failures', () => {
    const failures = new Set<number>();
    perFormat((findings) => {
      expect(
        findings.find((f) => f.check === 'logs.warnings' && f.title === 'WARNING: planted warning')?.evidence.count,
      ).toBe(PLANTED.warnings);
      expect(
        findings.find((f) => f.check === 'logs.frequent_errors' && f.title === 'ERROR: division by zero')?.evidence
          .count,
      ).toBe(PLANTED.divisionErrors);
      const archive = one(findings, 'logs.archive_failures', 'archive_command');
      expect(archive.severity).toBe('warning');
      failures.add(Number(archive.evidence.count));
    });
    expect([...failures]).toHaveLength(1);
    expect([...failures][0]).toBeGreaterThanOrEqual(1);
  });

  it('reads the same figures over SQL as from the files', () => {
    const waits = one(overSql.findings, 'logs.lock_waits', 'postgres').evidence;
    expect(waits).toMatchObject({ count: PLANTED.lockWaits, acquired: PLANTED.lockWaits });
    expect(statement(overSql.findings, 'checkpoint').count).toBe(PLANTED.checkpoints);
    expect(one(overSql.findings, 'logs.autovacuum', 'postgres.public.churn').evidence.vacuums).toBe(autovacuumCount);
  });

  it('shows the log sections in the HTML and Markdown reports as tables, not JSON', () => {
    const data: ReportData = {
      executionId: 7,
      taskId: 1,
      taskName: 'Nightly logs',
      connectionId: 1,
      connectionName: 'local',
      database: 'postgres',
      taskType: 'log_analysis',
      trigger: 'schedule',
      status: 'completed',
      scheduledFor: null,
      queuedAt: '2026-01-01T00:00:00.000Z',
      startedAt: null,
      completedAt: null,
      attempts: 1,
      errorMessage: null,
      result: overSql,
    };
    const markdown = renderMarkdown(data);
    for (const title of [
      '## Top statements by total time (server log)',
      '## Lock waits',
      '## Temporary files by statement',
      '## Checkpoints',
      '## Autovacuum and autoanalyze',
      '## Connections and sessions',
    ])
      expect(markdown).toContain(title);
    expect(markdown).toMatch(/\| `select abalance from accounts where aid = \?` \| 120 \|/);
    expect(markdown).toMatch(/\| postgres \| ShareLock on transaction \| accounts \| 2 \| 2 \|/);
    expect(markdown).toMatch(/\| Started \| 3 requested \|/);
    expect(markdown).toMatch(new RegExp(`\\| postgres\\.public\\.churn \\| ${autovacuumCount} \\|`));
    const page = renderHtml(data);
    expect(page).toContain('<section id="log-top-statements"');
    expect(page).toContain('<code>select abalance from accounts where aid = ?</code>');
    expect(page).toContain('<section id="log-connections"');
  });
});
