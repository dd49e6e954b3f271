import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionRow } from '../../../db/schema/index.js';
import type { TargetOptions } from '../../../lib/target/open-target.js';
import { TargetPool } from '../../../lib/target/target-pool.js';

// Nothing here sends a query, so no connection is ever opened: only the lending is exercised.
const options: TargetOptions = {
  host: '127.0.0.1',
  port: 1,
  database: 'x',
  username: 'x',
  sslmode: 'disable',
  statementTimeoutSeconds: 30,
};
const database = (id: number) => ({ id, updatedAt: new Date(0) }) as ConnectionRow;
const open: TargetPool[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

function reviewsOf(targets: TargetPool) {
  let running = 0;
  let most = 0;
  const events: string[] = [];
  const review = (name: string, id: number, ms: number) =>
    targets.use(database(id), options, async () => {
      running++;
      most = Math.max(most, running);
      events.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      events.push(`end ${name}`);
      running--;
    });
  return { review, events, most: () => most };
}

describe('the per-database session limit', () => {
  it('runs at most the limit of reviews of one database at once, the next starting as one ends', async () => {
    const targets = new TargetPool({ perDatabase: 2, maxWaitMs: 60_000 });
    open.push(targets);
    const { review, events, most } = reviewsOf(targets);
    await Promise.all([review('a', 1, 30), review('b', 1, 60), review('c', 1, 10), review('d', 1, 10)]);
    expect(most()).toBe(2);
    expect(events.slice(0, 3)).toEqual(['start a', 'start b', 'end a']);
    expect(events[3]).toBe('start c');
  });

  it('does not hold back reviews of other databases', async () => {
    const targets = new TargetPool({ perDatabase: 1, maxWaitMs: 60_000 });
    open.push(targets);
    const { review, most } = reviewsOf(targets);
    await Promise.all([review('a', 1, 30), review('b', 2, 30), review('c', 3, 30)]);
    expect(most()).toBe(3);
  });

  it('lets a review that waited past the longest wait go over the limit, so its deadline still holds', async () => {
    const targets = new TargetPool({ perDatabase: 1, maxWaitMs: 20 });
    open.push(targets);
    const { review, events, most } = reviewsOf(targets);
    await Promise.all([review('long', 1, 200), review('waiting', 1, 10)]);
    expect(most()).toBe(2);
    expect(events).toEqual(['start long', 'start waiting', 'end waiting', 'end long']);
  });
});
