// What a database error is, read from the driver: shared by the API (which maps it to a status), the consumer
// and the analyses (which turn a target's refusal into a finding). Classified by SQLSTATE, never by message text.

/** postgres.js errors carry the SQLSTATE in `code`. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Drizzle wraps the driver's error as `cause`: the driver's error, wrapped or not. */
export function driverError(error: unknown): unknown {
  return (error as { cause?: unknown })?.cause ?? error;
}

/** The SQLSTATE of a database error, from under Drizzle's wrapper when there is one. */
export function databaseSqlState(error: unknown): string | undefined {
  return sqlState(driverError(error)) ?? sqlState(error);
}

// postgres.js's and Node's codes for a connection that could not be made, broke, or was closed under
// the statement: the database cannot be reached right now, whatever it would have answered.
const networkFailureCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
]);

/** True when the error says the database could not be reached, rather than that it refused something. */
export function isUnreachable(error: unknown): boolean {
  const code = (driverError(error) as { code?: unknown })?.code;
  return typeof code === 'string' && networkFailureCodes.has(code);
}
