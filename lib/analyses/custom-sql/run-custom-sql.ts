import type postgres from 'postgres';
import { sqlState } from '../../../db/errors.js';
import { serverFactsColumns, serverFactsFrom } from '../server-facts.js';
import { isConnectionError } from '../../target/open-target.js';
import type { ReviewResult, ServerFacts, TaskParams } from '../types.js';
import { catalogRefusal } from './catalog-fence.js';
import { checkCustomSql, type ReadStatementKind } from './check-custom-sql.js';
import { describeColumnTypes, unknownColumnType } from './column-types.js';
import { serializeValue } from './serialize-value.js';
import type { StatementNames } from './statement-names.js';

type CustomSqlData = NonNullable<ReviewResult['data']>;

/** Rows as the server sent them in text format, one Buffer per value (null for SQL NULL). */
type RawRows = Array<Array<Buffer | null>> & { columns?: Array<{ name: string; type: number }> };

const defaultMaxRows = 1000;
const maxRowsLimit = 10_000;
const cursorName = 'pg_reviewer_rows';

/**
 * Runs the task's one read statement in a READ ONLY transaction that is always rolled back, and
 * reads the server's facts inside the same transaction.
 */
export async function runCustomSql(
  sql: postgres.Sql,
  params: TaskParams,
): Promise<{ server: ServerFacts; data: CustomSqlData }> {
  const text = params.custom_sql ?? '';
  // Checked again here, not only when the task was saved: the rules may have tightened since.
  const verdict = await checkCustomSql(text);
  if (!verdict.ok) throw new Error(verdict.reason);
  const maxRows = Math.min(Math.max(Math.trunc(params.max_rows ?? defaultMaxRows), 1), maxRowsLimit);

  const connection = await sql.reserve();
  try {
    // One row past the cap tells whether the result was truncated.
    const { factsRow, rows } = await readInTwoRoundTrips(connection, verdict, text, maxRows + 1, params.query_timeout);
    return { server: serverFactsFrom(factsRow), data: await dataFrom(connection, rows, maxRows) };
  } catch (error) {
    throw readableError(error, params.query_timeout);
  } finally {
    connection.release();
  }
}

/**
 * Two round trips: postgres.js writes queries issued together on one connection as a single
 * pipeline, and the server runs them in order. First BEGIN READ ONLY and one SELECT that sets the
 * transaction-local settings and reads the server facts, as one simple-protocol message (our own
 * text only; the settings make the text format predictable whatever the server's defaults: DateStyle
 * 'ISO' sets only the output style, the day/month order literals are read with is kept), then the
 * check of what the statement would run in this database (catalog-fence.ts), under the same
 * statement timeout and search path. Only when that passes, the task's statement goes alone in an
 * extended-protocol message, where the server itself refuses a second command.
 *
 * A SELECT is read through a cursor, so a huge result is never produced in full: FETCH takes the
 * first rows and the ROLLBACK closes the cursor. SHOW and EXPLAIN cannot be declared as a cursor;
 * their output is small and is read as is. Rolled back even on success: nothing the statement did
 * in the transaction is kept. After an error the server skips to the ROLLBACK, which still runs.
 */
async function readInTwoRoundTrips(
  connection: postgres.ReservedSql,
  verdict: { kind: ReadStatementKind; names: StatementNames },
  text: string,
  fetchRows: number,
  timeoutSeconds: number,
) {
  // The timeout is an integer validated with the task, safe to inline.
  const statementTimeout = `${Math.trunc(timeoutSeconds)}s`;
  const begin = connection
    .unsafe(
      `begin transaction read only;
       select set_config('statement_timeout', '${statementTimeout}', true), set_config('DateStyle', 'ISO', true), set_config('bytea_output', 'hex', true), set_config('extra_float_digits', '1', true),
              ${serverFactsColumns}`,
    )
    .simple()
    // Sent now, so that it precedes the check's queries on the connection.
    .execute();
  const refusal = catalogRefusal(connection, verdict.names).then((reason) => {
    if (reason) throw new Error(reason);
  });
  const checked = await Promise.allSettled([begin, refusal]);
  if (checked.some((s) => s.status === 'rejected')) {
    const failure = firstFailure(checked);
    // Nothing may be sent on a connection the server closed: postgres.js would wait for it forever.
    if (!isConnectionError(failure)) await connection.unsafe('rollback');
    throw failure;
  }

  // The line break ends a trailing `--` comment of the task's text.
  // postgres.js sends unsafe() text without parameters as a simple query; `simple: false` (read by it,
  // missing from its types) does not.
  const extended = { simple: false } as postgres.UnsafeQueryOptions;
  const reads =
    verdict.kind === 'select'
      ? [
          connection.unsafe(`declare ${cursorName} no scroll cursor for ${text}\n`, [], extended),
          connection.unsafe(`fetch forward ${fetchRows} from ${cursorName}`).raw(),
        ]
      : [connection.unsafe(`${text}\n`, [], extended).raw()];
  const rollback = connection.unsafe('rollback');

  const settled = await Promise.allSettled([...reads, rollback]);
  const failure = settled.find((s) => s.status === 'rejected');
  if (failure) throw firstFailure(settled);
  const values = settled.map((s) => (s as PromiseFulfilledResult<unknown>).value);
  // The facts come with the settings, in the second statement of the first message; the rows are the last read's.
  const factsRow = ((checked[0] as PromiseFulfilledResult<unknown>).value as postgres.Row[][])[1][0];
  return { factsRow, rows: values[reads.length - 1] as RawRows };
}

/** The first failure is the cause; the statements after it only report the aborted transaction. */
function firstFailure(settled: PromiseSettledResult<unknown>[]): unknown {
  return (settled.find((s) => s.status === 'rejected') as PromiseRejectedResult).reason;
}

async function dataFrom(connection: postgres.ReservedSql, rows: RawRows, maxRows: number): Promise<CustomSqlData> {
  const columns = rows.columns ?? [];
  const types = await describeColumnTypes(
    connection,
    columns.map((c) => c.type),
  );
  const columnTypes = columns.map((c) => types.get(c.type) ?? unknownColumnType(c.type));
  const kept = rows.slice(0, maxRows);
  return {
    columns: columns.map((c, i) => ({ name: c.name, type: columnTypes[i].name })),
    rows: kept.map((row) =>
      row.map((value, i) => serializeValue(value === null ? null : value.toString('utf8'), columnTypes[i].format)),
    ),
    row_count: kept.length,
    truncated: rows.length > maxRows,
  };
}

/** Classified by SQLSTATE; the server's message is kept, and the error itself stays as `cause`. */
function readableError(error: unknown, timeoutSeconds: number): unknown {
  const message = error instanceof Error ? error.message : String(error);
  switch (sqlState(error)) {
    case '57014':
      return new Error(`The statement was cancelled: ${message} (query_timeout is ${timeoutSeconds} s)`, {
        cause: error,
      });
    case '25006':
      return new Error(`The statement tried to write, which the read-only transaction refused: ${message}`, {
        cause: error,
      });
    default:
      return error;
  }
}
