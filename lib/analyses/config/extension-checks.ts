import type { Check, Finding, Severity } from '../types.js';
import { quoteIdent } from '../format.js';

const untrustedLanguages: Check = {
  id: 'security.untrusted_languages',
  targets: ['security'],
  async run(ctx) {
    // c and internal are untrusted by definition and cannot be dropped; they are not a choice anyone made.
    const rows = await ctx.sql`
      select l.lanname, (select count(*)::int from pg_catalog.pg_proc p where p.prolang = l.oid) as functions
      from pg_catalog.pg_language l
      where not l.lanpltrusted and l.lanname not in ('c', 'internal')
      order by l.lanname`;
    return rows.map((r): Finding => ({
      check: 'security.untrusted_languages',
      severity: 'info',
      object: r.lanname,
      title: `Untrusted language ${r.lanname} is installed in ${ctx.server.database}`,
      detail:
        `Functions in ${r.lanname} run with the server's operating-system rights (files, network, ` +
        'processes). Only superusers can create them, but any such function that takes input becomes a path ' +
        `from SQL to the OS. ${r.functions} function(s) use it.`,
      recommendation:
        r.functions === 0
          ? `DROP EXTENSION IF EXISTS ${quoteIdent(r.lanname)}; -- unused`
          : `Review the ${r.functions} function(s) written in ${r.lanname}; drop the language when they are no ` +
            'longer needed.',
      evidence: { language: r.lanname, functions: r.functions },
    }));
  },
};

/** Extensions that reach outside the database: the server's file system, or other servers. */
export const riskyExtensions: Record<string, { severity: Severity; why: string }> = {
  adminpack: {
    severity: 'warning',
    why: 'adds functions that write, rename and delete files on the database server (removed from PostgreSQL 17)',
  },
  file_fdw: {
    severity: 'warning',
    why:
      "reads any file the server can read, and with the program option runs shell commands as the server's OS " +
      'user',
  },
  dblink: {
    severity: 'info',
    why: 'opens connections from the database server to other servers, including back to this one as another role',
  },
  postgres_fdw: {
    severity: 'info',
    why: 'opens connections from the database server to other servers with stored credentials',
  },
};

const installedRiskyExtensions: Check = {
  id: 'security.risky_extensions',
  targets: ['security'],
  async run(ctx) {
    const rows = await ctx.sql`
      select extname, extversion, pg_catalog.pg_get_userbyid(extowner) as owner
      from pg_catalog.pg_extension
      where extname = any(${Object.keys(riskyExtensions)})
      order by extname`;
    // PGDSAT 1.5 ("Ensure unused PostgreSQL extensions are removed") asks for a review of installed extensions.
    return rows.map((r): Finding => {
      const risk = riskyExtensions[r.extname];
      return {
        check: 'security.risky_extensions',
        severity: risk.severity,
        object: r.extname,
        title: `Extension ${r.extname} is installed in ${ctx.server.database}`,
        detail: `${r.extname} ${r.extversion} ${risk.why}. Check who has EXECUTE on its functions.`,
        recommendation:
          `If it is not needed: DROP EXTENSION ${quoteIdent(r.extname)}; otherwise REVOKE EXECUTE on its ` +
          'functions FROM PUBLIC and grant them to the roles that need them.',
        evidence: { extension: r.extname, version: r.extversion, owner: r.owner },
      };
    });
  },
};

export const extensionChecks: Check[] = [untrustedLanguages, installedRiskyExtensions];
