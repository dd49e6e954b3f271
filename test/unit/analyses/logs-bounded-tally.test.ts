import { describe, expect, it } from 'vitest';
import { BoundedTally } from '../../../lib/analyses/logs/bounded-tally.js';

describe('bounded top-K tally', () => {
  it('never holds more keys than its capacity, however many distinct keys arrive', () => {
    const tally = new BoundedTally<{ count: number }>(100);
    for (let i = 0; i < 100_000; i++) tally.bump(`key-${i}`, () => ({ count: 0 }));
    expect(tally.size).toBeLessThanOrEqual(100);
    expect(tally.evictedKeys).toBeGreaterThanOrEqual(100_000 - 100);
    expect(tally.evictedCount).toBe(tally.evictedKeys);
  });

  it('keeps the frequent keys while a long tail of one-off keys is evicted', () => {
    const tally = new BoundedTally<{ count: number }>(50);
    for (let round = 0; round < 1000; round++) {
      for (const hot of ['a', 'b', 'c']) tally.bump(hot, () => ({ count: 0 }));
      tally.bump(`rare-${round}`, () => ({ count: 0 }));
    }
    const top = tally.top(3);
    expect(top.map(([key]) => key).sort()).toEqual(['a', 'b', 'c']);
    expect(top.every(([, t]) => t.count === 1000)).toBe(true);
  });

  it('lists keys largest count first', () => {
    const tally = new BoundedTally<{ count: number }>(10);
    for (const [key, n] of [
      ['x', 1],
      ['y', 5],
      ['z', 3],
    ] as const)
      for (let i = 0; i < n; i++) tally.bump(key, () => ({ count: 0 }));
    expect(tally.top().map(([key, t]) => [key, t.count])).toEqual([
      ['y', 5],
      ['z', 3],
      ['x', 1],
    ]);
  });
});
