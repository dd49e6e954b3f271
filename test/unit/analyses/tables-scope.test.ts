import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../../lib/analyses/format.js';
import { parseTargetTables, statsAgeDays } from '../../../lib/analyses/tables/scope.js';
import { splitIdentifier } from '../../../lib/analyses/table-names.js';

describe('target_tables', () => {
  it('means every table when absent or empty', () => {
    expect(parseTargetTables(undefined)).toBeNull();
    expect(parseTargetTables([])).toBeNull();
  });

  it('separates schema-qualified names from bare names, which match in any schema', () => {
    expect(parseTargetTables(['orders', 'sales.invoices'])).toEqual({
      qualified: ['sales.invoices'],
      bare: ['orders'],
    });
  });

  it('folds unquoted names to lower case, as PostgreSQL does', () => {
    expect(splitIdentifier('Sales.Orders')).toEqual(['sales', 'orders']);
    expect(splitIdentifier(' public . t ')).toEqual(['public', 't']);
  });

  it('keeps quoted names as written, dots and doubled quotes included', () => {
    expect(splitIdentifier('"My Schema"."Orders"')).toEqual(['My Schema', 'Orders']);
    expect(splitIdentifier('"a.b"')).toEqual(['a.b']);
    expect(splitIdentifier('"say ""hi"""')).toEqual(['say "hi"']);
  });

  it('ignores names that cannot be a table (three parts or nothing at all)', () => {
    expect(parseTargetTables(['db.schema.table', ''])).toBeNull();
  });
});

describe('figures in findings', () => {
  it('prints sizes the way psql does', () => {
    expect(formatBytes(512)).toBe('512 bytes');
    expect(formatBytes(1536)).toBe('1.5 kB');
    expect(formatBytes(150 * 1024 ** 2)).toBe('150 MB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5 GB');
    expect(formatBytes(4.25 * 1024 ** 2)).toBe('4.3 MB');
  });

  it('measures the age of the statistics from their reset time, and knows none when never reset', () => {
    expect(statsAgeDays(null)).toBeNull();
    expect(statsAgeDays('2024-01-01T00:00:00Z', new Date('2024-01-11T12:00:00Z'))).toBe(10.5);
  });
});
