import { describe, expect, it } from 'vitest';
import { gradeHitRatio } from '../../../lib/analyses/config/cache-hit-checks.js';
import { diffSettings } from '../../../lib/analyses/config/drift-check.js';
import {
  LATEST_MINORS_AS_OF,
  latestMinorByMajor,
  majorVersion,
  minorStatus,
  supportStatus,
} from '../../../lib/analyses/config/end-of-life.js';
import { gradeBy } from '../../../lib/analyses/config/findings.js';
import { adviseForProvider, isProviderSuperuser } from '../../../lib/analyses/config/managed-services.js';
import { addressScope, prefixLength } from '../../../lib/analyses/config/hba-address.js';
import { hbaProblems, type HbaRule } from '../../../lib/analyses/config/hba-checks.js';
import { logsToStderr, parseLogLinePrefix } from '../../../lib/analyses/config/log-line-prefix.js';
import { listensBeyondLocalhost, listensOnAllInterfaces } from '../../../lib/analyses/config/network-checks.js';
import { preloadedLibraries } from '../../../lib/analyses/config/observability-checks.js';
import { classifyCompletionTarget } from '../../../lib/analyses/config/planner-and-memory-checks.js';
import { presentQuery, redactSecrets } from '../../../lib/analyses/query-text.js';
import { settingBytes } from '../../../lib/analyses/config/settings.js';

describe('log_line_prefix parsing', () => {
  it('accepts the PostgreSQL default %m [%p] as analysable', () => {
    expect(parseLogLinePrefix('%m [%p] ')).toMatchObject({ timestampOnEveryLine: true, processOnEveryLine: true });
  });

  it('accepts %t with a session id %c instead of a process id', () => {
    expect(parseLogLinePrefix('%t [%c] ')).toMatchObject({ timestampOnEveryLine: true, processOnEveryLine: true });
  });

  it('finds no time stamp or process id in an empty prefix', () => {
    expect(parseLogLinePrefix('')).toMatchObject({ timestampOnEveryLine: false, processOnEveryLine: false });
  });

  it('does not count escapes written after %q, which background processes never print', () => {
    expect(parseLogLinePrefix('%q%m [%p] ')).toMatchObject({ timestampOnEveryLine: false, processOnEveryLine: false });
    expect(parseLogLinePrefix('%m [%p] %q%u@%d ')).toMatchObject({
      timestampOnEveryLine: true,
      processOnEveryLine: true,
    });
  });

  it('reads %%p as a literal percent sign followed by the letter p', () => {
    expect(parseLogLinePrefix('%m %%p ').processOnEveryLine).toBe(false);
  });

  it('understands padded escapes such as %-10u and %5p', () => {
    const facts = parseLogLinePrefix('%m [%5p] %-10u %d %a %h ');
    expect(facts.processOnEveryLine).toBe(true);
    expect(facts.missingSessionEscapes).toEqual([]);
  });

  it('lists the session escapes PGDSAT asks for that are missing', () => {
    expect(parseLogLinePrefix('%m [%p] %q%u@%d ').missingSessionEscapes).toEqual(['%a', '%h']);
  });

  it('applies the prefix only when logging goes to stderr', () => {
    expect(logsToStderr('stderr')).toBe(true);
    expect(logsToStderr('csvlog, stderr')).toBe(true);
    expect(logsToStderr('csvlog')).toBe(false);
    expect(logsToStderr('syslog')).toBe(false);
  });
});

