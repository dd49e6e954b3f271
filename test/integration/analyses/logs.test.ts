import postgres from 'postgres';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalysis } from '../../../lib/analyses/index.js';
import type { LogPosition } from '../../../lib/analyses/logs/log-position.js';
import type { AnalysisTarget, Finding, PreviousRun, ReviewResult } from '../../../lib/analyses/types.js';
import {
  createTargetDatabase,
  targetAdmin,
  targetPort,
  type TargetDatabase,
  waitForLog,
} from '../../helpers/target-db.js';
import { asPrevious, findingsOf } from '../../helpers/findings.js';

let db: TargetDatabase;
const role = `logs_role_${randomBytes(4).toString('hex')}`;
let baseline: ReviewResult;
let logsRun: ReviewResult;
let securityRun: ReviewResult;

const review = (target: AnalysisTarget, previous: PreviousRun | null) =>
  runAnalysis({
    taskType: 'log_analysis',
    params: { query_timeout: 60, analysis_target: target },
    target: db.options(),
    previous,
  });
const inMyDatabase = (f: Finding) =>
  Number((f.evidence.databases as Record<string, number> | undefined)?.[db.name] ?? 0);
const positionOf = (result: ReviewResult) => result.state['logs.position'] as LogPosition;

async function fails(query: Promise<unknown>): Promise<void> {
  await expect(query).rejects.toThrow();
}

async function plantDeadlock(): Promise<void> {
  await db.admin`create table accounts (id int primary key, balance int)`;
  await db.admin`insert into accounts values (1, 0), (2, 0)`;
  const a = await db.admin.reserve();
  const b = await db.admin.reserve();
  try {
    await a`begin`;
    await b`begin`;
    await a`update accounts set balance = 1 where id = 1`;
    await b`update accounts set balance = 2 where id = 2`;
    // Opposite order: the server finds the cycle after deadlock_timeout (200 ms) and aborts one side.
    const first = a`update accounts set balance = 1 where id = 2`.then(
      () => 'ok',
      () => 'aborted',
    );
    const second = b`update accounts set balance = 2 where id = 1`.then(
      () => 'ok',
      () => 'aborted',
    );
    expect((await Promise.all([first, second])).sort()).toEqual(['aborted', 'ok']);
  } finally {
    await a`rollback`;
    await b`rollback`;
    a.release();
    b.release();
  }
}

async function plantLockWait(): Promise<void> {
  const holder = await db.admin.reserve();
  const waiter = await db.admin.reserve();
  try {
    await holder`begin`;
    await holder`update accounts set balance = 5 where id = 1`;
    // postgres.js sends a query when it is awaited or .then()-ed; execute() sends it now.
    const waiting = waiter`update accounts set balance = 6 where id = 1`.execute();
    // Longer than deadlock_timeout (200 ms), so log_lock_waits reports the wait.
    await new Promise((resolve) => setTimeout(resolve, 600));
    await holder`commit`;
    await waiting;
  } finally {
    holder.release();
    waiter.release();
  }
}

async function plantStatementTimeout(): Promise<void> {
  const session = await db.admin.reserve();
  try {
    await session`set statement_timeout = 50`;
    await fails(session`select pg_sleep(1)`);
  } finally {
    await session`reset statement_timeout`;
    session.release();
  }
}

async function plantTempFile(): Promise<void> {
  const session = await db.admin.reserve();
  try {
    await session`set work_mem = '64kB'`;
    await session`select count(*) from (select g from generate_series(1, 200000) g order by g desc) s`;
  } finally {
    await session`reset work_mem`;
    session.release();
  }
}

async function plantFailedLogin(): Promise<void> {
  const intruder = postgres({
    host: '127.0.0.1',
    port: targetPort,
    username: role,
    password: 'not-the-password',
    database: db.name,
    max: 1,
    connect_timeout: 5,
    onnotice: () => {},
  });
  try {
    await fails(intruder`select 1`);
  } finally {
    await intruder.end({ timeout: 1 });
  }
}

beforeAll(async () => {
  db = await createTargetDatabase('logs');
  const root = targetAdmin();
  await root.unsafe(`create role ${role} login password 'right-password'`);
  await root.end();

  // A first run establishes the position; the planted problems are then the new bytes of the next run.
  baseline = await review('logs', null);

  for (let i = 0; i < 3; i++) {
    await fails(db.admin`select 1 / 0`);
    await fails(db.admin`select * from no_such_table_here`);
    await fails(db.admin.unsafe('selec 1'));
  }
  await plantDeadlock();
  await plantLockWait();
  await plantStatementTimeout();
  await db.admin`select pg_sleep(0.15)`;
  await plantTempFile();
  await plantFailedLogin();
  await waitForLog(db.admin, db.name);

  logsRun = await review('logs', asPrevious(baseline));
  securityRun = await review('security', asPrevious(baseline));
});

afterAll(async () => {
  await db?.drop();
  const root = targetAdmin();
  await root.unsafe(`drop role if exists ${role}`);
  await root.end();
});

