import { describe, expect, it } from 'vitest';
import { serialiseBoundedResult } from '../../../lib/consumer/bounded-result.js';
import { storedOutcome } from '../../../lib/consumer/stored-outcome.js';

const limits = { valueBytes: 1024, resultBytes: 64 * 1024 };

describe('bounded results', () => {
  it('keeps a result within the limits as it is, without a truncated flag', () => {
    const result = { findings: [], data: { rows: [['a', 1]], row_count: 1, truncated: false } };
    expect(JSON.parse(serialiseBoundedResult(result, limits))).toEqual(result);
  });

  it('shortens long values on a character boundary and says how many', () => {
    const result = { data: { rows: [['é'.repeat(2000), 'short']], row_count: 1, truncated: false } };
    const stored = JSON.parse(serialiseBoundedResult(result, limits));
    expect(stored.data.rows[0][0]).toBe('é'.repeat(512));
    expect(stored.data.rows[0][1]).toBe('short');
    expect(stored.truncated).toEqual({
      values_shortened: 1,
      value_max_bytes: 1024,
      rows_dropped: 0,
      result_max_bytes: 65536,
    });
  });

  it('drops rows from the end until the result fits, and marks the data truncated', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => [i, 'x'.repeat(500)]);
    const text = serialiseBoundedResult({ data: { rows, row_count: 1000, truncated: false } }, limits);
    const stored = JSON.parse(text);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(64 * 1024);
    expect(stored.data.truncated).toBe(true);
    expect(stored.data.row_count).toBe(stored.data.rows.length);
    expect(stored.data.rows[0][0]).toBe(0);
    expect(stored.truncated.rows_dropped).toBe(1000 - stored.data.rows.length);
    expect(stored.data.rows.length).toBeGreaterThan(50);
  });

  it('fails only the execution whose result is nested too deeply or too large without rows', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = [deep];
    expect(
      storedOutcome(7, 1, { status: 'completed', result: { data: { rows: [[deep]] } }, errorMessage: null }, limits),
    ).toEqual({
      id: 7,
      attempt: 1,
      status: 'failed',
      resultJson: null,
      errorMessage:
        'The review finished but its result could not be stored: a value in the result is nested more than 100 ' +
        'levels deep',
    });
    const findings = Array.from({ length: 200 }, (_, i) => ({ title: `finding ${i}`, detail: 'x'.repeat(900) }));
    expect(
      storedOutcome(8, 1, { status: 'completed', result: { findings }, errorMessage: null }, limits).errorMessage,
    ).toMatch(
      /^The review finished but its result could not be stored: the result is 0\.2 MB even without rows, more than RESULT_MAX_BYTES \(0\.1 MB\)$/,
    );
  });
});