describe('end of life', () => {
  it('names majors the way the PostgreSQL project does', () => {
    expect(majorVersion(150004)).toBe('15');
    expect(majorVersion(170002)).toBe('17');
    expect(majorVersion(90624)).toBe('9.6');
  });

  it('reports a major whose end-of-life date has passed as ended, with the days since', () => {
    expect(supportStatus(130016, '2025-11-14')).toEqual({
      status: 'ended',
      major: '13',
      endOfLife: '2025-11-13',
      daysPast: 1,
    });
    expect(supportStatus(110022, '2026-01-01')).toMatchObject({ status: 'ended', endOfLife: '2023-11-09' });
    expect(supportStatus(120020, '2024-11-22')).toMatchObject({ status: 'ended', daysPast: 1 });
  });

  it('still counts the end-of-life day itself as supported, ending soon', () => {
    expect(supportStatus(130016, '2025-11-13')).toEqual({
      status: 'ending_soon',
      major: '13',
      endOfLife: '2025-11-13',
      daysLeft: 0,
    });
  });

  it('gives a year of notice before the end of life', () => {
    expect(supportStatus(150004, '2026-11-28')).toMatchObject({
      status: 'ending_soon',
      endOfLife: '2027-11-11',
      daysLeft: 348,
    });
    expect(supportStatus(150004, '2026-11-10')).toMatchObject({ status: 'supported', daysLeft: 366 });
  });

  it('knows every release older than 9.6 is out of support even without a date', () => {
    expect(supportStatus(90500, '2020-01-01')).toEqual({
      status: 'ended',
      major: '9.5',
      endOfLife: null,
      daysPast: null,
    });
  });

  it('says nothing about a major release newer than its table', () => {
    expect(supportStatus(190000, '2027-01-01')).toEqual({ status: 'unknown', major: '19' });
  });
});

describe('query text shown in findings', () => {
  it('hides the password of ALTER ROLE and CREATE USER statements', () => {
    expect(redactSecrets("ALTER ROLE app PASSWORD 'hunter2'")).toBe("ALTER ROLE app PASSWORD '***'");
    const created = redactSecrets("create user bob with encrypted password 'it''s secret' valid until '2030-01-01'");
    expect(created).not.toContain('secret');
    expect(created).toContain("password '***'");
  });

  it('hides passwords inside connection strings', () => {
    expect(redactSecrets('connecting with host=db1 password=hunter2 sslmode=require')).toBe(
      'connecting with host=db1 password=*** sslmode=require',
    );
    const text = redactSecrets("select dblink_connect('host=db1 user=app password=hunter2')");
    expect(text).not.toContain('hunter2');
  });

  it('hides dollar-quoted passwords', () => {
    expect(redactSecrets('alter role app password $pw$hunter2$pw$')).not.toContain('hunter2');
  });

  it('masks password hashes wherever they appear', () => {
    const scram = 'SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy';
    expect(redactSecrets(`update x set h = '${scram}'`)).not.toContain('c3RvcmVk');
    expect(redactSecrets('select md5a3556571e93b0d20722ba62be61e8c2d')).not.toContain(
      'a3556571e93b0d20722ba62be61e8c2d',
    );
  });

  it('leaves ordinary statements untouched', () => {
    expect(redactSecrets("select * from orders where status = 'open'")).toBe(
      "select * from orders where status = 'open'",
    );
  });

  it('cuts long statements to 500 characters and says how long they were', () => {
    const long = `select ${'x, '.repeat(400)}1`;
    const shown = presentQuery(long)!;
    expect(shown.startsWith(long.slice(0, 500))).toBe(true);
    expect(shown).toContain(`(${long.length} characters, cut)`);
    expect(shown.length).toBeLessThan(540);
  });

  it('redacts before cutting, so a secret past the cut cannot leak a prefix', () => {
    const text = `${'select 1; '.repeat(49)}alter role app password 'abcdefghijklmnop'`;
    expect(presentQuery(text)).not.toMatch(/abcdef/);
  });
});

