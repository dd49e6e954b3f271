import { describe, expect, it } from 'vitest';
import { Batcher } from '../../../lib/consumer/batcher.js';

/** A batch function that records each batch and answers only when the test releases it. */
function controlledBatches() {
  const batches: number[][] = [];
  const releases: Array<() => void> = [];
  const batcher = new Batcher<number, string>(async (inputs) => {
    batches.push(inputs);
    await new Promise<void>((resolve) => releases.push(resolve));
    if (inputs.includes(13)) throw new Error('batch refused');
    return inputs.map((n) => `done ${n}`);
  });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { batcher, batches, release: (i: number) => releases[i](), settle };
}

describe('Batcher', () => {
  it('sends a lone call at once, and calls made while a batch is in flight together in the next', async () => {
    const { batcher, batches, release, settle } = controlledBatches();
    const first = batcher.run(1);
    await settle();
    expect(batches).toEqual([[1]]);

    const waiting = [batcher.run(2), batcher.run(3), batcher.run(4)];
    await settle();
    expect(batches).toEqual([[1]]);

    release(0);
    expect(await first).toBe('done 1');
    await settle();
    expect(batches).toEqual([[1], [2, 3, 4]]);
    release(1);
    expect(await Promise.all(waiting)).toEqual(['done 2', 'done 3', 'done 4']);
  });

  it('groups calls made in the same turn of the event loop', async () => {
    const { batcher, batches, release, settle } = controlledBatches();
    const calls = [batcher.run(1), batcher.run(2)];
    await settle();
    expect(batches).toEqual([[1, 2]]);
    release(0);
    expect(await Promise.all(calls)).toEqual(['done 1', 'done 2']);
  });

  it('fails every call of a failed batch, and the next batch still runs', async () => {
    const { batcher, batches, release, settle } = controlledBatches();
    const refused = [batcher.run(12), batcher.run(13)];
    await settle();
    const later = batcher.run(14);
    release(0);
    await expect(refused[0]).rejects.toThrow('batch refused');
    await expect(refused[1]).rejects.toThrow('batch refused');
    await settle();
    expect(batches).toEqual([[12, 13], [14]]);
    release(1);
    expect(await later).toBe('done 14');
  });
});
