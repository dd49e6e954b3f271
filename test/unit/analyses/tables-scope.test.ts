import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../../lib/analyses/format.js';
import { noteTruncation, parseTargetTables, statsAgeDays } from '../../../lib/analyses/tables/scope.js';
import { splitIdentifier } from '../../../lib/analyses/table-names.js';
import type { Finding } from '../../../lib/analyses/types.js';

describe('target_tables', () => {
  it('means every table when absent or empty', () => {
    expect(parseTargetTables(undefined)).toBeNull();
    expect(parseTargetTables([])).toBeNull();
  });

  it('separates schema-qualified names from bare names, which match in any schema', () => {
    expect(parseTargetTables(['orders', 'sales.invoices'])).toEqual({ qualified: ['sales.invoices'], bare: ['orders'] });
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

describe('capped finding lists', () => {
  const finding = (object: string): Finding => ({ check: 'tables.x', severity: 'info', object, title: 't', detail: 'd.', recommendation: null, evidence: {} });

  it('leaves a complete list untouched', () => {
    const findings = noteTruncation([finding('a')], 1, 'tables');
    expect(findings[0].detail).toBe('d.');
    expect(findings[0].evidence.not_listed).toBeUndefined();
  });

  it('says in every listed finding how many more matched', () => {
    const findings = noteTruncation([finding('a'), finding('b')], 120, 'tables');
    expect(findings.map((f) => f.evidence.not_listed)).toEqual([118, 118]);
    expect(findings[0].detail).toContain('118 more tables not listed');
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
