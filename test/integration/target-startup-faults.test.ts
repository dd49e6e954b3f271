import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTarget } from '../../lib/target/open-target.js';
import { createTargetDatabase, targetAdmin, type TargetDatabase } from '../helpers/target-db.js';

let db: TargetDatabase;
// Watches from another database: a new session in the locked one would wait for pg_type itself.
let watcher: ReturnType<typeof targetAdmin>;
beforeAll(async () => {
  db = await createTargetDatabase('startup');
  watcher = targetAdmin();
});
afterAll(async () => {
  await watcher.end();
  await db.drop();
});

/** Backends of ours in the test database that wait for a lock, by pid. */
async function waitingReviewerBackend(): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [row] = await watcher<{ pid: number }[]>`
      select pid from pg_stat_activity
       where datname = ${db.name} and application_name = 'pg-reviewer' and wait_event_type = 'Lock'`;
    if (row) return row.pid;
    if (Date.now() > deadline) throw new Error('no reviewer backend ever waited for the lock');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('a target connection lost while it starts', () => {
  it('fails the query that waited for it and lets nothing escape the process', async () => {
    const escaped: unknown[] = [];
    const collect = (reason: unknown) => escaped.push(reason);
    process.on('unhandledRejection', collect);

    // The driver reads pg_type as the first statement of every new connection; holding that catalog
    // keeps our connection inside its start-up long enough to terminate it there, as a failover would.
    const holder = await db.admin.reserve();
    await holder`begin`;
    await holder`lock table pg_catalog.pg_type in access exclusive mode`;
    const target = openTarget(db.options());
    const firstQuery = target`select 1 as one`.then(
      () => 'answered',
      (error: Error) => error.message,
    );
    try {
      await watcher`select pg_terminate_backend(${await waitingReviewerBackend()})`;
    } finally {
      await holder`rollback`;
      holder.release();
    }

    expect(await firstQuery).toMatch(/terminating connection due to administrator command|CONNECTION_CLOSED/);
    await target.end({ timeout: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', collect);
    expect(escaped).toEqual([]);
  });
});
