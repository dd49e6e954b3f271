import { describe, expect, it } from 'vitest';
import { logChecks } from '../../../lib/analyses/logs/index.js';
import { scanLogText } from '../../../lib/analyses/logs/scan-text.js';
import type { Finding } from '../../../lib/analyses/types.js';

const P = (time: string, pid: number, who = '') => `2026-11-28 20:${time} UTC [${pid}] ${who ? `${who} ` : ''}`;

const PROBLEMS = [
  `${P('00:00.001', 10, 'app@shop')}ERROR:  division by zero`,
  `${P('00:00.001', 10, 'app@shop')}STATEMENT:  select 1/0`,
  `${P('00:01.001', 10, 'app@shop')}ERROR:  division by zero`,
  `${P('00:01.001', 10, 'app@shop')}STATEMENT:  select 2/0`,
  `${P('00:02.000', 11, 'app@shop')}ERROR:  deadlock detected`,
  `${P('00:02.000', 11, 'app@shop')}DETAIL:  Process 11 waits for ShareLock on transaction 7; blocked by process 12.`,
  `\tProcess 12: update t set v = 'secret-literal' where id = 1`,
  `${P('00:02.000', 11, 'app@shop')}STATEMENT:  update t set v = 2 where id = 2`,
  `${P('00:03.000', 12, 'app@shop')}LOG:  process 12 still waiting for ShareLock on transaction 8 after 1000.123 ms`,
  `${P('00:04.000', 13, 'app@shop')}ERROR:  canceling statement due to statement timeout`,
  `${P('00:04.000', 13, 'app@shop')}STATEMENT:  select pg_sleep(10)`,
  `${P('00:05.000', 14, 'app@shop')}ERROR:  canceling statement due to lock timeout`,
  `${P('00:06.000', 15, 'app@shop')}LOG:  duration: 65000.5 ms  statement: ALTER ROLE app PASSWORD 'hunter2'`,
  `${P('00:07.000', 16, 'app@shop')}LOG:  temporary file: path "base/pgsql_tmp/pgsql_tmp16.0", size 104857600`,
  `${P('00:07.000', 16, 'app@shop')}STATEMENT:  select * from big order by md5(pad)`,
  `${P('00:08.000', 17)}LOG:  checkpoints are occurring too frequently (12 seconds apart)`,
  `${P('00:08.000', 17)}HINT:  Consider increasing the configuration parameter "max_wal_size".`,
  `${P('00:09.000', 18)}ERROR:  canceling autovacuum task`,
  `${P('00:09.000', 18)}CONTEXT:  automatic vacuum of table "shop.public.orders"`,
  `${P('00:10.000', 18)}ERROR:  canceling autovacuum task`,
  `${P('00:10.000', 18)}CONTEXT:  automatic vacuum of table "shop.public.orders"`,
  `${P('00:11.000', 19, 'app@shop')}ERROR:  out of memory`,
  `${P('00:11.000', 19, 'app@shop')}DETAIL:  Failed on request of size 1048576 in memory context "ExecutorState".`,
  `${P('00:12.000', 1)}LOG:  server process (PID 4242) was terminated by signal 9: Killed`,
  `${P('00:12.000', 1)}DETAIL:  Failed process was running: select * from huge`,
  `${P('00:12.100', 1)}LOG:  all server processes terminated; reinitializing`,
  `${P('00:12.200', 20)}LOG:  database system was interrupted; last known up at 2026-11-28 20:00:11 UTC`,
  `${P('00:13.000', 21, 'mallory@shop')}FATAL:  password authentication failed for user "mallory"`,
  `${P('00:13.000', 21, 'mallory@shop')}DETAIL:  Connection matched pg_hba.conf line 3: "host all all ` +
    '127.0.0.1/32 md5"',
  `${P('00:14.000', 22, '[unknown]@[unknown]')}FATAL:  no pg_hba.conf entry for host "203.0.113.9", user ` +
    '"root", database "postgres", no encryption',
  `${P('00:15.000', 23, 'ghost@shop')}FATAL:  role "ghost" does not exist`,
  `${P('00:16.000', 24, 'app@shop')}FATAL:  sorry, too many clients already`,
  `${P('00:17.000', 25)}PANIC:  could not write to file "pg_wal/xlogtemp.25": No space left on device`,
  '',
].join('\n');

