import { perReview } from '../per-review.js';
import { NotAssessableError, type Check, type CheckContext, type Finding } from '../types.js';
import { readSettings, requireSetting } from './settings.js';
import { LIST_CAP, noteTruncation } from '../finding-list.js';
import { quoteIdent } from '../format.js';

/**
 * Password hashes live in pg_authid, which only superusers can read; pg_roles shows "********"
 * for every role, with or without a password. Asked once per review.
 */
const requirePasswordHashes = perReview(async (ctx: CheckContext): Promise<void> => {
  const [row] = await ctx.sql`select has_column_privilege('pg_catalog.pg_authid', 'rolpassword', 'SELECT') as readable`;
  if (!row.readable) {
    throw new NotAssessableError(
      'Password hashes are stored in pg_authid, which only superusers can read; run security reviews as a ' +
        'superuser (the grant below exposes every password hash to the reviewing role)',
      `GRANT SELECT (oid, rolname, rolcanlogin, rolpassword, rolvaliduntil) ON pg_catalog.pg_authid TO ${quoteIdent(ctx.server.current_user)};`,
    );
  }
});

const md5PasswordHashes: Check = {
  id: 'security.md5_password_hashes',
  targets: ['security'],
  async run(ctx) {
    await requirePasswordHashes(ctx);
    const rows = await ctx.sql`
      select rolname, rolcanlogin, count(*) over ()::int as total
      from pg_catalog.pg_authid
      where rolpassword like 'md5%'
      order by rolname
      limit ${LIST_CAP}`;
    // PGDSAT 5.9: md5 is insecure; an md5 hash is enough to log in with md5 authentication (pass-the-hash).
    const findings = rows.map((r): Finding => ({
      check: 'security.md5_password_hashes',
      severity: 'warning',
      object: r.rolname,
      title: `${r.rolname} has an MD5 password hash`,
      detail:
        `The stored hash of ${r.rolname} is MD5: anyone who obtains it (a backup, a replica, pg_authid) can ` +
        `log in as ${r.rolname} wherever md5 authentication is allowed, and MD5 hashes are cheap to ` +
        'brute-force. MD5 password support is deprecated.',
      recommendation:
        `Set password_encryption = 'scram-sha-256', then set the password again (psql: \\password ${r.rolname}, ` +
        `or ALTER ROLE ${quoteIdent(r.rolname)} PASSWORD '...'), and switch pg_hba.conf rules from md5 to ` +
        'scram-sha-256.',
      evidence: { role: r.rolname, can_login: r.rolcanlogin, hash: 'md5' },
    }));
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'roles');
  },
};

const passwordsWithoutExpiry: Check = {
  id: 'security.password_without_expiry',
  targets: ['security'],
  async run(ctx) {
    await requirePasswordHashes(ctx);
    const rows = await ctx.sql`
      select rolname, count(*) over ()::int as total
      from pg_catalog.pg_authid
      where rolcanlogin and rolpassword is not null and rolvaliduntil is null
      order by rolname
      limit ${LIST_CAP}`;
    // Info: password expiry is a policy choice, but a password that never expires is the one that leaks.
    const findings = rows.map((r): Finding => ({
      check: 'security.password_without_expiry',
      severity: 'info',
      object: r.rolname,
      title: `The password of ${r.rolname} never expires`,
      detail:
        `${r.rolname} can log in with a password and has no VALID UNTIL date, so a leaked password stays ` +
        'valid until someone changes it.',
      recommendation:
        `If your policy rotates passwords: ALTER ROLE ${quoteIdent(r.rolname)} VALID UNTIL '<date>'; ` +
        '(application roles are better served by SSO or certificates than by expiring passwords)',
      evidence: { role: r.rolname },
    }));
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'roles');
  },
};

const passwordEncryption: Check = {
  id: 'security.password_encryption',
  targets: ['security'],
  async run(ctx) {
    const current = requireSetting(
      await readSettings(ctx, ['password_encryption']),
      'password_encryption',
      ctx.server.current_user,
    );
    if (current.setting === 'scram-sha-256') return [];
    // PGDSAT 5.9 ("Ensure password_encryption is correctly set") rates anything else critical; it is a
    // warning here because it only affects passwords set from now on (existing hashes are checked separately).
    return [
      {
        check: 'security.password_encryption',
        severity: 'warning',
        object: 'password_encryption',
        title: `password_encryption is '${current.setting}', not scram-sha-256`,
        detail:
          `Every password set from now on is stored as an MD5 hash (password_encryption = '${current.setting}', ` +
          `set from ${current.source}), which can be replayed against md5 authentication and brute-forced ` +
          'cheaply.',
        recommendation: "ALTER SYSTEM SET password_encryption = 'scram-sha-256'; SELECT pg_reload_conf();",
        evidence: { value: current.setting, source: current.source },
      },
    ];
  },
};

export const passwordChecks: Check[] = [md5PasswordHashes, passwordsWithoutExpiry, passwordEncryption];
