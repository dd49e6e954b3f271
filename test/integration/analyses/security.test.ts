import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalysis } from '../../../lib/analyses/index.js';
import type { TargetOptions } from '../../../lib/target/open-target.js';
import type { ReviewResult } from '../../../lib/analyses/types.js';
import { createTargetDatabase, targetAdmin, type TargetDatabase } from '../../helpers/target-db.js';
import { findingsOf } from '../../helpers/findings.js';

const reviewSecurity = (target: TargetOptions) =>
  runAnalysis({
    taskType: 'config_check',
    params: { query_timeout: 60, analysis_target: 'security' },
    target,
    previous: null,
  });

// Checks about objects inside the reviewed database; the others (settings, roles, pg_hba.conf) are
// server-wide and describe the shared test cluster, which deliberately allows trust and md5.
const databaseScopedChecks = [
  'security.public_create_on_schema',
  'security.security_definer_search_path',
  'security.untrusted_languages',
  'security.risky_extensions',
];

const suffix = () => randomBytes(4).toString('hex');

describe('config_check / security', () => {
  const admin = targetAdmin();
  const roles = {
    superuser: `cfg_super_${suffix()}`,
    viaMembership: `cfg_member_${suffix()}`,
    md5User: `cfg_md5_${suffix()}`,
    monitor: `cfg_mon_${suffix()}`,
  };
  const monitorPassword = randomBytes(12).toString('hex');

  afterAll(async () => {
    for (const role of [roles.viaMembership, roles.md5User, roles.monitor, roles.superuser])
      await admin.unsafe(`drop role if exists ${role}`);
    await admin.end();
  });

  describe('on a clean database', () => {
    let db: TargetDatabase;
    beforeAll(async () => {
      db = await createTargetDatabase('cfg_sec_clean');
    });
    afterAll(async () => {
      await db?.drop();
    });

    it('finds nothing in the database itself and can assess everything as superuser', async () => {
      const result = await reviewSecurity(db.options());

      expect(result.not_assessable).toEqual([]);
      expect(result.findings.filter((f) => databaseScopedChecks.includes(f.check))).toEqual([]);
      // The cluster's own pg_hba.conf is reported as what it is: trust for postgres, but from loopback only.
      expect(findingsOf(result, 'security.hba_trust')).toContainEqual(
        expect.objectContaining({ severity: 'warning', object: expect.stringMatching(/pg_hba\.conf:2$/) }),
      );
    });
  });

  describe('on a database and cluster with planted weaknesses', () => {
    let db: TargetDatabase;
    let result: ReviewResult;

    beforeAll(async () => {
      db = await createTargetDatabase('cfg_sec_planted');
      await admin.unsafe(`create role ${roles.superuser} superuser nologin`);
      await admin.unsafe(`create role ${roles.viaMembership} login in role ${roles.superuser}`);
      // The session setting decides how CREATE ROLE ... PASSWORD hashes the password.
      await admin.begin(async (tx) => {
        await tx`set local password_encryption = 'md5'`;
        await tx.unsafe(`create role ${roles.md5User} login password '${randomBytes(12).toString('hex')}'`);
      });
      await db.admin`grant create on schema public to public`;
      await db.admin`create function public.transfer(amount int) returns int language sql security definer as 'select amount'`;
      await db.admin`create extension dblink`;
      await db.admin.unsafe(`alter database "${db.name}" set password_encryption = 'md5'`);
      result = await reviewSecurity(db.options());
    });

    afterAll(async () => {
      await db?.drop();
    });

    it('reports the extra superuser as a warning', () => {
      expect(findingsOf(result, 'security.extra_superusers')).toContainEqual(
        expect.objectContaining({
          severity: 'warning',
          object: roles.superuser,
          recommendation:
            `ALTER ROLE ${roles.superuser} NOSUPERUSER; -- grant what it needs instead: predefined roles ` +
            '(pg_monitor, pg_read_all_data, pg_signal_backend ...) or object privileges',
        }),
      );
    });

    it('reports a login role that can SET ROLE to a superuser', () => {
      expect(findingsOf(result, 'security.login_role_reaches_superuser')).toContainEqual(
        expect.objectContaining({
          severity: 'warning',
          object: roles.viaMembership,
          evidence: { role: roles.viaMembership, superuser_roles: [roles.superuser] },
        }),
      );
    });

    it('reports the MD5 password hash, and the password without expiry as info', () => {
      expect(findingsOf(result, 'security.md5_password_hashes')).toContainEqual(
        expect.objectContaining({ severity: 'warning', object: roles.md5User }),
      );
      expect(findingsOf(result, 'security.password_without_expiry')).toContainEqual(
        expect.objectContaining({ severity: 'info', object: roles.md5User }),
      );
    });

    it('reports password_encryption md5 (set for this database) as a warning', () => {
      expect(findingsOf(result, 'security.password_encryption')).toMatchObject([
        { severity: 'warning', object: 'password_encryption', evidence: { value: 'md5', source: 'database' } },
      ]);
    });

    it('reports CREATE on schema public for PUBLIC', () => {
      expect(findingsOf(result, 'security.public_create_on_schema')).toMatchObject([
        {
          severity: 'warning',
          object: 'public',
          recommendation: expect.stringContaining('REVOKE CREATE ON SCHEMA public FROM PUBLIC'),
        },
      ]);
    });

    it('reports the SECURITY DEFINER function without a fixed search_path', () => {
      expect(findingsOf(result, 'security.security_definer_search_path')).toMatchObject([
        {
          severity: 'warning',
          object: 'public.transfer(integer)',
          recommendation:
            'ALTER FUNCTION public.transfer(integer) SET search_path = pg_catalog, pg_temp; -- and ' +
            'schema-qualify the objects it uses',
          evidence: { owner: 'postgres', owner_is_superuser: true, public_can_execute: true },
        },
      ]);
    });

    it('reports dblink as an installed extension that reaches outside the database', () => {
      expect(findingsOf(result, 'security.risky_extensions')).toMatchObject([{ severity: 'info', object: 'dblink' }]);
    });
  });

  describe('run by a role that only has pg_monitor', () => {
    let db: TargetDatabase;
    let result: ReviewResult;

    beforeAll(async () => {
      db = await createTargetDatabase('cfg_sec_monitor');
      await admin.unsafe(`create role ${roles.monitor} login password '${monitorPassword}' in role pg_monitor`);
      result = await reviewSecurity(db.options({ username: roles.monitor, password: monitorPassword }));
    });

    afterAll(async () => {
      await db?.drop();
    });

    it('marks password hashes and pg_hba.conf not assessable, each with the grant that would enable it', () => {
      const byCheck = Object.fromEntries(result.not_assessable.map((n) => [n.check, n]));
      expect(Object.keys(byCheck).sort()).toEqual(['security.hba_rules', 'security.md5_password_hashes']);
      // Both pg_authid checks fail for the same reason, so they share one entry.
      expect(byCheck['security.md5_password_hashes']).toEqual({
        check: 'security.md5_password_hashes',
        checks: ['security.md5_password_hashes', 'security.password_without_expiry'],
        reason: expect.stringContaining('pg_authid'),
        enable: `GRANT SELECT (oid, rolname, rolcanlogin, rolpassword, rolvaliduntil) ON pg_catalog.pg_authid TO ${roles.monitor};`,
      });
      expect(byCheck['security.hba_rules'].enable).toBe(
        `GRANT SELECT ON pg_catalog.pg_hba_file_rules TO ${roles.monitor}; GRANT EXECUTE ON FUNCTION ` +
          `pg_catalog.pg_hba_file_rules() TO ${roles.monitor};`,
      );
      expect(result.summary.not_assessable).toBe(2);
    });

    it('still runs every other security check', () => {
      expect(result.server.current_user).toBe(roles.monitor);
      expect(findingsOf(result, 'security.log_connections_off')).toHaveLength(1);
      expect(findingsOf(result, 'security.ssl_off')).toHaveLength(1);
    });
  });
});
