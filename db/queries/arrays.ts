import { sql, type SQL } from 'drizzle-orm';

/**
 * An integer array parameter sent as one PostgreSQL array literal: one bind parameter whatever
 * the length (an IN list of 10,000 ids would be 10,000 parameters).
 */
export function bigintArray(ids: readonly number[]): SQL {
  return sql`${`{${ids.map((id) => Math.trunc(id)).join(',')}}`}::bigint[]`;
}
