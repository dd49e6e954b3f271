import type postgres from 'postgres';
import type { ReviewResult, TaskParams } from '../types.js';

/** Runs the task's one read statement in a READ ONLY transaction that is always rolled back. */
export async function runCustomSql(sql: postgres.Sql, params: TaskParams): Promise<NonNullable<ReviewResult['data']>> {
  const rows = await sql.begin('read only', async (tx) => tx.unsafe(params.custom_sql ?? '').values());
  const columns = (rows.columns ?? []).map((c) => ({ name: c.name, type: String(c.type) }));
  return { columns, rows: rows as unknown as unknown[][], row_count: rows.length, truncated: false };
}
