import { describe, expect, it } from 'vitest';
import { logChecks } from '../../../lib/analyses/logs/index.js';
import { emptyEntry } from '../../../lib/analyses/logs/log-entry.js';
import { scanLogText } from '../../../lib/analyses/logs/scan-text.js';
import { statementFingerprint } from '../../../lib/analyses/logs/statement-key.js';
import { parseDuration, StatementStatsSketch } from '../../../lib/analyses/logs/statement-stats.js';
import type { Finding } from '../../../lib/analyses/types.js';

const P = (time: string, pid: number, who = '') => `2026-11-28 20:${time} UTC [${pid}] ${who ? `${who} ` : ''}`;

function report(lines: string[], target: 'logs' | 'security' = 'logs'): Finding[] {
  const scan = scanLogText([`${lines.join('\n')}\n`]);
  return logChecks.filter((c) => c.targets.includes(target)).flatMap((c) => c.report(scan));
}

const find = (findings: Finding[], check: string, object?: string) =>
  findings.find((f) => f.check === check && (object === undefined || f.object === object));

describe('statement fingerprints', () => {
  it('group texts that differ only in literals, case, whitespace, comments and trailing semicolons', () => {
    const same = [
      "select * from t where id = 1 and name = 'a'",
      "SELECT *  FROM t\n\tWHERE id = 42 AND name = 'it''s' ;",
      'select * from t /* hint */ where id = $1 and name = $2;;',
      "select * from t where id = 1 and name = E'\\'x' -- trailing comment",
    ];
    expect(new Set(same.map(statementFingerprint)).size).toBe(1);
    expect(statementFingerprint('checkpoint;')).toBe(statementFingerprint('checkpoint'));
    expect(statementFingerprint('select * from t1 where a in (1, 2, 3)')).toBe(
      statementFingerprint('select * from t1 where a in (7)'),
    );
    expect(statementFingerprint("select $$a$$, 'b'")).toBe(statementFingerprint('select 1, 2'));
  });

  it('keep different statements apart', () => {
    const different = [
      'select * from t1',
      'select * from t2',
      'select * from t where id = 1',
      'select * from t where id > 1',
      'select "Col1" from t',
      'select col2 from t',
    ];
    expect(new Set(different.map(statementFingerprint)).size).toBe(different.length);
  });
});

describe('per-statement aggregates', () => {
  const entry = (message: string) => ({
    ...emptyEntry(),
    message,
    database: 'shop',
    time: '2026-11-28 20:00:00.000 UTC',
  });
  const add = (sketch: StatementStatsSketch, message: string) => sketch.add(entry(message), parseDuration(message)!);

  it('count every run exactly while fewer statements than slots were seen, and keep parse and bind apart', () => {
    const sketch = new StatementStatsSketch(10);
    for (let i = 1; i <= 73; i++)
      add(sketch, `duration: ${i}.000 ms  execute <unnamed>: select * from t where id = $1`);
    add(sketch, 'duration: 0.500 ms  parse <unnamed>: select * from t where id = $1');
    add(sketch, 'duration: 0.250 ms  bind <unnamed>: select * from t where id = $1');
    const [top] = sketch.ranked();
    expect(top).toMatchObject({
      text: 'select * from t where id = ?',
      count: 73,
      totalMs: (73 * 74) / 2,
      maxMs: 73,
      errorMs: 0,
    });
    expect(sketch.runs).toBe(73);
    expect(sketch.parse).toMatchObject({ count: 1, totalMs: 0.5 });
    expect(sketch.bind).toMatchObject({ count: 1, totalMs: 0.25 });
  });

  it('group a text that recurs verbatim the same whether its fingerprint is remembered or computed', () => {
    // More recurring texts than are remembered at once, each run three times: every run is
    // counted under its own statement, across the point where the remembered texts are forgotten.
    const sketch = new StatementStatsSketch(3_000);
    for (let round = 0; round < 3; round++)
      for (let i = 0; i < 2_500; i++)
        add(sketch, `duration: 1.000 ms  execute S_${i}: select * from t${i} where id = $1`);
    // The same text with a value written in (not remembered) and with another spacing (another text).
    add(sketch, 'duration: 1.000 ms  statement: select * from t7 where id = 42');
    add(sketch, 'duration: 1.000 ms  execute S_7: SELECT *  FROM t7 WHERE id = $1');
    expect(sketch.distinct).toBe(2_500);
    expect(sketch.ranked().every((s) => s.count === (s.text === 'select * from t7 where id = ?' ? 5 : 3))).toBe(true);
    expect(sketch.runs).toBe(7_502);
  });

  it('keep the heaviest statements past capacity, with an error bound no larger than the lightest slot', () => {
    const sketch = new StatementStatsSketch(5);
    for (let round = 0; round < 20; round++) {
      add(sketch, 'duration: 1000 ms  statement: select heavy()');
      for (let i = 0; i < 10; i++) add(sketch, `duration: 1 ms  statement: select light_${round}_${i}()`);
    }
    const [heavy] = sketch.ranked();
    expect(heavy).toMatchObject({ text: 'select heavy()', count: 20, totalMs: 20_000, errorMs: 0 });
    const bounded = sketch.ranked().filter((s) => s.errorMs > 0);
    expect(bounded.length).toBeGreaterThan(0);
    for (const s of bounded) expect(s.totalMs - s.errorMs).toBeGreaterThan(0);
    expect(sketch.evictions).toBeGreaterThan(0);
  });
});

