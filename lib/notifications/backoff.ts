// The first retry comes soon (a receiver restarting), later ones ever further apart, capped at an
// hour: with the default 12 attempts a receiver has about 5 hours to come back before a delivery fails.
const FIRST_RETRY_SECONDS = 30;
const MAX_RETRY_SECONDS = 3600;

/** Seconds to wait after the `attempt`-th failed attempt (1-based). */
export function retryDelaySeconds(attempt: number): number {
  return Math.min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** Math.max(0, attempt - 1));
}
