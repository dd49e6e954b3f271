import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalysis } from '../../../lib/analyses/index.js';
import type { ReviewResult } from '../../../lib/analyses/types.js';
import { createTargetDatabase, targetAdmin, targetPort, type TargetDatabase } from '../../helpers/target-db.js';

describe('config_check / performance: sessions blocked right now', () => {
  let db: TargetDatabase;
  let client: postgres.Sql;
  let result: ReviewResult;
  const pids = { holder: 0, passwordWaiter: 0, longWaiter: 0 };
  const role = `cfg_blocked_${randomBytes(4).toString('hex')}`;
  const secrets = [`held-secret-${randomBytes(6).toString('hex')}`, `waiting-secret-${randomBytes(6).toString('hex')}`];
  const longComment = `/* ${'padding to make this statement far longer than what a finding may show '.repeat(12)} */`;
  const admin = targetAdmin();
  const pending: Array<Promise<unknown>> = [];

  beforeAll(async () => {
    db = await createTargetDatabase('cfg_perf_blocked');
    await admin.unsafe(`create role ${role} login`);
    await db.admin`create table account (id int primary key, balance int)`;
    await db.admin`insert into account values (1, 100)`;

    client = postgres({
      host: '127.0.0.1',
      port: targetPort,
      username: 'postgres',
      database: db.name,
      max: 3,
      onnotice: () => {},
    });
    const [holder, passwordWaiter, longWaiter] = await Promise.all([
      client.reserve(),
      client.reserve(),
      client.reserve(),
    ]);
    for (const [name, session] of Object.entries({ holder, passwordWaiter, longWaiter })) {
      const [{ pid }] = await session`select pg_backend_pid() as pid`;
      pids[name as keyof typeof pids] = pid;
    }
    // The holder locks a row and the role's catalog entry, then sits idle in its transaction.
    await holder`begin`;
    await holder`update account set balance = balance - 1 where id = 1`;
    await holder.unsafe(`alter role ${role} password '${secrets[0]}'`);
    // Two sessions queue behind it: one changing the same password, one with a very long statement.
    pending.push(passwordWaiter.unsafe(`alter role ${role} password '${secrets[1]}'`).catch(() => undefined));
    pending.push(
      longWaiter.unsafe(`update account set balance = balance + 1 where id = 1 ${longComment}`).catch(() => undefined),
    );

    for (let i = 0; i < 100; i++) {
      const [row] =
        await admin`select count(*)::int as n from pg_stat_activity where pid in (${pids.passwordWaiter}, ${pids.longWaiter}) and wait_event_type = 'Lock'`;
      if (row.n === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    result = await runAnalysis({
      taskType: 'config_check',
      params: { query_timeout: 60, analysis_target: 'performance' },
      target: db.options(),
      previous: null,
    });

    await holder`rollback`;
    await Promise.all(pending);
  }, 60_000);

  afterAll(async () => {
    await client?.end({ timeout: 1 });
    await db?.drop();
    await admin.unsafe(`drop role if exists ${role}`);
    await admin.end();
  });

  it('reports both waiting sessions under their database, with the blocker identified', () => {
    const [blocked] = result.findings.filter((f) => f.check === 'performance.blocked_sessions' && f.object === db.name);
    expect(blocked).toMatchObject({
      severity: 'info',
      object: db.name,
      recommendation: expect.stringContaining(`pg_terminate_backend(${pids.holder})`),
    });
    const waiting = blocked.evidence.waiting_sessions as Array<{ pid: number; blocked_by: number[] }>;
    expect(waiting.map((w) => w.pid).sort()).toEqual([pids.passwordWaiter, pids.longWaiter].sort());
    expect(waiting.every((w) => w.blocked_by.includes(pids.holder))).toBe(true);
    expect(blocked.evidence.blocking_sessions).toMatchObject([{ pid: pids.holder, state: 'idle in transaction' }]);
  });

  it('never shows a password, neither the waiting one nor the one the blocker set', () => {
    const text = JSON.stringify(result);
    for (const secret of secrets) expect(text).not.toContain(secret);
    const [blocked] = result.findings.filter((f) => f.check === 'performance.blocked_sessions' && f.object === db.name);
    const waiting = blocked.evidence.waiting_sessions as Array<{ pid: number; query: string }>;
    expect(waiting.find((w) => w.pid === pids.passwordWaiter)!.query).toBe(`alter role ${role} password '***'`);
  });

  it('cuts another session’s long statement to 500 characters', () => {
    const [blocked] = result.findings.filter((f) => f.check === 'performance.blocked_sessions' && f.object === db.name);
    const waiting = blocked.evidence.waiting_sessions as Array<{ pid: number; query: string }>;
    const shown = waiting.find((w) => w.pid === pids.longWaiter)!.query;
    expect(shown.startsWith('update account set balance = balance + 1 where id = 1 /* padding')).toBe(true);
    expect(shown).toMatch(/… \(\d+ characters, cut\)$/);
    expect(shown.length).toBeLessThanOrEqual(500 + ' … (9999 characters, cut)'.length);
  });
});
