import type postgres from 'postgres';
import { sqlState } from '../../http/errors.js';
import { isConnectionError } from '../target-connection.js';
import type { ReviewResult, TaskParams } from '../types.js';
import { checkCustomSql } from './check-custom-sql.js';
import { describeColumnTypes, unknownColumnType } from './column-types.js';
import { serializeValue } from './serialize-value.js';

type CustomSqlData = NonNullable<ReviewResult['data']>;

/** Rows as the server sent them in text format, one Buffer per value (null for SQL NULL). */
type RawRows = Array<Array<Buffer | null>> & { columns?: Array<{ name: string; type: number }> };

const defaultMaxRows = 1000;
const maxRowsLimit = 10_000;

/** Runs the task's one read statement in a READ ONLY transaction that is always rolled back. */
export async function runCustomSql(sql: postgres.Sql, params: TaskParams): Promise<CustomSqlData> {
  const text = params.custom_sql ?? '';
  // Checked again here, not only when the task was saved: the rules may have tightened since.
  const verdict = await checkCustomSql(text);
  if (!verdict.ok) throw new Error(verdict.reason);
  const maxRows = Math.min(Math.max(Math.trunc(params.max_rows ?? defaultMaxRows), 1), maxRowsLimit);

  const connection = await sql.reserve();
  try {
    await beginReadOnly(connection, params.query_timeout);
    const data = await readResult(connection, sql.CLOSE, text, maxRows);
    // Rolled back even on success: nothing the statement did in this transaction is kept.
    await connection.unsafe('rollback');
    return data;
  } catch (error) {
    // A lost connection has no transaction left to roll back, and a query sent on it would wait forever.
    if (!isConnectionError(error)) await connection.unsafe('rollback').catch(() => undefined);
    throw readableError(error, params.query_timeout);
  } finally {
    connection.release();
  }
}

async function readResult(connection: postgres.ReservedSql, close: object, text: string, maxRows: number): Promise<CustomSqlData> {
  // One row past the cap tells whether the result was truncated.
  const rows = await fetchFirstRows(connection, close, text, maxRows + 1);
  const columns = rows.columns ?? [];
  const types = await describeColumnTypes(connection, columns.map((c) => c.type));
  const columnTypes = columns.map((c) => types.get(c.type) ?? unknownColumnType(c.type));
  const kept = rows.slice(0, maxRows);
  return {
    columns: columns.map((c, i) => ({ name: c.name, type: columnTypes[i].name })),
    rows: kept.map((row) => row.map((value, i) => serializeValue(value === null ? null : value.toString('utf8'), columnTypes[i].format))),
    row_count: kept.length,
    truncated: rows.length > maxRows,
  };
}

/**
 * Opens the READ ONLY transaction and sets its transaction-local output settings in one round trip
 * (simple protocol, two statements), so the text format is predictable whatever the server's defaults.
 * DateStyle 'ISO' sets only the output style; the day/month order the statement's literals are read
 * with is kept. The timeout is an integer validated with the task, safe to inline.
 */
async function beginReadOnly(connection: postgres.ReservedSql, timeoutSeconds: number): Promise<void> {
  const statementTimeout = `${Math.trunc(timeoutSeconds)}s`;
  await connection.unsafe(
    `begin transaction read only; select set_config('statement_timeout', '${statementTimeout}', true), set_config('DateStyle', 'ISO', true), set_config('bytea_output', 'hex', true), set_config('extra_float_digits', '1', true)`,
  ).simple();
}

/**
 * Reads at most `limit` rows through a portal, so a huge result is never produced in full: the
 * cursor's first batch is kept and the portal closed. (The extended protocol a cursor uses also
 * runs one statement only.) A statement that finishes within the first batch may not call back
 * (no rows, or SHOW and EXPLAIN, whose command tag has no row count); its rows are then in the
 * query's own result. `close` is the pool's CLOSE marker: a reserved connection does not carry one
 * at run time, and anything else returned from the callback makes postgres.js fetch the next batch.
 */
async function fetchFirstRows(connection: postgres.ReservedSql, close: object, text: string, limit: number): Promise<RawRows> {
  let firstBatch: RawRows | undefined;
  const completed = await connection
    .unsafe(text)
    .raw()
    .cursor(limit, (batch) => {
      firstBatch = batch as unknown as RawRows;
      return close;
    });
  return firstBatch ?? (completed as unknown as RawRows);
}

/** Classified by SQLSTATE; the server's message is kept, and the error itself stays as `cause`. */
function readableError(error: unknown, timeoutSeconds: number): unknown {
  const message = error instanceof Error ? error.message : String(error);
  switch (sqlState(error)) {
    case '57014':
      return new Error(`The statement was cancelled: ${message} (query_timeout is ${timeoutSeconds} s)`, { cause: error });
    case '25006':
      return new Error(`The statement tried to write, which the read-only transaction refused: ${message}`, { cause: error });
    default:
      return error;
  }
}
