import type { CheckContext } from './types.js';

/**
 * A read the checks of one review share: the first check to ask runs it, the others get the same
 * promise. Keyed by the review's context, so nothing outlives the review.
 */
export function perReview<T>(load: (ctx: CheckContext) => Promise<T>): (ctx: CheckContext) => Promise<T> {
  const reads = new WeakMap<CheckContext, Promise<T>>();
  return (ctx) => {
    let read = reads.get(ctx);
    if (!read) {
      read = load(ctx);
      reads.set(ctx, read);
    }
    return read;
  };
}
