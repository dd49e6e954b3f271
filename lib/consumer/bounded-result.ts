/**
 * A review result cut down to what the service database can keep: every string value at most
 * `valueBytes` (UTF-8), the whole result at most `resultBytes` once serialised. custom_sql's
 * `max_rows` caps rows, not bytes: one wide column can make a result of hundreds of megabytes, and
 * PostgreSQL refuses a jsonb batch of more than 256 MB (one bad result would fail its whole batch).
 */
export interface ResultLimits {
  valueBytes: number;
  resultBytes: number;
}

/** What was cut, kept in the result as `truncated` so a reader knows the stored result is partial. */
export interface ResultTruncation {
  values_shortened: number;
  value_max_bytes: number;
  rows_dropped: number;
  result_max_bytes: number;
}

// Deeper than any review builds; a jsonb column nested deeper (possible in custom_sql) would make a
// recursive JSON.stringify overflow the stack, so it is refused here with a clear reason instead.
const MAX_DEPTH = 100;

export class UnstorableResult extends Error {}

/** The result's JSON text, bounded; throws `UnstorableResult` when no bounded form fits. */
export function serialiseBoundedResult(result: Record<string, unknown>, limits: ResultLimits): string {
  let shortened = 0;
  const bounded = boundValues(result, limits.valueBytes, 0, () => shortened++) as Record<string, unknown>;
  const truncation = (rowsDropped: number): ResultTruncation => ({
    values_shortened: shortened,
    value_max_bytes: limits.valueBytes,
    rows_dropped: rowsDropped,
    result_max_bytes: limits.resultBytes,
  });
  const withFlags = (value: Record<string, unknown>, rowsDropped: number) =>
    shortened + rowsDropped > 0 ? { ...value, truncated: truncation(rowsDropped) } : value;

  const text = JSON.stringify(withFlags(bounded, 0));
  if (Buffer.byteLength(text) <= limits.resultBytes) return text;
  return withFewerRows(
    bounded,
    limits.resultBytes,
    (value, dropped) => JSON.stringify(withFlags(value, dropped)),
    Buffer.byteLength(text),
  );
}

/** custom_sql rows are the only part of a result that grows with the data: drop rows from the end until it fits. */
function withFewerRows(
  result: Record<string, unknown>,
  resultBytes: number,
  serialise: (value: Record<string, unknown>, dropped: number) => string,
  size: number,
): string {
  const data = result.data as { rows?: unknown[]; truncated?: boolean } | undefined;
  const rows = Array.isArray(data?.rows) ? data.rows : [];
  let keep = rows.length;
  while (keep > 0) {
    // Shrink in proportion to the excess (with a margin), so a huge result takes a few passes, not thousands.
    keep = Math.min(keep - 1, Math.floor((keep * resultBytes * 0.9) / size));
    const text = serialise(
      { ...result, data: { ...data, rows: rows.slice(0, keep), row_count: keep, truncated: true } },
      rows.length - keep,
    );
    size = Buffer.byteLength(text);
    if (size <= resultBytes) return text;
  }
  throw new UnstorableResult(
    `the result is ${formatMegabytes(size)} even without rows, more than RESULT_MAX_BYTES (${formatMegabytes(resultBytes)})`,
  );
}

function boundValues(value: unknown, valueBytes: number, depth: number, onShortened: () => void): unknown {
  if (typeof value === 'string') {
    if (value.length * 3 <= valueBytes || Buffer.byteLength(value) <= valueBytes) return value;
    onShortened();
    return cutUtf8(value, valueBytes);
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH)
    throw new UnstorableResult(`a value in the result is nested more than ${MAX_DEPTH} levels deep`);
  if (Array.isArray(value)) return value.map((item) => boundValues(item, valueBytes, depth + 1, onShortened));
  const bounded: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) bounded[key] = boundValues(item, valueBytes, depth + 1, onShortened);
  return bounded;
}

/** The longest prefix of `text` within `bytes` bytes of UTF-8, never splitting a character. */
function cutUtf8(text: string, bytes: number): string {
  const prefix = Buffer.from(text.slice(0, bytes)).subarray(0, bytes).toString('utf8');
  // A character cut in half decodes as U+FFFD at the end: drop it.
  return prefix.endsWith('\uFFFD') && !text.startsWith(prefix) ? prefix.slice(0, -1) : prefix;
}

const formatMegabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
