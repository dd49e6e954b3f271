import { appendFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalysis } from '../../../lib/analyses/index.js';
import type {
  AnalysisTarget,
  NotAssessable,
  PreviousRun,
  ReviewResult,
  TaskType,
} from '../../../lib/analyses/types.js';
import {
  MAJORS,
  startEmbeddedPostgres,
  startStandby,
  type EmbeddedServer,
  type Major,
} from '../../helpers/embedded-postgres.js';
import { asPrevious, findingsOf } from '../../helpers/findings.js';

// Every review type on every major from 12 to 18, on a primary and on its streaming standby, as the
// superuser and as a role with only pg_monitor (what a managed service grants). Each primary carries
// the problems a fleet really has: an inactive physical slot with WAL behind it, a forgotten prepared
// transaction and a session idle in its transaction, all holding back the vacuum horizon.
// Servers of all majors start in parallel on ports 5440-5453 (primary 5440 + 2i, standby 5441 + 2i).

const DATABASE = 'fleet';
const MONITOR = { username: 'fleet_monitor', password: 'monitor-password-1' };
const SLOT = 'forgotten_slot';
const GID = 'forgotten_gid';
const HBA_READER = { username: 'fleet_hba_reader', password: 'hba-reader-password-1' };

const reviewKinds: Array<[TaskType, AnalysisTarget]> = [
  ['config_check', 'config'],
  ['config_check', 'performance'],
  ['config_check', 'security'],
  ['table_analysis', 'tables'],
  ['table_analysis', 'performance'],
  ['query_analysis', 'queries'],
  ['log_analysis', 'logs'],
  ['custom_sql', 'config'],
];

interface Fleet {
  primary: EmbeddedServer;
  standby: EmbeddedServer;
  /** The session left idle in its transaction. */
  idle: { pid: number; release: () => Promise<void> };
}

async function plantFixture(primary: EmbeddedServer): Promise<void> {
  const root = primary.admin();
  await root.unsafe(`create database ${DATABASE}`);
  await root.unsafe(`create role ${MONITOR.username} login password '${MONITOR.password}' in role pg_monitor`);
  // Reads pg_hba.conf over SQL but not the settings (no pg_read_all_settings, so not hba_file on 12-15).
  await root.unsafe(`create role ${HBA_READER.username} login password '${HBA_READER.password}'`);
  // A superuser reaching remote access only through a +group line.
  await root.unsafe(`create role fleet_admins nologin; create role fleet_dba superuser nologin in role fleet_admins`);
  await root.end();
  const db = primary.admin(DATABASE);
  // Catalog privileges are per database.
  await db.unsafe(`grant select on pg_catalog.pg_hba_file_rules to ${HBA_READER.username}`);
  await db.unsafe(`grant execute on function pg_catalog.pg_hba_file_rules() to ${HBA_READER.username}`);
  await db.unsafe(`
    create extension pg_stat_statements;
    create extension pg_trgm version '1.3';
    create table customers (id int primary key, email text);
    insert into customers select g, 'c' || g || '@example.com' from generate_series(1, 2000) g;
    create index customers_email on customers (email);
    create table orders (id int primary key, customer_id int references customers (id), total numeric);
    insert into orders select g, 1 + g % 2000, g from generate_series(1, 5000) g;
    delete from orders where id <= 1000;
    analyze customers;
  `);
  // Analyzed once, then loaded well past both autovacuum triggers, with autovacuum kept away from it.
  // Separate statements: in one multi-statement query they would share a transaction.
  await db`create table events (id int, payload text) with (autovacuum_enabled = false)`;
  await db`insert into events select g, 'e' from generate_series(1, 1000) g`;
  await db`analyze events`;
  await db`insert into events select g, 'e' from generate_series(1001, 6000) g`;
  await db`select count(*) from orders where total > 10`;
  await db.end();
}