describe('log checks at pgBadger depth', () => {
  it('take a lock wait from the acquired line, and keep the still-waiting figure for one never acquired', () => {
    const findings = report([
      `${P('00:01.000', 12, 'app@shop')}LOG:  process 12 still waiting for ShareLock on transaction 8 after ` +
        '1000.123 ms',
      `${P('00:01.000', 12, 'app@shop')}CONTEXT:  while updating tuple (0,1) in relation "accounts"`,
      `${P('00:01.661', 12, 'app@shop')}LOG:  process 12 acquired ShareLock on transaction 8 after 1661.400 ms`,
      `${P('00:02.000', 13, 'app@shop')}LOG:  process 13 still waiting for AccessExclusiveLock on relation ` +
        '16384 of database 5 after 1000.000 ms',
    ]);
    expect(find(findings, 'logs.lock_waits', 'shop')?.evidence).toMatchObject({
      count: 2,
      acquired: 1,
      max_wait_ms: 1661.4,
      total_wait_ms: 2661.4,
      by_lock: [
        { mode: 'ShareLock', object: 'transaction', relation: 'accounts', waits: 1, acquired: 1, max_wait_ms: 1661.4 },
        {
          mode: 'AccessExclusiveLock',
          object: 'relation',
          relation: 'relation OID 16384',
          waits: 1,
          acquired: 0,
          max_wait_ms: 1000,
        },
      ],
    });
  });

  it('tie a temporary file to the execute before it in the same process, or to the duration line after it', () => {
    const findings = report([
      `${P('00:01.000', 20, 'app@shop')}LOG:  duration: 900.000 ms  execute <unnamed>: select * from big order by pad`,
      `${P('00:01.000', 21, 'app@shop')}LOG:  duration: 1.000 ms  statement: select 1`,
      `${P('00:01.001', 20, 'app@shop')}LOG:  temporary file: path "base/pgsql_tmp/pgsql_tmp20.0", size 1000`,
      `${P('00:02.000', 22, 'app@shop')}LOG:  temporary file: path "base/pgsql_tmp/pgsql_tmp22.0", size 500`,
      `${P('00:02.000', 23, 'app@shop')}LOG:  duration: 2.000 ms  statement: select 2`,
      `${P('00:02.001', 22, 'app@shop')}LOG:  duration: 800.000 ms  statement: select * from other order by pad`,
      `${P('00:03.000', 24, 'app@shop')}LOG:  temporary file: path "base/pgsql_tmp/pgsql_tmp24.0", size 100`,
    ]);
    const byStatement = Object.fromEntries(
      findings
        .filter((f) => f.check === 'logs.temp_file_statements')
        .map((f) => [f.evidence.statement, f.evidence.bytes]),
    );
    expect(byStatement).toEqual({
      'select * from big order by pad': 1000,
      'select * from other order by pad': 500,
      '(statement not logged)': 100,
    });
  });

  it('warn about WAL-driven checkpoints and slow syncs, and explain why', () => {
    const lines: string[] = [];
    for (let i = 0; i < 10; i++) {
      lines.push(`${P(`0${i}:00.000`, 5)}LOG:  checkpoint starting: ${i < 8 ? 'wal' : 'time'}`);
      lines.push(
        `${P(`0${i}:30.000`, 5)}LOG:  checkpoint complete: wrote 100 buffers (0.6%); 0 WAL file(s) added, 0 ` +
          `removed, 1 recycled; write=25.001 s, sync=${i === 3 ? '12.500' : '0.100'} s, total=${i === 3 ? '37.6' : '25.2'} ` +
          's; sync files=3, longest=0.1 s, average=0.05 s; distance=1 kB, estimate=1 kB',
      );
    }
    const c = find(report(lines), 'logs.checkpoints');
    expect(c).toMatchObject({
      severity: 'warning',
      evidence: {
        started: { wal: 8, time: 2 },
        completed: 10,
        wal_percent: 80,
        max_sync_seconds: 12.5,
        buffers_written: 1000,
      },
    });
    expect(c?.detail).toContain('80% were triggered by WAL volume');
    expect(c?.detail).toContain('longest sync phase took 12.5 s');
    expect(c?.recommendation).toBe("ALTER SYSTEM SET max_wal_size = '2048MB'; SELECT pg_reload_conf();");
  });

  it('warn about a table vacuumed every minute and one whose dead tuples vacuum can never remove', () => {
    const vacuum = (time: string, table: string, dead: number) => [
      `${P(time, 30)}LOG:  automatic vacuum of table "shop.public.${table}": index scans: 0`,
      '\tpages: 0 removed, 10 remain, 10 scanned (100.00% of total)',
      `\ttuples: 50 removed, 1000 remain, ${dead} are dead but not yet removable, oldest xmin: 777`,
      '\tsystem usage: CPU: user: 0.01 s, system: 0.00 s, elapsed: 0.20 s',
    ];
    const findings = report([
      ...vacuum('00:00.000', 'queue', 0),
      ...vacuum('00:30.000', 'queue', 0),
      ...vacuum('01:00.000', 'queue', 0),
      ...vacuum('00:10.000', 'orders', 5000),
      ...vacuum('10:10.000', 'orders', 6000),
      `${P('11:00.000', 30)}LOG:  automatic analyze of table "shop.public.calm" system usage: CPU: user: ` +
        '0.00 s, system: 0.00 s, elapsed: 0.05 s',
    ]);
    expect(find(findings, 'logs.autovacuum', 'shop.public.queue')).toMatchObject({
      severity: 'warning',
      evidence: { vacuums: 3, seconds_between_vacuums: 30, tuples_removed: 150 },
    });
    expect(find(findings, 'logs.autovacuum', 'shop.public.orders')).toMatchObject({
      severity: 'warning',
      evidence: { runs_leaving_dead_tuples: 2, last_dead_not_removable: 6000, last_oldest_xmin: '777' },
    });
    expect(find(findings, 'logs.autovacuum', 'shop.public.orders')?.detail).toContain('can never finish');
    expect(find(findings, 'logs.autovacuum', 'shop.public.calm')).toMatchObject({
      severity: 'info',
      evidence: { vacuums: 0, analyzes: 1 },
    });
  });

  it('report sessions per user and host, and warn when many sessions are short', () => {
    const lines: string[] = [];
    for (let i = 0; i < 120; i++) {
      const pid = 1000 + i;
      lines.push(
        `${P('00:00.000', pid, '[unknown]@[unknown]')}LOG:  connection received: host=10.0.0.${i % 2} port=5000${i}`,
      );
      lines.push(
        `${P('00:00.001', pid, 'app@shop')}LOG:  connection authorized: user=app database=shop application_name=api`,
      );
      lines.push(
        `${P('00:00.100', pid, 'app@shop')}LOG:  disconnection: session time: 0:00:00.100 user=app ` +
          `database=shop host=10.0.0.${i % 2} port=5000${i}`,
      );
    }
    const c = find(report(lines), 'logs.connections');
    expect(c).toMatchObject({
      severity: 'warning',
      evidence: { connections_received: 120, connections_authorized: 120, sessions: 120, mean_session_ms: 100 },
    });
    expect(c?.evidence.by_host).toEqual([
      expect.objectContaining({ name: '10.0.0.0', connections: 60, sessions: 60 }),
      expect.objectContaining({ name: '10.0.0.1', connections: 60, sessions: 60 }),
    ]);
    expect(c?.recommendation).toContain('pooler');
  });

  it('escalate five failed logins from one host to critical, with the host from the connection line', () => {
    const lines: string[] = [];
    for (let i = 0; i < 5; i++) {
      lines.push(
        `${P(`00:0${i}.000`, 50 + i, '[unknown]@[unknown]')}LOG:  connection received: host=203.0.113.7 port=4000${i}`,
      );
      lines.push(
        `${P(`00:0${i}.001`, 50 + i, `user${i}@shop`)}FATAL:  password authentication failed for user "user${i}"`,
      );
    }
    const security = report(lines, 'security');
    expect(find(security, 'logs.brute_force_host', 'host:203.0.113.7')).toMatchObject({
      severity: 'critical',
      evidence: { count: 5 },
    });
    expect(find(security, 'logs.auth_failures', 'user0@203.0.113.7')?.severity).toBe('warning');
    expect(find(security, 'logs.brute_force_user')).toBeUndefined();
    expect(find(report(lines.slice(0, 8), 'security'), 'logs.brute_force_host')).toBeUndefined();
  });
});
