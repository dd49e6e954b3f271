import { NotAssessableError, type Check, type Finding, type Severity } from '../types.js';
import { addressScope, prefixLength } from './hba-address.js';
import { LIST_CAP, noteTruncation } from '../finding-list.js';
import { quoteIdent } from '../format.js';

export interface HbaRule {
  file: string;
  line: number;
  type: string;
  databases: string[];
  users: string[];
  address: string | null;
  netmask: string | null;
  method: string;
  error: string | null;
}

interface RuleProblem {
  check: string;
  severity: Severity;
  title: string;
  detail: string;
  recommendation: string;
}

/**
 * The superusers a rule's user field admits: named ones, every one for "all", and for "+group" the
 * superusers that are members of that group (pg_hba.conf matches membership, not superuser status).
 * `groupSuperusers` maps each group named with "+" to its superuser members.
 */
export function superusersAdmitted(
  users: string[],
  superusers: Set<string>,
  groupSuperusers: Map<string, string[]> = new Map(),
): string[] {
  const admitted = new Set<string>();
  for (const user of users) {
    if (user === 'all') superusers.forEach((s) => admitted.add(s));
    else if (user.startsWith('+')) (groupSuperusers.get(user.slice(1)) ?? []).forEach((s) => admitted.add(s));
    else if (superusers.has(user)) admitted.add(user);
  }
  return [...admitted].sort();
}

/**
 * The pg_hba.conf problems PGDSAT looks for, per rule. Remote means any "host*" line; "local"
 * lines (Unix socket) are only checked for trust.
 */
