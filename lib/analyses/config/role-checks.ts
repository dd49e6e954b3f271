import { isProviderSuperuser } from './managed-services.js';
import type { Check, Finding } from '../types.js';
import { LIST_CAP, noteTruncation } from '../finding-list.js';
import { quoteIdent } from '../format.js';

const extraSuperusers: Check = {
  id: 'security.extra_superusers',
  targets: ['security'],
  async run(ctx) {
    // oid 10 is the bootstrap superuser created by initdb; it cannot be dropped or demoted.
    const rows = await ctx.sql`
      select rolname, rolcanlogin, count(*) over ()::int as total
      from pg_catalog.pg_roles
      where rolsuper and oid <> 10
      order by rolname
      limit ${LIST_CAP}`;
    // PGDSAT 4.2 ("Ensure excessive administrative privileges are revoked") warns when there is more
    // than one superuser.
    const findings = rows.map((r): Finding => ({
      check: 'security.extra_superusers',
      severity: 'warning',
      object: r.rolname,
      title: `${r.rolname} is a superuser`,
      detail:
        `Role ${r.rolname}${r.rolcanlogin ? ' (can log in)' : ' (cannot log in, but members can SET ROLE to it)'} ` +
        `bypasses every permission check, can read any file the server can and run programs as the server's OS ` +
        'user. Besides the bootstrap role, superuser should be the exception.',
      recommendation:
        `ALTER ROLE ${quoteIdent(r.rolname)} NOSUPERUSER; -- grant what it needs instead: predefined roles ` +
        '(pg_monitor, pg_read_all_data, pg_signal_backend ...) or object privileges',
      evidence: { role: r.rolname, can_login: r.rolcanlogin },
    }));
    // The provider's own superuser (rdsadmin, cloudsqladmin, azuresu) runs the service and cannot be changed.
    const customerOwned = findings.filter((f) => !isProviderSuperuser(ctx.server.provider, String(f.object)));
    return noteTruncation(
      customerOwned,
      Number(rows[0]?.total ?? 0) - (findings.length - customerOwned.length),
      'superusers',
    );
  },
};

const loginRolesReachingSuperuser: Check = {
  id: 'security.login_role_reaches_superuser',
  targets: ['security'],
  async run(ctx) {
    // Superuser is an attribute, never inherited, but a member can SET ROLE to the superuser role.
    // From PostgreSQL 16 that needs the SET option on the membership, which pg_has_role(..., 'SET') checks.
    const mode = ctx.server.version_num >= 160000 ? 'SET' : 'MEMBER';
    const rows = await ctx.sql`
      select r.rolname, array_agg(s.rolname::text order by s.rolname) as superuser_roles, count(*) over ()::int as total
      from pg_catalog.pg_roles r
      join pg_catalog.pg_roles s on s.rolsuper and s.oid <> r.oid
      where r.rolcanlogin and not r.rolsuper and pg_catalog.pg_has_role(r.oid, s.oid, ${mode})
      group by r.rolname
      order by r.rolname
      limit ${LIST_CAP}`;
    // PGDSAT 4.6 lists login roles that are superusers or members of a superuser role.
    const findings = rows.map((r): Finding => {
      const via = (r.superuser_roles as string[]).join(', ');
      return {
        check: 'security.login_role_reaches_superuser',
        severity: 'warning',
        object: r.rolname,
        title: `Login role ${r.rolname} can become superuser through ${via}`,
        detail:
          `${r.rolname} is not a superuser itself, but as a member of ${via} it can run SET ROLE and act as ` +
          'superuser, which hides the escalation from a plain look at role attributes.',
        recommendation:
          `REVOKE ${(r.superuser_roles as string[]).map(quoteIdent).join(', ')} FROM ${quoteIdent(r.rolname)}; ` +
          '-- or, on PostgreSQL 16+, grant the membership WITH SET FALSE',
        evidence: { role: r.rolname, superuser_roles: r.superuser_roles },
      };
    });
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'roles');
  },
};

export const roleChecks: Check[] = [extraSuperusers, loginRolesReachingSuperuser];