/** The problems, planted after the standby was copied so that they are the primary's own (and replicated). */
async function plantProblems(primary: EmbeddedServer): Promise<Fleet['idle']> {
  await appendFile(`${primary.dataDir}/pg_hba.conf`, 'host all +fleet_admins 10.0.0.0/8 scram-sha-256\n');
  const db = primary.admin(DATABASE);
  await db`select pg_reload_conf()`;
  await db`select pg_create_physical_replication_slot(${SLOT}, true)`;
  const holder = primary.admin(DATABASE);
  const session = await holder.reserve();
  await session`begin`;
  const [{ pid }] = await session`select pg_backend_pid() as pid, txid_current()`;
  const preparer = await db.reserve();
  await preparer.unsafe(
    `begin; insert into customers values (100001, 'prepared@example.com'); prepare transaction '${GID}'`,
  );
  preparer.release();
  // Transactions after the horizon, and WAL behind the slot.
  await db
    .unsafe(`do $$ begin for i in 1..1200 loop perform txid_current(); commit; end loop; end $$`)
    .catch(async () => {
      // PostgreSQL 12+ allows COMMIT in a DO block only outside a transaction: fall back to round trips.
      for (let i = 0; i < 1200; i++) await db`select txid_current()`;
    });
  await db`update orders set total = total + 1`;
  await db`select pg_switch_wal()`;
  await db.end();
  let released = false;
  return {
    pid: Number(pid),
    release: async () => {
      if (released) return;
      released = true;
      await session`rollback`;
      session.release();
      await holder.end();
    },
  };
}

const fleets = new Map<Major, Fleet>();

beforeAll(async () => {
  await Promise.all(
    MAJORS.map(async (major, i) => {
      const primary = await startEmbeddedPostgres(major, 5440 + 2 * i, ['max_prepared_transactions=5']);
      await plantFixture(primary);
      const standby = await startStandby(primary, 5441 + 2 * i);
      const idle = await plantProblems(primary);
      fleets.set(major, { primary, standby, idle });
    }),
  );
}, 300_000);

afterAll(async () => {
  await Promise.all(
    [...fleets.values()].map(async ({ primary, standby, idle }) => {
      await idle.release().catch(() => undefined);
      await Promise.all([primary.stop(), standby.stop()]);
    }),
  );
});

const review = (
  server: EmbeddedServer,
  taskType: TaskType,
  target: AnalysisTarget,
  login?: typeof MONITOR,
  previous: PreviousRun | null = null,
) =>
  runAnalysis({
    taskType,
    params: {
      query_timeout: 60,
      analysis_target: target,
      ...(taskType === 'custom_sql'
        ? { custom_sql: 'select name, setting from pg_settings where name like $$max_%$$ order by name', max_rows: 100 }
        : {}),
    },
    target: server.options(DATABASE, login),
    previous,
  });

/**
 * A not-assessable entry that is not a missing grant, extension or the standby rule is a check
 * broken on that version.
 */
const brokenChecks = (result: ReviewResult): NotAssessable[] =>
  result.not_assessable.filter(
    (n) => n.reason === 'The check failed on this server' || n.reason.startsWith('A function or view this check needs'),
  );

const PRIMARY_ONLY = [
  'tables.maintenance_overdue',
  'tables.never_vacuumed',
  'tables.never_analyzed',
  'tables.dead_tuples',
  'tables.unused_index',
  'performance.requested_checkpoints',
];

