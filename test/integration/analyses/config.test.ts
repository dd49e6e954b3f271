import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalysis } from '../../../lib/analyses/index.js';
import type { TargetOptions } from '../../../lib/target/open-target.js';
import type { Finding, PreviousRun, ReviewResult } from '../../../lib/analyses/types.js';
import { createTargetDatabase, targetAdmin, type TargetDatabase } from '../../helpers/target-db.js';
import { asPrevious, findingsOf } from '../../helpers/findings.js';

const reviewConfig = (target: TargetOptions, previous: PreviousRun | null = null) =>
  runAnalysis({ taskType: 'config_check', params: { query_timeout: 60, analysis_target: 'config' }, target, previous });

const isSerious = (f: Finding) => f.severity === 'critical' || f.severity === 'warning';

/** ALTER SYSTEM + pg_reload_conf is asynchronous: wait until a backend actually sees the new value. */
async function reloadUntil(admin: ReturnType<typeof targetAdmin>, setting: string, expected: string): Promise<void> {
  await admin`select pg_reload_conf()`;
  for (let i = 0; i < 100; i++) {
    const [row] = await admin`select current_setting(${setting}) as value`;
    if (row.value === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${setting} did not become ${expected} after reload`);
}

describe('config_check / config', () => {
  let db: TargetDatabase;

  beforeAll(async () => {
    db = await createTargetDatabase('cfg_config');
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('finds nothing critical or warning on a clean database of the test cluster', async () => {
    const result = await reviewConfig(db.options());

    expect(result.not_assessable).toEqual([]);
    expect(result.findings.filter(isSerious)).toEqual([]);
    // The test cluster keeps compiled-in memory defaults, which are worth a note but no more.
    expect(findingsOf(result, 'config.default_shared_buffers')).toMatchObject([
      { severity: 'info', object: 'shared_buffers' },
    ]);
    expect(findingsOf(result, 'config.default_random_page_cost')[0].detail).toMatch(/SSD/);
  });

  it('records the non-default settings on a first run without reporting any drift', async () => {
    const result = await reviewConfig(db.options());

    expect(findingsOf(result, 'config.setting_changed')).toEqual([]);
    const recorded = result.state['config.settings'] as Record<
      string,
      { setting: string; source: string; unit: string | null }
    >;
    expect(recorded.shared_preload_libraries).toEqual({
      setting: 'pg_stat_statements',
      source: 'configuration file',
      unit: null,
    });
    expect(recorded.log_min_duration_statement).toMatchObject({ setting: '100', unit: 'ms' });
    // Our own connection parameters are not configuration drift.
    expect(recorded.application_name).toBeUndefined();
    expect(recorded.statement_timeout).toBeUndefined();
  });

  it('reports a setting changed between two runs as info with its old and new value', async () => {
    await db.admin.unsafe(`alter database "${db.name}" set work_mem = '6MB'`);
    const first = await reviewConfig(db.options());
    await db.admin.unsafe(`alter database "${db.name}" set work_mem = '8MB'`);
    const second = await reviewConfig(db.options(), asPrevious(first));
    const third = await reviewConfig(db.options(), asPrevious(second, 2));

    const [changed] = findingsOf(second, 'config.setting_changed').filter((f) => f.object === 'work_mem');
    expect(changed).toMatchObject({
      severity: 'info',
      object: 'work_mem',
      title: "work_mem changed since the previous review: '6144' (kB) → '8192' (kB)",
      evidence: { old: '6144', new: '8192', unit: 'kB', old_source: 'database', new_source: 'database' },
    });
    expect(second.changes.new).toContainEqual(
      expect.objectContaining({ check: 'config.setting_changed', object: 'work_mem' }),
    );
    // Unchanged since the second run: the drift finding is gone again.
    expect(findingsOf(third, 'config.setting_changed').filter((f) => f.object === 'work_mem')).toEqual([]);
    expect(third.changes.resolved).toContainEqual(
      expect.objectContaining({ check: 'config.setting_changed', object: 'work_mem' }),
    );
  });

  describe('with fsync off and a planner method disabled for the whole cluster', () => {
    // Cluster-wide and shared with other test files: kept for as short as possible and always restored.
    // enable_memoize is chosen because no other review family's planted problem depends on it.
    const admin = targetAdmin();
    const restore = async () => {
      await admin`alter system reset fsync`;
      await admin`alter system reset enable_memoize`;
      await reloadUntil(admin, 'fsync', 'on');
      await reloadUntil(admin, 'enable_memoize', 'on');
    };

    afterAll(async () => {
      await restore();
      await admin.end();
    });

    it('reports fsync off as critical, the planner switch as a warning, and both as drift', async () => {
      const before = await reviewConfig(db.options());
      let after: ReviewResult;
      try {
        await admin`alter system set fsync = off`;
        await admin`alter system set enable_memoize = off`;
        await reloadUntil(admin, 'fsync', 'off');
        await reloadUntil(admin, 'enable_memoize', 'off');
        after = await reviewConfig(db.options(), asPrevious(before));
      } finally {
        await restore();
      }

      expect(findingsOf(after, 'config.fsync_disabled')).toMatchObject([
        {
          severity: 'critical',
          object: 'fsync',
          recommendation: expect.stringContaining('ALTER SYSTEM SET fsync = on'),
          evidence: { source: 'configuration file' },
        },
      ]);
      expect(findingsOf(after, 'config.planner_method_disabled')).toContainEqual(
        expect.objectContaining({ severity: 'warning', object: 'enable_memoize' }),
      );
      const drift = findingsOf(after, 'config.setting_changed');
      expect(drift).toContainEqual(
        expect.objectContaining({
          object: 'fsync',
          severity: 'info',
          evidence: expect.objectContaining({ old: null, new: 'off', old_source: 'default' }),
        }),
      );
      expect(drift).toContainEqual(
        expect.objectContaining({ object: 'enable_memoize', evidence: expect.objectContaining({ new: 'off' }) }),
      );
      expect(after.summary.critical).toBeGreaterThanOrEqual(1);
    });
  });

  describe('run by a role that only has pg_monitor', () => {
    const role = `cfg_monitor_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    const admin = targetAdmin();

    beforeAll(async () => {
      await admin.unsafe(`create role ${role} login password '${password}' in role pg_monitor`);
    });

    afterAll(async () => {
      await admin.unsafe(`drop role if exists ${role}`);
      await admin.end();
    });

    it('marks pg_file_settings not assessable with the grants that would enable it, and completes the review', async () => {
      const result = await reviewConfig(db.options({ username: role, password }));

      expect(result.server.is_superuser).toBe(false);
      expect(result.not_assessable).toEqual([
        {
          check: 'config.file_settings_error',
          reason: expect.stringContaining('pg_file_settings'),
          enable:
            `GRANT SELECT ON pg_catalog.pg_file_settings TO ${role}; GRANT EXECUTE ON FUNCTION ` +
            `pg_catalog.pg_show_all_file_settings() TO ${role};`,
        },
      ]);
      // Everything else still runs: settings are readable through pg_read_all_settings.
      expect(findingsOf(result, 'config.default_shared_buffers')).toHaveLength(1);
      expect((result.state['config.settings'] as Record<string, unknown>).shared_preload_libraries).toBeDefined();
    });
  });

  describe('run by a role without pg_monitor', () => {
    const role = `cfg_plain_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    const admin = targetAdmin();

    beforeAll(async () => {
      await admin.unsafe(`create role ${role} login password '${password}'`);
    });

    afterAll(async () => {
      await admin.unsafe(`drop role if exists ${role}`);
      await admin.end();
    });

    it('says connection usage is not assessable instead of counting only its own sessions', async () => {
      const result = await reviewConfig(db.options({ username: role, password }));

      expect(findingsOf(result, 'config.connection_usage')).toEqual([]);
      const hidden = result.not_assessable.find((n) => (n.checks ?? [n.check]).includes('config.connection_usage'));
      expect(hidden).toMatchObject({
        reason: expect.stringContaining('hidden'),
        enable: `GRANT pg_monitor TO ${role};`,
      });
    });
  });
});
