import { describe, expect, it } from 'vitest';
import { normalizeError, normalizeQuery, shortHash } from '../../../lib/analyses/logs/normalize.js';
import { redactSecrets } from '../../../lib/analyses/query-text.js';

describe('error message normalization (pgBadger rules)', () => {
  it('replaces identifiers, values, positions and numbers so one problem is one key', () => {
    expect(normalizeError('relation "orders_2024" does not exist at character 15')).toBe(
      'relation "..." does not exist',
    );
    expect(normalizeError('relation "customers" does not exist')).toBe('relation "..." does not exist');
    expect(normalizeError('duplicate key value violates unique constraint "users_pkey"')).toBe(
      'duplicate key value violates unique constraint "..."',
    );
    expect(normalizeError('invalid input syntax for type integer: "abc"')).toBe(
      'invalid input syntax for type integer: ...',
    );
    expect(normalizeError('value 1234567 is out of range for type smallint')).toBe(
      'value ... is out of range for type smallint',
    );
    expect(normalizeError("invalid value 'secret-token' for parameter")).toBe("invalid value '...' for parameter");
  });

  it('keeps the signal number of a crash, which tells an OOM kill from a segfault', () => {
    expect(normalizeError('server process (PID 4242) was terminated by signal 9: Killed')).toBe(
      'server process (...) was terminated by signal 9: Killed',
    );
    expect(normalizeError('server process (PID 77) was terminated by signal 11: Segmentation fault')).toBe(
      'server process (...) was terminated by signal 11: Segmentation fault',
    );
  });
});

describe('statement normalization (pgBadger rules)', () => {
  it('removes literals, numbers, bind parameters and comments and folds case outside quoted identifiers', () => {
    expect(
      normalizeQuery("SELECT * FROM \"Orders\" WHERE id = 42 AND note = 'it''s' -- trailing\n AND x = $1 /* c */"),
    ).toBe('select * from "Orders" where id = ? and note = ? and x = ?');
    expect(normalizeQuery('select a from t where id in (1, 2, 3)')).toBe('select a from t where id in (...)');
    expect(normalizeQuery("insert into t values (1,'a'), (2,'b')")).toBe('insert into t values (...)');
    expect(normalizeQuery('select $$dollar body$$, $tag$x$tag$ from t2')).toBe('select ?, ? from t2');
  });

  it('never lets a password through, quoted or dollar-quoted', () => {
    expect(normalizeQuery("ALTER ROLE app PASSWORD 'hunter2'")).not.toContain('hunter2');
    expect(normalizeQuery('create role x login password $p$s3cr3t$p$')).not.toContain('s3cr3t');
    expect(redactSecrets("CREATE USER MAPPING FOR u SERVER s OPTIONS (user 'a', password 'hunter2')")).not.toContain(
      'hunter2',
    );
    expect(redactSecrets("select dblink_connect('host=db password=hunter2 dbname=x')")).not.toContain('hunter2');
    expect(redactSecrets('select password from users')).toBe('select password from users');
  });

  it('gives the same short key for the same text', () => {
    expect(shortHash('select ?')).toBe(shortHash('select ?'));
    expect(shortHash('select ?')).not.toBe(shortHash('select ? from t'));
    expect(shortHash('x')).toMatch(/^[0-9a-f]{12}$/);
  });
});