// Majors are independent servers: their tests run side by side.
describe('reviews on every major', () => {
  describe.concurrent.each(MAJORS)('PostgreSQL %i', (major) => {
    const fleet = () => fleets.get(major)!;

    it('runs every review type on the primary and the standby as the superuser without a broken check', async () => {
      for (const node of [fleet().primary, fleet().standby]) {
        for (const [taskType, target] of reviewKinds) {
          const result = await review(node, taskType, target);
          expect({ node: node.port, taskType, target, broken: brokenChecks(result) }).toEqual({
            node: node.port,
            taskType,
            target,
            broken: [],
          });
          expect(result.server.version_num).toBeGreaterThanOrEqual(major * 10000);
          expect(result.server.version_num).toBeLessThan((major + 1) * 10000);
        }
      }
    });

    it('completes every review as a role with only pg_monitor, naming what it lacks', async () => {
      for (const node of [fleet().primary, fleet().standby]) {
        for (const [taskType, target] of reviewKinds) {
          const result = await review(node, taskType, target, MONITOR);
          expect({ node: node.port, taskType, target, broken: brokenChecks(result) }).toEqual({
            node: node.port,
            taskType,
            target,
            broken: [],
          });
          for (const entry of result.not_assessable)
            expect({ check: entry.check, enable: entry.enable }).toEqual({
              check: entry.check,
              enable: expect.any(String),
            });
        }
      }
    });

    it('finds the inactive slot, the forgotten prepared transaction and the idle transaction on the primary', async () => {
      const { primary, idle } = fleet();
      const config = await review(primary, 'config_check', 'config');
      const [slot] = findingsOf(config, 'config.replication_slots');
      expect(slot).toMatchObject({ object: SLOT, severity: 'warning', evidence: { active: false } });
      expect(slot.evidence.retained_bytes as number).toBeGreaterThan(0);
      expect(findingsOf(config, 'config.replication_lag').filter((f) => f.severity !== 'info')).toEqual([]);

      const tables = await review(primary, 'table_analysis', 'tables');
      const holders = findingsOf(tables, 'tables.vacuum_horizon');
      const prepared = holders.find((f) => f.object === `prepared_transaction:${GID}`);
      const session = holders.find((f) => f.object === `session:pid ${idle.pid}`);
      expect(prepared).toMatchObject({ severity: 'warning', evidence: { database: DATABASE } });
      expect(session).toMatchObject({ severity: 'info', evidence: { pid: idle.pid, state: 'idle in transaction' } });
      expect(holders[0].evidence.xid_age as number).toBeGreaterThanOrEqual(1000);
      expect(holders[0].evidence.tables_with_most_dead_rows).toContainEqual(
        expect.objectContaining({ table: 'public.orders' }),
      );
    });

    it('reads pg_hba.conf for a role granted only its rules, and sees the superuser a +group line admits', async () => {
      const security = await review(fleet().primary, 'config_check', 'security', HBA_READER);
      expect(brokenChecks(security)).toEqual([]);
      const superuserLines = findingsOf(security, 'security.hba_superuser_remote');
      expect(superuserLines).toContainEqual(
        expect.objectContaining({ severity: 'critical', title: expect.stringContaining('fleet_dba') }),
      );
      expect(superuserLines.every((f) => /pg_hba\.conf:\d+$/.test(String(f.object)))).toBe(true);
    });

    it(
      'finds a table past its analyze threshold, and from 13 past its insert threshold, and warns when the ' +
        'next review finds it still overdue',
      async () => {
        const { primary } = fleet();
        const first = await review(primary, 'table_analysis', 'tables');
        const overdue = findingsOf(first, 'tables.maintenance_overdue').find((f) => f.object === 'public.events');
        expect(overdue).toMatchObject({
          severity: 'info',
          title: major >= 13 ? 'Vacuum and analyze overdue' : 'Analyze overdue',
          evidence: { analyze_threshold: 150 },
        });
        // Up to 14 the statistics collector may count the first load after the ANALYZE that reset it.
        expect(overdue?.evidence.modified_since_analyze as number).toBeGreaterThanOrEqual(5000);
        if (major >= 13)
          expect(overdue?.evidence).toMatchObject({ inserts_since_vacuum: 6000, insert_threshold: 1200 });
        else expect(overdue?.evidence.inserts_since_vacuum).toBeNull();

        const second = await review(primary, 'table_analysis', 'tables', undefined, asPrevious(first));
        const still = findingsOf(second, 'tables.maintenance_overdue').find((f) => f.object === 'public.events');
        expect(still).toMatchObject({ severity: 'warning', evidence: { overdue_last_run: true, writes_per_hour: 0 } });
      },
    );

    it('names an extension installed at an older version than the server provides', async () => {
      const config = await review(fleet().primary, 'config_check', 'config');
      expect(findingsOf(config, 'config.extension_updates')).toEqual([
        expect.objectContaining({
          object: 'pg_trgm',
          severity: 'info',
          recommendation: expect.stringContaining('ALTER EXTENSION pg_trgm UPDATE'),
        }),
      ]);
    });

    it(
      'keeps an unused index informational while its counters are young or of unknown age, and warns once ' +
        'reviews saw it unused for 35 days',
      async () => {
        const { primary } = fleet();
        const first = await review(primary, 'table_analysis', 'tables');
        const unused = findingsOf(first, 'tables.unused_index').find((f) => f.object === 'public.customers_email');
        if (major <= 14) {
          // The statistics collector of 12-14 dates a new database's counters at its creation.
          expect(first.server.stats_reset).not.toBeNull();
          expect(unused).toMatchObject({ severity: 'info', evidence: { window_days: 0, measured_on: 'primary' } });
          return;
        }
        // From 15 a database's stats_reset stays null until a reset: nobody knows how long the counters cover.
        expect(first.server.stats_reset).toBeNull();
        expect(unused).toMatchObject({ severity: 'info', evidence: { window_days: null, measured_on: 'primary' } });
        expect(unused?.detail).toContain('window is unknown');

        // The same task's reviews have found it unused since 40 days ago.
        const fortyDaysAgo = new Date(Date.now() - 40 * 86_400_000).toISOString();
        const earlier = {
          ...first,
          state: {
            ...first.state,
            'tables.unused_index': { stats_reset: null, first_seen: { 'public.customers_email': fortyDaysAgo } },
          },
        };
        const later = await review(primary, 'table_analysis', 'tables', undefined, asPrevious(earlier));
        const confirmed = findingsOf(later, 'tables.unused_index').find((f) => f.object === 'public.customers_email');
        expect(confirmed).toMatchObject({ severity: 'warning', evidence: { window_days: 40 } });
        expect(
          (later.state['tables.unused_index'] as { first_seen: Record<string, string> }).first_seen[
            'public.customers_email'
          ],
        ).toBe(fortyDaysAgo);
      },
    );

    it('reports the standby as streaming and keeps primary-only verdicts out of its review', async () => {
      const { standby } = fleet();
      const config = await review(standby, 'config_check', 'performance');
      expect(findingsOf(config, 'config.standby_replay').filter((f) => f.object === 'wal_receiver')).toEqual([]);
      const tables = await review(standby, 'table_analysis', 'tables');
      expect(tables.findings.filter((f) => PRIMARY_ONLY.includes(f.check))).toEqual([]);
      const deferred = tables.not_assessable.find((n) => n.reason.startsWith('This server is a standby'));
      expect(deferred?.checks ?? [deferred?.check]).toEqual(
        expect.arrayContaining(['tables.never_vacuumed', 'tables.unused_index']),
      );
    });
  });
});

