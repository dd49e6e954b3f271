import { describe, expect, it } from 'vitest';
import { tablePatterns } from '../../../lib/analyses/queries/table-filter.js';

// The patterns run on the server as PostgreSQL regular expressions; the constructs used
// (lookbehind, lookahead, \w, \s, classes) mean the same in JavaScript, so they are checked here too.
const matches = (table: string, query: string) => tablePatterns([table])!.some((p) => new RegExp(p, 'i').test(query));

describe('tablePatterns', () => {
  it('returns no filter without target_tables', () => {
    expect(tablePatterns(undefined)).toBeNull();
    expect(tablePatterns([])).toBeNull();
  });

  it('matches a table name as a whole word only', () => {
    expect(matches('orders', 'select * from orders where id = $1')).toBe(true);
    expect(matches('orders', 'select * from orders_archive')).toBe(false);
    expect(matches('orders', 'select * from old_orders')).toBe(false);
  });

  it('matches case-insensitively, quoted or not', () => {
    expect(matches('orders', 'SELECT * FROM "orders"')).toBe(true);
    expect(matches('orders', 'SELECT * FROM Orders')).toBe(true);
  });

  it('matches an unqualified name in any schema', () => {
    expect(matches('orders', 'select * from sales.orders')).toBe(true);
  });

  it('matches a qualified name written qualified or bare, but not in another schema', () => {
    expect(matches('sales.orders', 'select * from sales.orders')).toBe(true);
    expect(matches('sales.orders', 'select * from "sales"."orders"')).toBe(true);
    expect(matches('sales.orders', 'select * from orders')).toBe(true);
    expect(matches('sales.orders', 'select * from archive.orders')).toBe(false);
    expect(matches('sales.orders', 'select * from archive."orders"')).toBe(false);
  });

  it('escapes characters that mean something in a regular expression', () => {
    expect(matches('a$b', 'select * from a$b')).toBe(true);
    expect(matches('a$b', 'select * from ab')).toBe(false);
  });
});