export function hbaProblems(
  rule: HbaRule,
  superusers: Set<string>,
  groupSuperusers: Map<string, string[]> = new Map(),
): RuleProblem[] {
  if (rule.error) {
    return [
      {
        check: 'security.hba_rule_error',
        severity: 'warning',
        title: `pg_hba.conf line ${rule.line} cannot be parsed`,
        detail:
          `${rule.error}. The file on disk will not load as it is: the next reload keeps the old rules, and a ` +
          'restart fails.',
        recommendation: `Fix line ${rule.line} of ${rule.file} and SELECT pg_reload_conf();`,
      },
    ];
  }
  if (rule.method === 'reject') return [];
  const remote = rule.type !== 'local';
  const problems: RuleProblem[] = [];
  const who = `${rule.type} ${rule.databases.join(',')} ${rule.users.join(',')}${rule.address ? ` ${rule.address}${rule.netmask ? `/${prefixLength(rule.netmask) ?? rule.netmask}` : ''}` : ''}`;

  const scope = remote ? addressScope(rule.address, rule.netmask) : 'not_an_address';
  // Over the local socket or loopback only, the people who can use a rule are those on the server itself.
  const fromOtherHosts = remote && scope !== 'loopback';

  if (rule.method === 'trust') {
    // PGDSAT 5.1/5.2: trust must not be used (critical). When only users of the server itself can
    // reach the rule (Unix socket or loopback), it is a warning.
    problems.push({
      check: 'security.hba_trust',
      severity: fromOtherHosts ? 'critical' : 'warning',
      title: `pg_hba.conf line ${rule.line} lets clients in without a password (trust)`,
      detail:
        `Rule "${who}" uses trust: ${fromOtherHosts ? 'anyone who can reach the server from those addresses' : 'any user or process on the database server itself'} ` +
        `can connect as ${rule.users.includes('all') ? 'any role (superusers included)' : rule.users.join(', ')} ` +
        'without credentials.',
      recommendation:
        `Change the method on line ${rule.line} to ${remote ? 'scram-sha-256' : 'peer'} and SELECT ` +
        'pg_reload_conf();',
    });
  } else if (remote && rule.method === 'password') {
    // PGDSAT 5.2: password must not be used (critical); over loopback the clear text stays on the server, a warning.
    problems.push({
      check: 'security.hba_weak_auth',
      severity: fromOtherHosts ? 'critical' : 'warning',
      title: `pg_hba.conf line ${rule.line} sends passwords in clear text (password)`,
      detail:
        `Rule "${who}" uses the password method: the password is sent unhashed${fromOtherHosts ? ' across the network' : ''}, ` +
        'readable by anything between client and server that is not protected by TLS.',
      recommendation: `Change the method on line ${rule.line} to scram-sha-256 and SELECT pg_reload_conf();`,
    });
  } else if (remote && (rule.method === 'md5' || rule.method === 'ident')) {
    // PGDSAT 5.2: md5 is open to replay of the stored hash; ident trusts whatever the client host says.
    problems.push({
      check: 'security.hba_weak_auth',
      severity: 'warning',
      title: `pg_hba.conf line ${rule.line} uses ${rule.method} authentication`,
      detail:
        rule.method === 'md5'
          ? `Rule "${who}" uses md5: an MD5 hash obtained from a backup or replica is enough to log in, and ` +
            'MD5 is deprecated.'
          : `Rule "${who}" uses ident over TCP: the client host's ident server decides who the user is.`,
      recommendation:
        `Change the method on line ${rule.line} to scram-sha-256 (after setting passwords again with ` +
        `password_encryption = 'scram-sha-256') and SELECT pg_reload_conf();`,
    });
  }

  if (remote) {
    if (scope === 'any' || scope === 'wide') {
      // PGDSAT 5.6: a 0.0.0.0 / :: mask (any source) is critical, a range above 65,536 addresses a warning.
      problems.push({
        check: 'security.hba_open_address',
        severity: scope === 'any' ? 'critical' : 'warning',
        title:
          scope === 'any'
            ? `pg_hba.conf line ${rule.line} accepts connections from any address`
            : `pg_hba.conf line ${rule.line} accepts a very wide address range`,
        detail:
          `Rule "${who}" admits ${scope === 'any' ? 'every client address' : 'more than 65,536 client addresses'}; ` +
          'every host in the range can try to authenticate.',
        recommendation:
          `Narrow line ${rule.line} to the application servers' addresses (e.g. 10.0.1.0/24) and SELECT ` +
          'pg_reload_conf();',
      });
    }
    if (rule.databases.includes('all') && rule.users.includes('all')) {
      // PGDSAT 5.7 warns on "all" for either field; both at once is where a rule stops meaning anything specific.
      problems.push({
        check: 'security.hba_all_all',
        severity: 'warning',
        title: `pg_hba.conf line ${rule.line} allows every role into every database`,
        detail:
          `Rule "${who}" matches database all and user all, so any role can reach any database from those ` +
          'addresses.',
        recommendation: `Name the databases and roles (or +group) that need line ${rule.line} and SELECT pg_reload_conf();`,
      });
    }
    const namedSuperusers = superusersAdmitted(rule.users, superusers, groupSuperusers);
    if (namedSuperusers.length > 0) {
      // PGDSAT 5.8: superusers should not be allowed to connect remotely (critical); from loopback only, a warning.
      problems.push({
        check: 'security.hba_superuser_remote',
        severity: fromOtherHosts ? 'critical' : 'warning',
        title: `pg_hba.conf line ${rule.line} lets superuser ${namedSuperusers.join(', ')} connect over TCP`,
        detail:
          `Rule "${who}" admits ${namedSuperusers.join(', ')} over TCP${fromOtherHosts ? ' from other hosts' : ' (loopback only)'}${rule.users.some((u) => u === 'all' || u.startsWith('+')) ? ` (through "${rule.users.join(',')}")` : ''}; ` +
          'superuser access is safest through the local socket with peer authentication.',
        recommendation: rule.users.some((u) => u === 'all' || u.startsWith('+'))
          ? `Put a "reject" line for ${namedSuperusers.join(', ')} from these addresses before line ${rule.line}, ` +
            `or name the roles line ${rule.line} is for; administer through "local ... peer".`
          : `Remove ${namedSuperusers.join(', ')} from line ${rule.line} (administer through "local ... peer") ` +
            'and use predefined roles for remote tools.',
      });
    }
  }
  return problems;
}

