import type { Check, Finding } from '../types.js';
import { LIST_CAP, noteTruncation } from '../finding-list.js';
import { quoteIdent } from '../format.js';

const publicCreateOnSchema: Check = {
  id: 'security.public_create_on_schema',
  targets: ['security'],
  async run(ctx) {
    // Same semantics as has_schema_privilege('public', <schema>, 'CREATE'): a NULL acl means the
    // owner-only default, so the acl is expanded with acldefault before looking for grantee 0 (PUBLIC).
    const rows = await ctx.sql`
      select n.nspname, pg_catalog.pg_get_userbyid(n.nspowner) as owner, count(*) over ()::int as total
      from pg_catalog.pg_namespace n,
           lateral aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
      where a.grantee = 0 and a.privilege_type = 'CREATE'
        and n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema'
      order by n.nspname
      limit ${LIST_CAP}`;
    // PGDSAT 4.8 ("Ensure the public schema is protected"): warning. This is the CVE-2018-1058 pattern.
    const findings = rows.map((r): Finding => ({
      check: 'security.public_create_on_schema',
      severity: 'warning',
      object: r.nspname,
      title: `Every role can create objects in schema ${r.nspname}`,
      detail:
        `CREATE on schema ${r.nspname} (owner ${r.owner}) is granted to PUBLIC in ${ctx.server.database}. ` +
        'Any role can plant a function or operator there that shadows a built-in one and runs with the ' +
        'privileges of whoever calls it, including superusers whose search_path includes the schema.',
      recommendation:
        `REVOKE CREATE ON SCHEMA ${quoteIdent(r.nspname)} FROM PUBLIC; -- then grant CREATE to the roles ` +
        'that deploy objects',
      evidence: { schema: r.nspname, owner: r.owner, database: ctx.server.database },
    }));
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'schemas');
  },
};

const securityDefinerWithoutSearchPath: Check = {
  id: 'security.security_definer_search_path',
  targets: ['security'],
  async run(ctx) {
    // Functions that belong to an extension are the extension's business (and PGDSAT 4.3 skips them too).
    const rows = await ctx.sql`
      -- Always schema-qualified (regprocedure drops the schema when it is on our search_path).
      select format('%I.%I(%s)', n.nspname, p.proname, pg_catalog.oidvectortypes(p.proargtypes)) as signature,
             pg_catalog.pg_get_userbyid(p.proowner) as owner,
             o.rolsuper as owner_is_superuser,
             has_function_privilege('public', p.oid, 'EXECUTE') as public_can_execute,
             count(*) over ()::int as total
      from pg_catalog.pg_proc p
      join pg_catalog.pg_namespace n on n.oid = p.pronamespace
      join pg_catalog.pg_roles o on o.oid = p.proowner
      where p.prosecdef
        and n.nspname not in ('pg_catalog', 'information_schema')
        and not exists (select 1 from unnest(coalesce(p.proconfig, '{}'::text[])) c where c like 'search\\_path=%')
        and not exists (
          select 1 from pg_catalog.pg_depend d
          where d.classid = 'pg_catalog.pg_proc'::regclass and d.objid = p.oid
            and d.refclassid = 'pg_catalog.pg_extension'::regclass and d.deptype = 'e')
      order by 1
      limit ${LIST_CAP}`;
    // The PostgreSQL manual ("Writing SECURITY DEFINER Functions Safely") requires a fixed search_path;
    // PGDSAT 4.3 lists these functions for review. Warning.
    const findings = rows.map((r): Finding => ({
      check: 'security.security_definer_search_path',
      severity: 'warning',
      object: r.signature,
      title: `SECURITY DEFINER function ${r.signature} has no fixed search_path`,
      detail:
        `${r.signature} runs with the privileges of ${r.owner}${r.owner_is_superuser ? ' (a superuser)' : ''} ` +
        `but resolves names through the caller's search_path${r.public_can_execute ? ', and every role may execute it' : ''}: ` +
        `a caller who can create objects in a schema on that path can make it call their own code with ${r.owner}'s ` +
        'rights.',
      recommendation:
        `ALTER FUNCTION ${r.signature} SET search_path = pg_catalog, pg_temp; -- and schema-qualify the ` +
        'objects it uses',
      evidence: {
        function: r.signature,
        owner: r.owner,
        owner_is_superuser: r.owner_is_superuser,
        public_can_execute: r.public_can_execute,
      },
    }));
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'functions');
  },
};

export const objectPrivilegeChecks: Check[] = [publicCreateOnSchema, securityDefinerWithoutSearchPath];
