import { describe, expect, it } from 'vitest';
import { refusedFunctionReason, type CatalogFunction } from '../../../lib/analyses/custom-sql/function-verdict.js';

const builtin = (name: string, volatility = 'v'): CatalogFunction => ({
  schema: 'pg_catalog',
  name,
  volatility,
  language: 'internal',
  extension: null,
});
const fromExtension = (extension: string, schema: string, name: string): CatalogFunction => ({
  schema,
  name,
  volatility: 'v',
  language: 'c',
  extension,
});

describe('which functions a custom_sql statement may run', () => {
  it.each([
    'random',
    'clock_timestamp',
    'pg_relation_size',
    'pg_stat_get_activity',
    'pg_current_wal_lsn',
    'pg_is_in_recovery',
    'pg_database_size',
  ])('runs the volatile built-in %s, which only reads', (name) =>
    expect(refusedFunctionReason(builtin(name))).toBeNull(),
  );

  it('runs stable and immutable built-ins', () => {
    expect(refusedFunctionReason(builtin('now', 's'))).toBeNull();
    expect(refusedFunctionReason(builtin('lower', 'i'))).toBeNull();
  });

  it('refuses a volatile built-in that is not known to only read', () => {
    expect(refusedFunctionReason(builtin('pg_export_snapshot'))).toBe(
      'Function pg_catalog.pg_export_snapshot is not allowed: it is volatile and not one of the built-ins ' +
        'known to only read',
    );
  });

  it('refuses a stable built-in on the blocked list', () => {
    expect(refusedFunctionReason(builtin('txid_current', 's'))).toMatch(
      /^Function pg_catalog.txid_current is not allowed: it assigns a transaction id/,
    );
  });

  it.each([
    ['dblink', 'public', 'dblink_exec'],
    ['pg_background', 'public', 'pg_background_result'],
    ['http', 'public', 'http_get'],
    ['aws_lambda', 'aws_lambda', 'invoke'],
    ['aws_s3', 'aws_s3', 'table_import_from_s3'],
    ['hypopg', 'public', 'hypopg_create_index'],
  ])('refuses the functions of the extension %s', (extension, schema, name) => {
    expect(refusedFunctionReason(fromExtension(extension, schema, name))).toMatch(
      new RegExp(`^Function ${schema}\\.${name} is not allowed: `),
    );
  });

  it('refuses an unknown extension by its name', () => {
    expect(refusedFunctionReason(fromExtension('acme_rpc', 'public', 'call_home'))).toBe(
      'Function public.call_home is not allowed: it belongs to the extension acme_rpc, which is not known to ' +
        'be read-only',
    );
  });

  it("runs read-only extensions' functions, but not their resets", () => {
    expect(refusedFunctionReason(fromExtension('pg_stat_statements', 'public', 'pg_stat_statements'))).toBeNull();
    expect(refusedFunctionReason(fromExtension('pg_stat_statements', 'public', 'pg_stat_statements_reset'))).toMatch(
      /resets statistics/,
    );
    expect(refusedFunctionReason(fromExtension('amcheck', 'public', 'bt_index_check'))).toBeNull();
    expect(refusedFunctionReason(fromExtension('amcheck', 'public', 'bt_index_parent_check'))).toMatch(/ShareLock/);
  });

  it('leaves a user SQL function to the check of its body, and refuses any other language whatever its label', () => {
    expect(
      refusedFunctionReason({ schema: 'app', name: 'total', volatility: 'v', language: 'sql', extension: null }),
    ).toBeNull();
    expect(
      refusedFunctionReason({ schema: 'app', name: 'label', volatility: 'i', language: 'plpgsql', extension: null }),
    ).toMatch(/^Function app.label is not allowed: it is written in plpgsql, whose body cannot be checked/);
  });
});