describe('pg_hba.conf address ranges', () => {
  it('converts netmasks to prefix lengths', () => {
    expect(prefixLength('255.255.255.255')).toBe(32);
    expect(prefixLength('255.255.0.0')).toBe(16);
    expect(prefixLength('0.0.0.0')).toBe(0);
    expect(prefixLength('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(128);
    expect(prefixLength('ffff:ffff::')).toBe(32);
    expect(prefixLength('::')).toBe(0);
  });

  it('treats 0.0.0.0/0, ::/0 and "all" as any address', () => {
    expect(addressScope('0.0.0.0', '0.0.0.0')).toBe('any');
    expect(addressScope('::', '::')).toBe('any');
    expect(addressScope('all', null)).toBe('any');
  });

  it('flags IPv4 ranges of more than 65,536 addresses as wide, as PGDSAT does', () => {
    expect(addressScope('10.0.0.0', '255.0.0.0')).toBe('wide');
    expect(addressScope('10.1.0.0', '255.255.0.0')).toBe('narrow');
  });

  it('accepts a single IPv6 /64 but flags shorter prefixes', () => {
    expect(addressScope('2001:db8:1:2::', 'ffff:ffff:ffff:ffff::')).toBe('narrow');
    expect(addressScope('2001:db8::', 'ffff:ffff::')).toBe('wide');
  });

  it('recognises loopback rules', () => {
    expect(addressScope('127.0.0.1', '255.255.255.255')).toBe('loopback');
    expect(addressScope('::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe('loopback');
  });

  it('does not judge host names and samenet keywords', () => {
    expect(addressScope('samenet', null)).toBe('not_an_address');
    expect(addressScope('.example.com', null)).toBe('not_an_address');
  });
});

describe('pg_hba.conf rule problems', () => {
  const rule: HbaRule = {
    file: 'pg_hba.conf',
    line: 7,
    type: 'host',
    databases: ['app'],
    users: ['app'],
    address: '10.0.1.0',
    netmask: '255.255.255.0',
    method: 'scram-sha-256',
    error: null,
  };
  const checks = (r: HbaRule, superusers = new Set(['postgres']), groups = new Map<string, string[]>()) =>
    hbaProblems(r, superusers, groups).map((p) => [p.check, p.severity]);

  it('finds nothing wrong with a narrow scram-sha-256 rule for one role and database', () => {
    expect(checks(rule)).toEqual([]);
  });

  it('rates trust from other hosts critical, and trust limited to the server itself a warning', () => {
    expect(checks({ ...rule, method: 'trust' })).toEqual([['security.hba_trust', 'critical']]);
    expect(checks({ ...rule, type: 'local', address: null, netmask: null, method: 'trust' })).toEqual([
      ['security.hba_trust', 'warning'],
    ]);
    expect(checks({ ...rule, address: '127.0.0.1', netmask: '255.255.255.255', method: 'trust' })).toEqual([
      ['security.hba_trust', 'warning'],
    ]);
  });

  it('rates password critical and md5 a warning over TCP', () => {
    expect(checks({ ...rule, method: 'password' })).toEqual([['security.hba_weak_auth', 'critical']]);
    expect(checks({ ...rule, method: 'md5' })).toEqual([['security.hba_weak_auth', 'warning']]);
  });

  it('flags any-address and all/all rules, and the superusers "all" lets in', () => {
    expect(checks({ ...rule, address: '0.0.0.0', netmask: '0.0.0.0', databases: ['all'], users: ['all'] })).toEqual([
      ['security.hba_open_address', 'critical'],
      ['security.hba_all_all', 'warning'],
      ['security.hba_superuser_remote', 'critical'],
    ]);
  });

  it('counts the superusers a rule for all users or a +group admits', () => {
    expect(checks({ ...rule, users: ['all'] })).toEqual([['security.hba_superuser_remote', 'critical']]);
    expect(
      checks({ ...rule, users: ['+admins'] }, new Set(['postgres', 'dba']), new Map([['admins', ['dba']]])),
    ).toEqual([['security.hba_superuser_remote', 'critical']]);
    expect(checks({ ...rule, users: ['+readers'] }, new Set(['postgres']), new Map())).toEqual([]);
    expect(
      hbaProblems({ ...rule, users: ['+admins'] }, new Set(['postgres', 'dba']), new Map([['admins', ['dba']]]))[0]
        .title,
    ).toContain('dba');
  });

  it('rates a superuser allowed in from other hosts critical, from loopback a warning', () => {
    expect(checks({ ...rule, users: ['postgres'] })).toEqual([['security.hba_superuser_remote', 'critical']]);
    expect(checks({ ...rule, users: ['postgres'], address: '127.0.0.1', netmask: '255.255.255.255' })).toEqual([
      ['security.hba_superuser_remote', 'warning'],
    ]);
  });

  it('ignores reject rules and reports unparseable lines', () => {
    expect(checks({ ...rule, method: 'reject', address: '0.0.0.0', netmask: '0.0.0.0' })).toEqual([]);
    expect(checks({ ...rule, error: 'invalid authentication method "trsut"' })).toEqual([
      ['security.hba_rule_error', 'warning'],
    ]);
  });
});

describe('setting rules', () => {
  it("grades checkpoint_completion_target with postgresqltuner's bands", () => {
    expect(classifyCompletionTarget(0.3)?.severity).toBe('warning');
    expect(classifyCompletionTarget(0.5)?.severity).toBe('info');
    expect(classifyCompletionTarget(0.7)).toBeNull();
    expect(classifyCompletionTarget(0.9)).toBeNull();
    expect(classifyCompletionTarget(0.95)?.severity).toBe('info');
    expect(classifyCompletionTarget(1)?.severity).toBe('warning');
  });

  it('converts memory settings with their pg_settings unit', () => {
    const base = { name: 'x', source: 'default', bootVal: null, pendingRestart: false };
    expect(settingBytes({ ...base, setting: '16384', unit: '8kB' })).toBe(128 * 1024 * 1024);
    expect(settingBytes({ ...base, setting: '4096', unit: 'kB' })).toBe(4 * 1024 * 1024);
    expect(settingBytes({ ...base, setting: '4', unit: null })).toBeNull();
  });

  it('reads shared_preload_libraries lists with spaces and quotes', () => {
    expect(preloadedLibraries('pg_stat_statements, "auto_explain"')).toEqual(['pg_stat_statements', 'auto_explain']);
    expect(preloadedLibraries('')).toEqual([]);
  });

  it('tells loopback-only listening from network listening', () => {
    expect(listensBeyondLocalhost('localhost')).toBe(false);
    expect(listensBeyondLocalhost('127.0.0.1, ::1')).toBe(false);
    expect(listensBeyondLocalhost('')).toBe(false);
    expect(listensBeyondLocalhost('10.0.0.5')).toBe(true);
    expect(listensOnAllInterfaces('*')).toBe(true);
    expect(listensOnAllInterfaces('localhost')).toBe(false);
  });

  it('notes a cache hit ratio under 99%, warns under 95% and calls it critical only far lower over many reads', () => {
    expect(gradeHitRatio(99.5, 50_000)).toBeNull();
    expect(gradeHitRatio(99, 50_000)).toBeNull();
    expect(gradeHitRatio(98.9, 50_000)).toBe('info');
    expect(gradeHitRatio(90, 50_000)).toBe('warning');
    expect(gradeHitRatio(50, 50_000)).toBe('warning');
    expect(gradeHitRatio(79.9, 1_000_000)).toBe('critical');
    expect(gradeHitRatio(85, 10_000_000)).toBe('warning');
  });

  it('grades a measured value against thresholds from the highest down', () => {
    const steps: Array<[number, 'critical' | 'warning' | 'info']> = [
      [600, 'critical'],
      [300, 'warning'],
      [60, 'info'],
    ];
    expect(gradeBy(700, steps)).toBe('critical');
    expect(gradeBy(300, steps)).toBe('warning');
    expect(gradeBy(59, steps)).toBeNull();
  });
});

describe('setting drift', () => {
  const rec = (setting: string, source = 'configuration file') => ({ setting, source, unit: null });

  it('reports a changed value with its old and new value', () => {
    const changes = diffSettings({ work_mem: rec('4096') }, { work_mem: rec('8192') }, new Map([['work_mem', '8192']]));
    expect(changes).toEqual([{ name: 'work_mem', before: rec('4096'), after: rec('8192'), currentValue: '8192' }]);
  });

  it('reports a setting that left its default, and one that went back to it', () => {
    const changes = diffSettings(
      { fsync: rec('off') },
      { jit: rec('off') },
      new Map([
        ['fsync', 'on'],
        ['jit', 'off'],
      ]),
    );
    expect(changes.map((c) => [c.name, c.before?.setting ?? null, c.after?.setting ?? c.currentValue])).toEqual([
      ['fsync', 'off', 'on'],
      ['jit', null, 'off'],
    ]);
  });

  it('ignores a setting whose source moved but whose value stayed', () => {
    expect(
      diffSettings({ work_mem: rec('8192', 'database') }, { work_mem: rec('8192', 'configuration file') }, new Map()),
    ).toEqual([]);
    expect(diffSettings({ work_mem: rec('4096') }, {}, new Map([['work_mem', '4096']]))).toEqual([]);
  });
});

describe('minor-version currency', () => {
  it('counts the minor releases a server is behind the dated table', () => {
    expect(minorStatus(170002)).toEqual({
      status: 'behind',
      major: '17',
      minor: 2,
      latest: latestMinorByMajor['17'],
      releasesBehind: latestMinorByMajor['17'] - 2,
    });
  });

  it('does not judge a server on the latest minor, or newer than the table', () => {
    expect(minorStatus(120000 + latestMinorByMajor['12']).status).toBe('current');
    expect(minorStatus(180000 + latestMinorByMajor['18'] + 1).status).toBe('newer_than_table');
  });

  it('does not judge a major the table does not list', () => {
    expect(minorStatus(110022).status).toBe('unknown');
    expect(LATEST_MINORS_AS_OF).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});

describe('managed services', () => {
  it('turns ALTER SYSTEM advice into the provider parameter it stands for', () => {
    const advice = 'ALTER SYSTEM SET log_lock_waits = on; SELECT pg_reload_conf();';
    expect(adviseForProvider(advice, 'aws_rds')).toBe(
      "set log_lock_waits = on in the instance's DB parameter group (aws rds modify-db-parameter-group); (On " +
        'Amazon RDS server settings are changed there, not with SQL; some apply only after a reboot of the ' +
        'instance.)',
    );
    expect(adviseForProvider("ALTER SYSTEM SET password_encryption = 'scram-sha-256';", 'gcp_cloudsql')).toContain(
      "set password_encryption = 'scram-sha-256' in the instance's database flags",
    );
    expect(adviseForProvider('ALTER SYSTEM RESET work_mem;', 'azure')).toContain(
      'reset work_mem to its default in the server parameters',
    );
  });

  it('leaves advice alone on a self-managed server, and advice that needs no ALTER SYSTEM', () => {
    expect(adviseForProvider('ALTER SYSTEM SET log_lock_waits = on;', null)).toBe(
      'ALTER SYSTEM SET log_lock_waits = on;',
    );
    expect(adviseForProvider('ANALYZE t;', 'aws_rds')).toBe('ANALYZE t;');
  });

  it("recognises the provider's own superusers only on that provider", () => {
    expect(isProviderSuperuser('aws_rds', 'rdsadmin')).toBe(true);
    expect(isProviderSuperuser('azure', 'azuresu')).toBe(true);
    expect(isProviderSuperuser(null, 'rdsadmin')).toBe(false);
    expect(isProviderSuperuser('gcp_cloudsql', 'rdsadmin')).toBe(false);
  });
});
