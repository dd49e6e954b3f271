import type { Check, Finding } from '../types.js';
import { LATEST_MINORS_AS_OF, minorStatus, supportStatus } from './end-of-life.js';
import { LIST_CAP, noteTruncation } from '../finding-list.js';
import { quoteIdent } from '../format.js';

const endOfLife: Check = {
  id: 'config.version_end_of_life',
  targets: ['config'],
  async run(ctx) {
    // "Today" is the server's date: the review may run from a machine whose clock or zone differs.
    const [row] = await ctx.sql`select to_char(current_date, 'YYYY-MM-DD') as today`;
    const status = supportStatus(ctx.server.version_num, row.today);
    const version = ctx.server.version.split(' ').slice(0, 2).join(' ');
    if (status.status === 'ended') {
      // PGDSAT 1.4 rates a major version that is no longer supported as critical: no more security fixes.
      return [
        {
          check: 'config.version_end_of_life',
          severity: 'critical',
          object: `PostgreSQL ${status.major}`,
          title: `PostgreSQL ${status.major} is past its end of life`,
          detail:
            `${version} runs on a major version whose support ended${status.endOfLife ? ` on ${status.endOfLife} (${status.daysPast} days ago)` : ''}: ` +
            'it no longer receives security or data-corruption fixes.',
          recommendation: 'Plan a major upgrade (pg_upgrade or logical replication) to a supported release.',
          evidence: {
            version_num: ctx.server.version_num,
            major: status.major,
            end_of_life: status.endOfLife,
            value: status.daysPast,
            today: row.today,
          },
        },
      ];
    }
    if (status.status === 'ending_soon') {
      return [
        {
          check: 'config.version_end_of_life',
          severity: 'info',
          object: `PostgreSQL ${status.major}`,
          title: `PostgreSQL ${status.major} reaches its end of life on ${status.endOfLife}`,
          detail:
            `${version} stops receiving fixes in ${status.daysLeft} days; a major upgrade needs testing and a ` +
            'maintenance window.',
          recommendation: 'Schedule a major upgrade to a newer supported release before the end-of-life date.',
          evidence: {
            version_num: ctx.server.version_num,
            major: status.major,
            end_of_life: status.endOfLife,
            days_left: status.daysLeft,
            today: row.today,
          },
        },
      ];
    }
    return [];
  },
};

const minorVersion: Check = {
  id: 'config.minor_version',
  targets: ['config'],
  async run(ctx) {
    const status = minorStatus(ctx.server.version_num);
    if (status.status !== 'behind') return [];
    // check_postgres new_version_pg warns when the server is not on the latest revision of its
    // branch: minor releases carry only security, crash and data-corruption fixes.
    return [
      {
        check: 'config.minor_version',
        severity: 'warning',
        object: `PostgreSQL ${status.major}`,
        title:
          `PostgreSQL ${status.major}.${status.minor} is ${status.releasesBehind} minor release${status.releasesBehind === 1 ? '' : 's'} ` +
          `behind ${status.major}.${status.latest}`,
        detail:
          `This server runs ${status.major}.${status.minor}; the latest ${status.major}.x release was ${status.major}.${status.latest} ` +
          `as of ${LATEST_MINORS_AS_OF} (the date of the release table shipped with pg-reviewer; newer ones ` +
          'may exist). Minor releases fix security holes, crashes and data corruption, need no dump or ' +
          'pg_upgrade, only a restart on the new binaries.',
        recommendation:
          `Install the latest ${status.major}.x packages and restart (managed services: apply the provider's ` +
          'minor-version upgrade or maintenance window). Read the release notes for post-upgrade steps such as ' +
          'REINDEX.',
        evidence: {
          value: status.releasesBehind,
          version_num: ctx.server.version_num,
          latest_minor: `${status.major}.${status.latest}`,
          table_date: LATEST_MINORS_AS_OF,
        },
      },
    ];
  },
};

/** Installed extensions whose installed version is older than the one the server's files provide. */
const extensionUpdates: Check = {
  id: 'config.extension_updates',
  targets: ['config'],
  async run(ctx) {
    const rows = await ctx.sql`
      select name, installed_version, default_version, count(*) over ()::int as total
      from pg_catalog.pg_available_extensions
      where installed_version is not null and installed_version <> default_version
      order by name
      limit ${LIST_CAP}`;
    const findings = rows.map((r): Finding => ({
      check: 'config.extension_updates',
      severity: 'info',
      object: r.name,
      title: `Extension ${r.name} ${r.installed_version} can be updated to ${r.default_version}`,
      detail:
        `${r.name} in ${ctx.server.database} is at version ${r.installed_version}; the server's files provide ${r.default_version} ` +
        '(left behind by a major upgrade or a package update). Its fixes and new functions are not active ' +
        'until the extension is updated in each database.',
      recommendation: `ALTER EXTENSION ${quoteIdent(r.name)} UPDATE;  -- in ${ctx.server.database}, on the primary`,
      evidence: { installed_version: r.installed_version, default_version: r.default_version },
    }));
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'extensions');
  },
};

export const versionChecks: Check[] = [endOfLife, minorVersion, extensionUpdates];
