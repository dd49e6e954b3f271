import type { Check } from '../types.js';
import { supportStatus } from './end-of-life.js';

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
          detail: `${version} runs on a major version whose support ended${status.endOfLife ? ` on ${status.endOfLife} (${status.daysPast} days ago)` : ''}: it no longer receives security or data-corruption fixes.`,
          recommendation: 'Plan a major upgrade (pg_upgrade or logical replication) to a supported release.',
          evidence: { version_num: ctx.server.version_num, major: status.major, end_of_life: status.endOfLife, value: status.daysPast, today: row.today },
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
          detail: `${version} stops receiving fixes in ${status.daysLeft} days; a major upgrade needs testing and a maintenance window.`,
          recommendation: 'Schedule a major upgrade to a newer supported release before the end-of-life date.',
          evidence: { version_num: ctx.server.version_num, major: status.major, end_of_life: status.endOfLife, days_left: status.daysLeft, today: row.today },
        },
      ];
    }
    return [];
  },
};

export const versionChecks: Check[] = [endOfLife];