const CLEAN = [
  `${P('00:00.000', 1)}LOG:  starting PostgreSQL 15.20 on x86_64-pc-linux-gnu`,
  `${P('00:00.005', 1)}LOG:  database system is ready to accept connections`,
  `${P('05:00.000', 2)}LOG:  checkpoint starting: time`,
  `${P('05:01.000', 2)}LOG:  checkpoint complete: wrote 3 buffers (0.0%); 0 WAL file(s) added, 0 removed, 0 recycled`,
  `${P('06:00.000', 3)}LOG:  automatic vacuum of table "shop.public.orders": index scans: 0`,
  '\tpages: 0 removed, 10 remain',
  `${P('07:00.000', 4, 'app@shop')}LOG:  duration: 120.000 ms  statement: select count(*) from orders`,
  `${P('08:00.000', 5, 'app@shop')}FATAL:  terminating connection due to administrator command`,
  '',
].join('\n');

function report(text: string, target: 'logs' | 'security'): Finding[] {
  const scan = scanLogText([text]);
  return logChecks.filter((c) => c.targets.includes(target)).flatMap((c) => c.report(scan));
}

const find = (findings: Finding[], check: string, object?: string | null) =>
  findings.find((f) => f.check === check && (object === undefined || f.object === object));

describe('log checks on a log with planted problems', () => {
  const logs = report(PROBLEMS, 'logs');
  const security = report(PROBLEMS, 'security');

  it('reports each kind of event under its check with its severity', () => {
    expect(find(logs, 'logs.frequent_errors')).toMatchObject({
      severity: 'info',
      title: 'ERROR: division by zero',
      evidence: { count: 2, databases: { shop: 2 } },
    });
    expect(find(logs, 'logs.deadlocks', 'shop')).toMatchObject({ severity: 'warning', evidence: { count: 1 } });
    expect(find(logs, 'logs.lock_waits', 'shop')).toMatchObject({
      severity: 'warning',
      evidence: { max_wait_ms: 1000.123, lock_modes: { ShareLock: 1 } },
    });
    expect(find(logs, 'logs.statement_timeouts', 'shop')).toMatchObject({
      severity: 'warning',
      evidence: { sample_statement: 'select pg_sleep(?)' },
    });
    expect(find(logs, 'logs.lock_timeouts', 'shop')?.severity).toBe('warning');
    expect(find(logs, 'logs.slow_statements')).toMatchObject({ severity: 'warning', evidence: { max_ms: 65000.5 } });
    expect(find(logs, 'logs.temp_files', 'shop')).toMatchObject({
      severity: 'info',
      evidence: { bytes: 104857600, sample_statement: 'select * from big order by md5(pad)' },
    });
    expect(find(logs, 'logs.checkpoints_too_frequent', 'max_wal_size')).toMatchObject({
      severity: 'warning',
      evidence: { min_seconds_apart: 12 },
      recommendation: "ALTER SYSTEM SET max_wal_size = '2048MB'; SELECT pg_reload_conf();",
    });
    expect(find(logs, 'logs.autovacuum_cancellations', 'shop.public.orders')).toMatchObject({
      severity: 'warning',
      evidence: { count: 2 },
    });
    expect(find(logs, 'logs.out_of_memory', 'shop')?.severity).toBe('critical');
    expect(find(logs, 'logs.fatal_errors')).toMatchObject({
      severity: 'warning',
      title: 'FATAL: sorry, too many clients already',
    });
  });

  it('reports crashes and PANICs as critical, keeping the signal that killed the backend', () => {
    const crashes = logs.filter((f) => f.check === 'logs.crashes');
    expect(crashes.map((f) => f.title).sort()).toEqual([
      'LOG: all server processes terminated; reinitializing',
      'LOG: database system was interrupted; last known up at ...',
      'LOG: server process (...) was terminated by signal 9: Killed',
      'PANIC: could not write to file "...": No space left on device',
    ]);
    expect(crashes.every((f) => f.severity === 'critical')).toBe(true);
  });

  it('counts entries by severity', () => {
    expect(find(logs, 'logs.severity_counts')?.evidence.by_severity).toMatchObject({ ERROR: 8, FATAL: 4, PANIC: 1 });
  });

  it('reports refused logins per role and host under the security target only', () => {
    expect(find(security, 'logs.auth_failures', 'mallory')).toMatchObject({
      severity: 'warning',
      evidence: { kinds: { 'password authentication failed': 1 } },
    });
    expect(find(security, 'logs.rejected_connections', 'root@203.0.113.9')).toMatchObject({
      severity: 'warning',
      evidence: { kinds: { 'no pg_hba.conf entry': 1 } },
    });
    expect(find(security, 'logs.rejected_connections', 'ghost')).toMatchObject({
      evidence: { kinds: { 'role does not exist': 1 } },
    });
    expect(find(logs, 'logs.auth_failures')).toBeUndefined();
    expect(find(security, 'logs.coverage')).toBeDefined();
  });

  it('never puts a password or a literal from a DETAIL into any finding', () => {
    const text = JSON.stringify([...logs, ...security]);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('secret-literal');
  });
});