// Cleaning up changes what the other tests see, so it comes after all of them.
describe('after clean-up', () => {
  describe.concurrent.each(MAJORS)('PostgreSQL %i', (major) => {
    it('reports the planted problems resolved once they are cleaned up', async () => {
      const { primary, idle } = fleets.get(major)!;
      const before = await review(primary, 'table_analysis', 'tables');
      const configBefore = await review(primary, 'config_check', 'config');
      await idle.release();
      const db = primary.admin(DATABASE);
      await db.unsafe(`rollback prepared '${GID}'`);
      await db`select pg_drop_replication_slot(${SLOT})`;
      await db.end();
      const after = await review(primary, 'table_analysis', 'tables', undefined, asPrevious(before));
      const configAfter = await review(primary, 'config_check', 'config', undefined, asPrevious(configBefore));
      expect(findingsOf(after, 'tables.vacuum_horizon')).toEqual([]);
      expect(after.changes.resolved.map((r) => r.object)).toEqual(
        expect.arrayContaining([`prepared_transaction:${GID}`, `session:pid ${idle.pid}`]),
      );
      expect(configAfter.changes.resolved.map((r) => r.object)).toContain(SLOT);
    });
  });
});

// What a managed service shows a review, on one major: the provider's own setting (here rds.extensions,
// which only RDS defines) and its own superuser. Its own database, so the other reviews are unaffected.
describe('on a server that presents itself as Amazon RDS', () => {
  it(
    'recognises the provider, leaves its superuser alone and gives parameter-group advice instead of ALTER ' + 'SYSTEM',
    async () => {
      const { primary } = fleets.get(17)!;
      const root = primary.admin();
      await root.unsafe(`create database fleet_rds`);
      await root.unsafe(`alter database fleet_rds set rds.extensions = 'pg_stat_statements'`);
      await root.unsafe(`create role rdsadmin superuser login; create role app_admin superuser nologin`);
      try {
        const run = (target: AnalysisTarget) =>
          runAnalysis({
            taskType: 'config_check',
            params: { query_timeout: 60, analysis_target: target },
            target: primary.options('fleet_rds'),
            previous: null,
          });
        const [config, security] = [await run('config'), await run('security')];
        expect(config.server.provider).toBe('aws_rds');
        const settingAdvice = config.findings.filter((f) => f.recommendation?.includes('parameter group'));
        expect(settingAdvice.length).toBeGreaterThan(0);
        expect(
          [...config.findings, ...security.findings].filter((f) => f.recommendation?.includes('ALTER SYSTEM')),
        ).toEqual([]);
        const superusers = findingsOf(security, 'security.extra_superusers').map((f) => f.object);
        expect(superusers).toContain('app_admin');
        expect(superusers).not.toContain('rdsadmin');

        // RDS keeps pg_read_file for rdsadmin: the log review points at RDS's own log export, not a grant.
        const logs = await runAnalysis({
          taskType: 'log_analysis',
          params: { query_timeout: 60, analysis_target: 'logs' },
          target: primary.options('fleet_rds', MONITOR),
          previous: null,
        });
        expect(logs.not_assessable).toEqual([
          expect.objectContaining({
            reason: 'Amazon RDS does not let a role read the server log over SQL',
            enable: expect.stringMatching(/^To review it: publish the postgresql log to CloudWatch Logs/),
          }),
        ]);
      } finally {
        await root.unsafe(`drop database fleet_rds`);
        await root.unsafe(`drop role rdsadmin; drop role app_admin`);
        await root.end();
      }
    },
  );
});
