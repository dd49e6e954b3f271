import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalysis } from '../../../lib/analyses/index.js';
import { createTargetDatabase, targetAdmin, targetPort, type TargetDatabase } from '../../helpers/target-db.js';

// config.idle_in_transaction starts reporting at 15 s of idleness (check_postgres txn_idle's documented example).
const IDLE_THRESHOLD_MS = 15_000;

describe('config_check / config: sessions', () => {
  let db: TargetDatabase;
  let holder: postgres.Sql;
  let holderPid: number;
  const role = `cfg_idle_${randomBytes(4).toString('hex')}`;
  const secret = `idle-secret-${randomBytes(6).toString('hex')}`;
  const admin = targetAdmin();

  beforeAll(async () => {
    db = await createTargetDatabase('cfg_sessions');
    await admin.unsafe(`create role ${role} login`);
    // A separate client leaves a transaction open after changing a password, then goes quiet.
    holder = postgres({
      host: '127.0.0.1',
      port: targetPort,
      username: 'postgres',
      database: db.name,
      max: 1,
      onnotice: () => {},
    });
    const session = await holder.reserve();
    await session`begin`;
    [{ pid: holderPid }] = await session`select pg_backend_pid() as pid`;
    await session.unsafe(`alter role ${role} password '${secret}'`);
    await new Promise((resolve) => setTimeout(resolve, IDLE_THRESHOLD_MS + 1_500));
  }, 60_000);

  afterAll(async () => {
    await holder?.end({ timeout: 1 });
    await db?.drop();
    await admin.unsafe(`drop role if exists ${role}`);
    await admin.end();
  });

  it('reports the idle transaction under its database, with the password in its last statement redacted', async () => {
    const result = await runAnalysis({
      taskType: 'config_check',
      params: { query_timeout: 60, analysis_target: 'config' },
      target: db.options(),
      previous: null,
    });

    const [idle] = result.findings.filter((f) => f.check === 'config.idle_in_transaction' && f.object === db.name);
    expect(idle).toMatchObject({
      severity: 'info',
      object: db.name,
      recommendation: expect.stringContaining(`pg_terminate_backend(${holderPid})`),
    });
    const sessions = idle.evidence.sessions as Array<{ pid: number; idle_seconds: number; query: string }>;
    const held = sessions.find((s) => s.pid === holderPid)!;
    expect(held.idle_seconds).toBeGreaterThanOrEqual(15);
    expect(held.query).toBe(`alter role ${role} password '***'`);
    expect(JSON.stringify(result)).not.toContain(secret);
  });
});
