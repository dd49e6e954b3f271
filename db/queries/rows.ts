import { getTableColumns, type InferSelectModel, type Table } from 'drizzle-orm';

/**
 * A table's row from a record that did not come through the query builder (a `db.execute`
 * result or a `to_jsonb(row)` value), mapped by the table's own column definitions, so it has
 * the same camelCase keys, Dates and numbers as a row the builder returns.
 */
export function rowFrom<T extends Table>(table: T, record: Record<string, unknown>): InferSelectModel<T> {
  const row: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = record[column.name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as InferSelectModel<T>;
}
