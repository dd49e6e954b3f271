import type { Check, Finding } from '../types.js';
import { logsToStderr, parseLogLinePrefix } from './log-line-prefix.js';
import { isOff, readSettings, requireSetting } from './settings.js';

export function preloadedLibraries(value: string): string[] {
  return value
    .split(',')
    .map((l) => l.trim().replace(/^"|"$/g, ''))
    .filter(Boolean);
}

const pgStatStatements: Check = {
  id: 'config.pg_stat_statements_missing',
  targets: ['config'],
  async run(ctx) {
    const preload = requireSetting(
      await readSettings(ctx, ['shared_preload_libraries']),
      'shared_preload_libraries',
      ctx.server.current_user,
    );
    const libraries = preloadedLibraries(preload.setting);
    if (!libraries.includes('pg_stat_statements')) {
      // postgresqltuner warns when pg_stat_statements is missing; without it no query statistics exist at all.
      const newList = [...libraries, 'pg_stat_statements'].join(', ');
      return [
        {
          check: 'config.pg_stat_statements_not_loaded',
          severity: 'warning',
          object: 'shared_preload_libraries',
          title: 'pg_stat_statements is not loaded: no per-query statistics are collected',
          detail:
            `shared_preload_libraries = '${preload.setting}'. Without pg_stat_statements there is no record of ` +
            'which queries use the most time, I/O or temporary files (query_analysis reviews depend on it).',
          recommendation:
            `ALTER SYSTEM SET shared_preload_libraries = '${newList}'; -- restart, then CREATE EXTENSION ` +
            'pg_stat_statements;',
          evidence: { shared_preload_libraries: preload.setting },
        },
      ];
    }
    const [installed] =
      await ctx.sql`select count(*)::int as n from pg_catalog.pg_extension where extname = 'pg_stat_statements'`;
    if (installed.n > 0) return [];
    // Loaded means statistics are being collected server-wide; only the view in this database is missing.
    return [
      {
        check: 'config.pg_stat_statements_not_created',
        severity: 'info',
        object: 'pg_stat_statements',
        title: 'pg_stat_statements is loaded but the extension is not created in this database',
        detail:
          `Statistics are collected, but database ${ctx.server.database} has no pg_stat_statements view to ` +
          'read them from.',
        recommendation: 'CREATE EXTENSION pg_stat_statements;',
        evidence: { database: ctx.server.database },
      },
    ];
  },
};

const loggingForAnalysis: Check = {
  id: 'config.logging_for_analysis',
  targets: ['config'],
  async run(ctx) {
    const names = ['log_destination', 'log_line_prefix', 'log_lock_waits', 'log_min_duration_statement'];
    const settings = await readSettings(ctx, names);
    const [destination, prefix, lockWaits, minDuration] = names.map((n) =>
      requireSetting(settings, n, ctx.server.current_user),
    );
    const findings: Finding[] = [];

    if (logsToStderr(destination.setting)) {
      const facts = parseLogLinePrefix(prefix.setting);
      if (!facts.timestampOnEveryLine || !facts.processOnEveryLine) {
        // pgBadger (and PGDSAT 3.1.24) need a time stamp (%t/%m/%n) and a process or session id (%p/%c)
        // on every stderr line to put multi-line entries and sessions back together.
        const missing = [
          !facts.timestampOnEveryLine && 'a time stamp (%m or %t)',
          !facts.processOnEveryLine && 'a process id (%p)',
        ]
          .filter(Boolean)
          .join(' and ');
        findings.push({
          check: 'config.log_line_prefix',
          severity: 'warning',
          object: 'log_line_prefix',
          title: 'log_line_prefix makes the server log impossible to analyse',
          detail:
            `log_line_prefix = '${prefix.setting}' lacks ${missing} before any %q, so log lines cannot be ` +
            'ordered in time or tied to their session (pgBadger rejects such logs).',
          recommendation: "ALTER SYSTEM SET log_line_prefix = '%m [%p] %q%u@%d/%a from %h '; SELECT pg_reload_conf();",
          evidence: { log_line_prefix: prefix.setting, log_destination: destination.setting, ...facts },
        });
      } else if (facts.missingSessionEscapes.length > 0) {
        findings.push({
          check: 'config.log_line_prefix',
          severity: 'info',
          object: 'log_line_prefix',
          title: `log_line_prefix lacks ${facts.missingSessionEscapes.join(', ')}`,
          detail:
            `log_line_prefix = '${prefix.setting}'. PGDSAT 3.1.24 asks for database (%d), user (%u), ` +
            'application (%a) and client (%h) on every line so that log entries can be attributed during an ' +
            'audit or an incident.',
          recommendation: "ALTER SYSTEM SET log_line_prefix = '%m [%p] %q%u@%d/%a from %h '; SELECT pg_reload_conf();",
          evidence: { log_line_prefix: prefix.setting, missing: facts.missingSessionEscapes },
        });
      }
    }

    if (isOff(lockWaits.setting)) {
      findings.push({
        check: 'config.log_lock_waits_off',
        severity: 'info',
        object: 'log_lock_waits',
        title: 'log_lock_waits is off: lock waits leave no trace in the log',
        detail:
          'With log_lock_waits on, any wait longer than deadlock_timeout is logged with the blocking process; ' +
          'pgBadger builds its lock report from these lines.',
        recommendation: 'ALTER SYSTEM SET log_lock_waits = on; SELECT pg_reload_conf();',
        evidence: { value: lockWaits.setting, source: lockWaits.source },
      });
    }

    if (Number(minDuration.setting) < 0) {
      // postgresqltuner warns when log_min_duration_statement is -1.
      findings.push({
        check: 'config.slow_query_logging_disabled',
        severity: 'info',
        object: 'log_min_duration_statement',
        title: 'Slow statements are not logged (log_min_duration_statement = -1)',
        detail:
          'No statement is logged for its duration, so the log cannot show which queries were slow at a given ' +
          'time.',
        recommendation: "ALTER SYSTEM SET log_min_duration_statement = '1s'; SELECT pg_reload_conf();",
        evidence: { value: Number(minDuration.setting), source: minDuration.source },
      });
    }
    return findings;
  },
};

export const observabilityChecks: Check[] = [pgStatStatements, loggingForAnalysis];
