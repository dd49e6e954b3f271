import { detach } from './log-entry.js';

/** A record kept per key; `count` decides which keys survive when the tally is full. */
export interface Counted {
  count: number;
}

/**
 * A map from key to record that never holds more than `capacity` keys. When a new key arrives
 * and the map is full, the smaller half (by count) is evicted at once, so the cost of eviction is
 * spread over many inserts. Frequent keys survive; the evicted keys and the occurrences they held
 * are counted so a finding can say what was left out.
 */
export class BoundedTally<T extends Counted> {
  private readonly items = new Map<string, T>();
  evictedKeys = 0;
  evictedCount = 0;

  constructor(private readonly capacity: number) {}

  /** The record for `key`, created by `create` when absent; the caller updates its counters. */
  upsert(key: string, create: () => T): T {
    let item = this.items.get(key);
    if (!item) {
      if (this.items.size >= this.capacity) this.evictSmallerHalf();
      item = create();
      this.items.set(detach(key), item);
    }
    return item;
  }

  /** Adds one occurrence of `key` (for tallies whose record is just a count). */
  bump(key: string, create: () => T): T {
    const item = this.upsert(key, create);
    item.count++;
    return item;
  }

  get size(): number {
    return this.items.size;
  }

  /** Keys with their records, largest count first. */
  top(n = this.items.size): Array<[string, T]> {
    return [...this.items].sort((a, b) => b[1].count - a[1].count).slice(0, n);
  }

  private evictSmallerHalf(): void {
    const ascending = [...this.items].sort((a, b) => a[1].count - b[1].count);
    for (const [key, item] of ascending.slice(0, Math.max(1, Math.floor(ascending.length / 2)))) {
      this.items.delete(key);
      this.evictedKeys++;
      this.evictedCount += item.count;
    }
  }
}