describe('log checks on a server near transaction-ID wraparound', () => {
  const findings = report(
    [
      `${P('00:00.000', 30, 'app@shop')}WARNING:  database "shop" must be vacuumed within 9876543 transactions`,
      `${P('00:00.000', 30, 'app@shop')}HINT:  To avoid a database shutdown, execute a database-wide VACUUM in that database.`,
      `${P('00:01.000', 31, 'app@shop')}ERROR:  database is not accepting commands to avoid wraparound data loss in ` +
        'database "shop"',
      '',
    ].join('\n'),
    'logs',
  );

  it('grades the refusal and the warnings before it critical, with what to run', () => {
    for (const check of ['logs.warnings', 'logs.frequent_errors']) {
      expect(find(findings, check)).toMatchObject({
        severity: 'critical',
        recommendation: expect.stringMatching(/^Run VACUUM \(FREEZE, VERBOSE\)/),
      });
    }
  });
});

describe('log checks on a clean log', () => {
  it('report nothing above info', () => {
    const findings = [...report(CLEAN, 'logs'), ...report(CLEAN, 'security')];
    expect(findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(find(findings, 'logs.fatal_errors')).toMatchObject({
      severity: 'info',
      title: 'FATAL: terminating connection due to administrator command',
    });
    expect(find(findings, 'logs.coverage')).toMatchObject({ evidence: { entries: 7 } });
  });
});

describe('breakdowns keyed by names from the log', () => {
  it('counts databases and users named like built-in object properties as any other name', () => {
    const names = ['constructor', 'toString', '__proto__', 'hasOwnProperty'];
    const text = names
      .flatMap((name, i) => [
        `${P('00:00.000', 100 + i, `${name}@${name}`)}ERROR:  division by zero`,
        `${P('00:01.000', 100 + i, `${name}@${name}`)}ERROR:  division by zero`,
      ])
      .concat('')
      .join('\n');
    const finding = find(report(text, 'logs'), 'logs.frequent_errors');
    expect(finding?.evidence.count).toBe(8);
    const databases = JSON.parse(JSON.stringify(finding?.evidence.databases)) as object;
    expect(Object.entries(databases).sort()).toEqual(names.map((name) => [name, 2]).sort());
  });
});
