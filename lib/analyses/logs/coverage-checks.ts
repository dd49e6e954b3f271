import { formatBytes } from '../format.js';
import type { Finding } from '../types.js';
import { logCheck, type LogScan } from './scan-log.js';
import { SQLSTATE_CLASSES } from './sqlstate-classes.js';
import { FIRST_RUN_WINDOW_BYTES, MAX_BYTES_PER_RUN } from './thresholds.js';
import { capList } from '../finding-list.js';

// pgBadger needs messages in English (lc_messages = 'C' or 'en_US'): the texts the checks
// recognise are the server's English messages.
const ENGLISH_MESSAGES = /^(C|POSIX|en)([._-]|$)/i;

/**
 * What this run read: files and byte ranges, bytes, the time range the entries cover, and
 * whether the byte cap or the time share stopped it (the rest is read next run). Reported as an
 * info finding so it travels with the result; the position itself is in state['logs.position'].
 */
export const logCoverageCheck = logCheck('logs.coverage', ['logs', 'security'], (scan) => [coverageFinding(scan)]);

function coverageFinding({ settings, aggregate, coverage }: LogScan): Finding {
  const range = aggregate.firstTime ? `, entries from ${aggregate.firstTime} to ${aggregate.lastTime}` : '';
  const notes: string[] = [];
  const files = capList(coverage.files);
  if (coverage.firstRun)
    notes.push(
      `First run: only the newest ${formatBytes(FIRST_RUN_WINDOW_BYTES)} were read; older files are marked as ` +
        'seen.',
    );
  if (coverage.stoppedBy === 'byte_cap')
    notes.push(
      `Reading stopped at the ${formatBytes(MAX_BYTES_PER_RUN)} per-run cap; ${formatBytes(coverage.bytesLeft)} ` +
        'are left for the next run.',
    );
  if (coverage.stoppedBy === 'time')
    notes.push(
      `Reading stopped at half of query_timeout; ${formatBytes(coverage.bytesLeft)} are left for the next run.`,
    );
  if (coverage.restartedFiles.length > 0)
    notes.push(
      `${coverage.restartedFiles.length} file(s) were rewritten since the previous run and were read from the ` +
        'start.',
    );
  if (coverage.unreadableBytes > 0)
    notes.push(`${formatBytes(coverage.unreadableBytes)} held bytes that are not valid text and were skipped.`);
  const english = !settings.lcMessages || ENGLISH_MESSAGES.test(settings.lcMessages);
  if (!english)
    notes.push(
      `lc_messages = '${settings.lcMessages}': messages are recognised in English only, so event checks may miss ` +
        'entries.',
    );
  return {
    check: 'logs.coverage',
    severity: 'info',
    object: 'server_log',
    title: `Read ${formatBytes(coverage.bytesRead)} of ${settings.format} log from ${coverage.files.length} file(s)`,
    detail: `${aggregate.entries} entries parsed${range}. ${notes.join(' ')}`.trim(),
    recommendation: english ? null : "ALTER SYSTEM SET lc_messages = 'C'; SELECT pg_reload_conf();",
    evidence: {
      format: settings.format,
      files: files.shown,
      files_not_shown: files.notShown,
      bytes_read: coverage.bytesRead,
      entries: aggregate.entries,
      first_entry_time: aggregate.firstTime,
      last_entry_time: aggregate.lastTime,
      first_run: coverage.firstRun,
      stopped_by: coverage.stoppedBy,
      bytes_left_for_next_run: coverage.bytesLeft,
      unreadable_bytes: coverage.unreadableBytes,
      restarted_files: capList(coverage.restartedFiles).shown,
      lc_messages: settings.lcMessages,
    },
  };
}

/** Counts by severity and, where the log carries SQLSTATEs, by SQLSTATE class of the problems. */
export const severityCountsCheck = logCheck('logs.severity_counts', ['logs'], ({ settings, aggregate }) => {
  const counts = aggregate.bySeverity;
  const problems = (counts.ERROR ?? 0) + (counts.FATAL ?? 0) + (counts.PANIC ?? 0);
  const classes = aggregate.bySqlstateClass
    .top()
    .map(([code, { count }]) => ({ class: code, name: SQLSTATE_CLASSES[code] ?? 'Unknown', count }));
  const carriesSqlstate = settings.format !== 'stderr' || settings.logLinePrefix.includes('%e');
  const classText =
    classes.length > 0
      ? ` By SQLSTATE class: ${classes.map((c) => `${c.class} ${c.name} (${c.count})`).join(', ')}.`
      : '';
  return [
    {
      check: 'logs.severity_counts',
      severity: 'info',
      object: 'server_log',
      title:
        `${counts.PANIC ?? 0} PANIC, ${counts.FATAL ?? 0} FATAL, ${counts.ERROR ?? 0} ERROR, ${counts.WARNING ?? 0} ` +
        'WARNING in the log read',
      detail: `Out of ${aggregate.entries} entries.${classText}${carriesSqlstate ? '' : ' The log_line_prefix has no %e, so SQLSTATE classes are not known.'}`,
      recommendation: carriesSqlstate
        ? null
        : `ALTER SYSTEM SET log_line_prefix = '${prefixWithSqlstate(settings.logLinePrefix)}'; SELECT ` +
          'pg_reload_conf();',
      evidence: { value: problems, by_severity: counts, by_sqlstate_class: classes },
    },
  ];
});

/** The current prefix with %e added before %q (so every process writes it), or at its end. */
function prefixWithSqlstate(prefix: string): string {
  const withSqlstate = prefix.includes('%q') ? prefix.replace('%q', '%e %q') : `${prefix.replace(/\s+$/, '')} %e `;
  return withSqlstate.replace(/'/g, "''");
}