describe('log_analysis on a database with planted problems', () => {
  it('reads a bounded recent window on a first run and records where it stopped', () => {
    const coverage = baseline.findings.find((f) => f.check === 'logs.coverage');
    expect(coverage).toMatchObject({ severity: 'info', evidence: { first_run: true, format: 'stderr' } });
    expect(Object.keys(positionOf(baseline).files).length).toBeGreaterThan(0);
    expect(baseline.not_assessable).toEqual([]);
  });

  it('reports the planted errors, each three times in this database, normalized', () => {
    const errors = findingsOf(logsRun, 'logs.frequent_errors');
    for (const title of [
      'ERROR: division by zero',
      'ERROR: relation "..." does not exist',
      'ERROR: syntax error at or near "..."',
    ]) {
      const finding = errors.find((f) => f.title === title);
      expect(finding, title).toBeDefined();
      expect(finding?.severity).toBe('info');
      expect(inMyDatabase(finding!)).toBe(3);
    }
  });

  it('reports the deadlock, the lock wait and the statement timeout in this database as warnings', () => {
    const counts: Record<string, number> = {};
    for (const check of ['logs.deadlocks', 'logs.lock_waits', 'logs.statement_timeouts']) {
      const finding = findingsOf(logsRun, check).find((f) => f.object === db.name);
      expect(finding, check).toMatchObject({ severity: 'warning' });
      counts[check] = Number(finding?.evidence.count);
    }
    expect(counts['logs.deadlocks']).toBe(1);
    expect(counts['logs.statement_timeouts']).toBe(1);
    // The planted wait, and maybe the deadlock's: whether the side whose check at deadlock_timeout
    // finds no cycle yet logs a wait of its own depends on which backend checks first.
    expect(counts['logs.lock_waits']).toBeGreaterThanOrEqual(1);
    expect(
      findingsOf(logsRun, 'logs.statement_timeouts').find((f) => f.object === db.name)?.evidence.sample_statement,
    ).toBe('select pg_sleep(?)');
  });

  it('lists the slow statement with its duration, normalized', () => {
    // The shared cluster's log holds other tests' statements too: ours is in one of the two top-20 lists.
    const listed = [...findingsOf(logsRun, 'logs.slow_statements'), ...findingsOf(logsRun, 'logs.top_statements')];
    const slow = listed.find((f) => f.evidence.statement === 'select pg_sleep(?)' && inMyDatabase(f) > 0);
    expect(slow).toMatchObject({ severity: 'info' });
    expect(slow?.evidence.max_ms).toBeGreaterThanOrEqual(150);
  });

  it('reports the temporary file written in this database', () => {
    const temp = findingsOf(logsRun, 'logs.temp_files').find((f) => f.object === db.name);
    expect(temp).toMatchObject({ severity: 'info' });
    expect(Number(temp?.evidence.bytes)).toBeGreaterThan(0);
  });

  it('reports the failed login under the security target, keyed by the role', () => {
    const failure = findingsOf(securityRun, 'logs.auth_failures').find((f) => f.object === role);
    expect(failure).toMatchObject({
      severity: 'warning',
      evidence: { kinds: { 'password authentication failed': 1 } },
    });
    expect(JSON.stringify(securityRun)).not.toContain('not-the-password');
    expect(findingsOf(securityRun, 'logs.frequent_errors')).toEqual([]);
  });

  it('reads only the new bytes on the next run, so what was counted before is not counted again', async () => {
    await fails(db.admin`select * from only_in_the_second_window`);
    await waitForLog(db.admin, `${db.name}-second`);
    const second = await review('logs', asPrevious(logsRun, 2));

    const before = positionOf(logsRun).files;
    const now = positionOf(second).files;
    const grown = Object.entries(now).filter(
      ([name, p]) => before[name] !== undefined && p.offset > before[name].offset,
    );
    const added = Object.keys(now).filter((name) => before[name] === undefined);
    expect(grown.length + added.length).toBeGreaterThan(0);
    for (const [name, p] of Object.entries(now))
      if (before[name] && p.head === before[name].head) expect(p.offset).toBeGreaterThanOrEqual(before[name].offset);

    const divisionByZero = findingsOf(second, 'logs.frequent_errors').find(
      (f) => f.title === 'ERROR: division by zero',
    );
    expect(divisionByZero ? inMyDatabase(divisionByZero) : 0).toBe(0);
    expect(findingsOf(second, 'logs.deadlocks').find((f) => f.object === db.name)).toBeUndefined();
    const missing = findingsOf(second, 'logs.frequent_errors').find(
      (f) => f.title === 'ERROR: relation "..." does not exist',
    );
    expect(inMyDatabase(missing!)).toBe(1);
    expect(second.changes.previous_execution_id).toBe(2);
    expect(second.findings.find((f) => f.check === 'logs.coverage')?.evidence.first_run).toBe(false);
  });
});
