import { databaseSqlState, driverError, isUnreachable } from './errors.js';

/**
 * An error of the moment, not of the statement: a connection lost (failover, an idle-connection
 * reaper, pg_terminate_backend), the server shutting down or starting, too many clients, a
 * serialization failure or deadlock. The same statement may succeed when sent again.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  if (isUnreachable(error)) return true;
  const state = databaseSqlState(error);
  if (!state) return false;
  return state.startsWith('08') || ['57P01', '57P02', '57P03', '53300', '40001', '40P01'].includes(state);
}

/**
 * The driver's message, never Drizzle's wrapper: "Failed query: … params: …" carries every
 * parameter of the statement (results, ciphertexts), which must not reach a log.
 */
export function errorMessageForLog(error: unknown): string {
  const inner = driverError(error) as { message?: unknown; detail?: unknown } | undefined;
  const message = typeof inner?.message === 'string' ? inner.message : String(inner);
  return typeof inner?.detail === 'string' && inner.detail ? `${message} (${inner.detail})` : message;
}
