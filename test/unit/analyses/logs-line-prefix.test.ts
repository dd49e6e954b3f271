import { describe, expect, it } from 'vitest';
import { buildLinePattern, type LinePattern } from '../../../lib/analyses/logs/line-prefix.js';

function fieldsOf(pattern: LinePattern, line: string): Record<string, string | undefined> | null {
  const match = pattern.regex.exec(line);
  if (!match) return null;
  const fields: Record<string, string | undefined> = { rest: line.slice(match[0].length) };
  pattern.fields.forEach((field, i) => {
    if (match[i + 1] !== undefined) fields[field] ??= match[i + 1];
  });
  return fields;
}

describe('building a line parser from log_line_prefix', () => {
  it(
    'reads time, process, user and database from the default cluster prefix, and accepts background lines ' +
      'without the %q part',
    () => {
      const pattern = buildLinePattern('%m [%p] %q%u@%d ');
      expect(fieldsOf(pattern, '2026-11-28 20:46:26.056 UTC [5388] app_user@shop ERROR:  division by zero')).toEqual({
        time: '2026-11-28 20:46:26.056 UTC',
        pid: '5388',
        user: 'app_user',
        database: 'shop',
        severity: 'ERROR',
        rest: 'division by zero',
      });
      expect(
        fieldsOf(pattern, '2026-11-28 20:46:26.061 UTC [5392] LOG:  database system is ready to accept connections'),
      ).toMatchObject({
        severity: 'LOG',
        rest: 'database system is ready to accept connections',
      });
    },
  );

  it('reads the pgBadger-recommended prefix with client host and application', () => {
    const pattern = buildLinePattern('%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ');
    expect(
      fieldsOf(
        pattern,
        '2024-05-01 10:00:00 CEST [123]: [4-1] user=bob,db=sales,app=psql,client=10.0.0.7 FATAL:  password ' +
          'authentication failed for user "bob"',
      ),
    ).toEqual({
      time: '2024-05-01 10:00:00 CEST',
      pid: '123',
      user: 'bob',
      database: 'sales',
      application: 'psql',
      host: '10.0.0.7',
      severity: 'FATAL',
      rest: 'password authentication failed for user "bob"',
    });
  });

  it('reads an RDS-style prefix where %r carries host(port) and fields are colon-separated', () => {
    const pattern = buildLinePattern('%t:%r:%u@%d:[%p]:');
    expect(
      fieldsOf(
        pattern,
        '2024-05-01 10:00:00 UTC:10.1.2.3(51234):admin@orders:[999]:LOG:  duration: 120.5 ms  statement: select 1',
      ),
    ).toMatchObject({
      host: '10.1.2.3',
      user: 'admin',
      database: 'orders',
      severity: 'LOG',
      rest: 'duration: 120.5 ms  statement: select 1',
    });
  });

  it('takes the SQLSTATE from %e, or from after the severity when log_error_verbosity is verbose', () => {
    const withE = buildLinePattern('%m [%p] %e ');
    expect(fieldsOf(withE, '2024-05-01 10:00:00.001 UTC [7] 22012 ERROR:  division by zero')).toMatchObject({
      sqlstate: '22012',
      rest: 'division by zero',
    });
    const verbose = buildLinePattern('%m [%p] ');
    expect(
      fieldsOf(verbose, '2024-05-01 10:00:00.001 UTC [7] ERROR:  42P01: relation "nope" does not exist'),
    ).toMatchObject({
      sqlstate: '42P01',
      rest: 'relation "nope" does not exist',
    });
  });

  it('accepts padded escapes, a literal %% and an empty prefix', () => {
    expect(fieldsOf(buildLinePattern('%-10u %5p '), 'bob        12345 LOG:  checkpoint starting: time')).toMatchObject({
      user: 'bob',
      severity: 'LOG',
    });
    expect(fieldsOf(buildLinePattern('%% %p '), '% 42 WARNING:  there is no transaction in progress')).toMatchObject({
      severity: 'WARNING',
    });
    expect(fieldsOf(buildLinePattern(''), 'ERROR:  syntax error at or near "selec"')).toMatchObject({
      severity: 'ERROR',
      rest: 'syntax error at or near "selec"',
    });
  });

  it('recognises attached DETAIL and STATEMENT lines and rejects lines that do not start with the prefix', () => {
    const pattern = buildLinePattern('%m [%p] %q%u@%d ');
    expect(fieldsOf(pattern, '2026-11-28 20:46:26.056 UTC [5388] app@shop STATEMENT:  select 1/0')).toMatchObject({
      severity: 'STATEMENT',
    });
    expect(fieldsOf(pattern, 'select 1/0')).toBeNull();
    expect(fieldsOf(pattern, '\tbuffer usage: 10 hits')).toBeNull();
  });
});
