import { execFileSync } from 'node:child_process';
import { targetAdmin } from './target-db.js';

/**
 * HypoPG for the target cluster's PostgreSQL, from Debian's postgresql-<major>-hypopg, installed
 * when missing (CI runs as root on a fresh machine; the package list is refreshed first).
 */
export async function ensureHypoPG(): Promise<void> {
  const root = targetAdmin();
  try {
    const [row] = await root`
      select current_setting('server_version_num')::int / 10000 as major,
             exists (select 1 from pg_available_extensions where name = 'hypopg') as available`;
    if (row.available) return;
    const apt = (...args: string[]) =>
      execFileSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    apt('update', '-qq');
    apt('install', '-y', '-qq', `postgresql-${row.major}-hypopg`);
  } finally {
    await root.end();
  }
}