const hbaRules: Check = {
  id: 'security.hba_rules',
  targets: ['security'],
  async run(ctx) {
    const [access] = await ctx.sql`
      select has_table_privilege('pg_catalog.pg_hba_file_rules', 'SELECT')
         and has_function_privilege('pg_catalog.pg_hba_file_rules()', 'EXECUTE') as readable`;
    if (!access.readable) {
      const role = quoteIdent(ctx.server.current_user);
      throw new NotAssessableError(
        'pg_hba_file_rules (pg_hba.conf read over SQL) is readable only by superusers unless granted',
        `GRANT SELECT ON pg_catalog.pg_hba_file_rules TO ${role}; GRANT EXECUTE ON FUNCTION ` +
          `pg_catalog.pg_hba_file_rules() TO ${role};`,
      );
    }
    // file_name arrived in PostgreSQL 16 together with include directives in pg_hba.conf. Before it the
    // file's path is the hba_file setting, which only pg_read_all_settings may read: without it the
    // rules are still judged, under the file's usual name.
    const [settings] =
      await ctx.sql`select ${ctx.server.is_superuser} or pg_has_role(current_user, 'pg_read_all_settings', 'USAGE') as readable`;
    const fileName =
      ctx.server.version_num >= 160000
        ? ctx.sql`file_name`
        : settings.readable
          ? ctx.sql`current_setting('hba_file')`
          : ctx.sql`'pg_hba.conf'`;
    const rows = await ctx.sql`
      select ${fileName} as file, line_number, type, database, user_name, address, netmask, auth_method, error
      from pg_catalog.pg_hba_file_rules
      order by line_number
      limit 1000`;
    const superusers = new Set(
      (await ctx.sql`select rolname from pg_catalog.pg_roles where rolsuper`).map((r) => r.rolname as string),
    );
    const groups = [
      ...new Set(
        rows.flatMap((r) => ((r.user_name ?? []) as string[]).filter((u) => u.startsWith('+')).map((u) => u.slice(1))),
      ),
    ];
    const groupSuperusers = new Map<string, string[]>();
    if (groups.length > 0) {
      // Real membership, direct or through other groups, as pg_hba.conf matches it: pg_has_role()
      // would call every superuser a member of every group.
      const members = await ctx.sql`
        with recursive member_of(group_oid, member) as (
          select a.roleid, a.member from pg_catalog.pg_auth_members a
          join pg_catalog.pg_roles g on g.oid = a.roleid where g.rolname = any(${groups})
          union
          select m.group_oid, a.member from member_of m join pg_catalog.pg_auth_members a on a.roleid = m.member
        )
        select g.rolname as group_name, array_agg(distinct s.rolname::text) as superusers
        from member_of m
        join pg_catalog.pg_roles g on g.oid = m.group_oid
        join pg_catalog.pg_roles s on s.oid = m.member and s.rolsuper
        group by g.rolname`;
      for (const m of members) groupSuperusers.set(m.group_name, m.superusers);
    }

    const findings: Finding[] = [];
    for (const r of rows) {
      const rule: HbaRule = {
        file: r.file ?? 'pg_hba.conf',
        line: Number(r.line_number),
        type: r.type ?? '',
        databases: r.database ?? [],
        users: r.user_name ?? [],
        address: r.address,
        netmask: r.netmask,
        method: r.auth_method ?? '',
        error: r.error,
      };
      for (const p of hbaProblems(rule, superusers, groupSuperusers)) {
        findings.push({
          check: p.check,
          severity: p.severity,
          // File and line identify the rule; the check id says which problem it has.
          object: `${rule.file}:${rule.line}`,
          title: p.title,
          detail: `${p.detail} (Read from pg_hba.conf as it is on disk now; the server applies it at its next reload.)`,
          recommendation: p.recommendation,
          evidence: { ...rule },
        });
      }
    }
    return noteTruncation(findings.slice(0, LIST_CAP), findings.length, 'pg_hba.conf problems');
  },
};

export const hbaChecks: Check[] = [hbaRules];
