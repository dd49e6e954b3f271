import type { Finding } from '../analyses/types.js';
import { formatBytes } from '../analyses/format.js';

/**
 * The log review's sections as tables, read from the findings' evidence, so a DBA sees pgBadger's
 * pages (top statements, lock waits, temporary files, checkpoints, autovacuum, connections) without
 * opening the JSON. Both renderers draw the same tables; cells are plain text, escaped by them.
 */
export interface LogTable {
  id: string;
  title: string;
  note: string | null;
  header: string[];
  align: Array<'left' | 'right'>;
  rows: string[][];
  /** The column holding SQL text, shown as code. */
  codeColumn: number | null;
}

type Evidence = Record<string, any>;

const num = (value: unknown, digits = 0) =>
  typeof value === 'number' && Number.isFinite(value)
    ? value.toLocaleString('en-US', { maximumFractionDigits: digits })
    : '–';
const ms = (value: unknown) =>
  typeof value === 'number'
    ? value >= 10_000
      ? `${num(value / 1000, 1)} s`
      : `${num(value, value < 10 ? 2 : 0)} ms`
    : '–';
const evidenceOf = (findings: readonly Finding[], check: string): Evidence[] =>
  findings.filter((f) => f.check === check).map((f) => f.evidence as Evidence);

export function logTables(findings: readonly Finding[]): LogTable[] {
  return [
    topStatements(findings),
    lockWaits(findings),
    tempFiles(findings),
    checkpoints(findings),
    autovacuum(findings),
    connections(findings),
  ].filter((t): t is LogTable => t !== null && t.rows.length > 0);
}

function topStatements(findings: readonly Finding[]): LogTable | null {
  const rows = evidenceOf(findings, 'logs.top_statements').map((e) => [
    String(e.rank),
    String(e.statement),
    num(e.count),
    ms(e.total_ms),
    ms(e.mean_ms),
    ms(e.p95_ms),
    ms(e.max_ms),
    e.percent_of_total_time === null ? '–' : `${e.percent_of_total_time}%`,
  ]);
  const summary = evidenceOf(findings, 'logs.statement_summary')[0];
  const note = summary
    ? `${num(summary.runs)} runs of ${num(summary.distinct_statements)} statements logged, ${ms(summary.total_ms)} ` +
      `in total; parse ${num(summary.parse?.count)} (${ms(summary.parse?.total_ms)}) and bind ${num(summary.bind?.count)} ` +
      `(${ms(summary.bind?.total_ms)}) steps shown apart. p95 is within 19%.`
    : null;
  return {
    id: 'log-top-statements',
    title: 'Top statements by total time (server log)',
    note,
    header: ['#', 'Statement', 'Runs', 'Total', 'Mean', 'p95', 'Max', 'Share'],
    align: ['right', 'left', 'right', 'right', 'right', 'right', 'right', 'right'],
    rows,
    codeColumn: 1,
  };
}

function lockWaits(findings: readonly Finding[]): LogTable {
  const rows = evidenceOf(findings, 'logs.lock_waits').flatMap((e) =>
    ((e.by_lock ?? []) as Evidence[]).map((g) => [
      Object.keys(e.databases ?? {})[0] ?? '?',
      `${g.mode} on ${g.object}`,
      g.relation ?? '–',
      num(g.waits),
      num(g.acquired),
      ms(g.total_wait_ms),
      ms(g.max_wait_ms),
    ]),
  );
  return {
    id: 'log-lock-waits',
    title: 'Lock waits',
    note: 'Waits longer than deadlock_timeout, with their full duration when the acquisition was logged.',
    header: ['Database', 'Lock', 'Relation', 'Waits', 'Acquired', 'Total wait', 'Longest'],
    align: ['left', 'left', 'left', 'right', 'right', 'right', 'right'],
    rows,
    codeColumn: null,
  };
}

function tempFiles(findings: readonly Finding[]): LogTable {
  const rows = evidenceOf(findings, 'logs.temp_file_statements').map((e) => [
    String(e.statement),
    num(e.count),
    formatBytes(e.bytes),
    formatBytes(e.max_file_bytes),
  ]);
  return {
    id: 'log-temp-files',
    title: 'Temporary files by statement',
    note: null,
    header: ['Statement', 'Files', 'Total size', 'Largest'],
    align: ['left', 'right', 'right', 'right'],
    rows,
    codeColumn: 0,
  };
}

function checkpoints(findings: readonly Finding[]): LogTable | null {
  const e = evidenceOf(findings, 'logs.checkpoints')[0];
  if (!e) return null;
  const causes = Object.entries((e.started ?? {}) as Record<string, number>)
    .filter(([, n]) => n > 0)
    .map(([cause, n]) => `${n} ${cause}`)
    .join(', ');
  const rows = [
    ['Started', causes || '0'],
    ['Completed', num(e.completed)],
    ['Triggered by WAL volume', `${e.wal_percent}%`],
    ['Buffers written', num(e.buffers_written)],
    ['Write time (total / longest)', `${num(e.write_seconds, 3)} s / ${num(e.max_write_seconds, 3)} s`],
    ['Sync time (total / longest)', `${num(e.sync_seconds, 3)} s / ${num(e.max_sync_seconds, 3)} s`],
    ['Longest checkpoint', `${num(e.max_total_seconds, 3)} s`],
  ];
  return {
    id: 'log-checkpoints',
    title: 'Checkpoints',
    note: null,
    header: ['', ''],
    align: ['left', 'right'],
    rows,
    codeColumn: null,
  };
}

function autovacuum(findings: readonly Finding[]): LogTable {
  const rows = evidenceOf(findings, 'logs.autovacuum').map((e) => {
    return [
      String(e.table ?? '?'),
      num(e.vacuums),
      num(e.analyzes),
      `${num(e.elapsed_seconds, 2)} s`,
      num(e.tuples_removed),
      num(e.last_dead_not_removable),
      e.seconds_between_vacuums === null ? '–' : `${num(e.seconds_between_vacuums, 1)} s`,
    ];
  });
  return {
    id: 'log-autovacuum',
    title: 'Autovacuum and autoanalyze',
    note:
      'Dead tuples left by the last vacuum that an older snapshot still needed; the interval is the mean time ' +
      'between vacuums of the table.',
    header: ['Table', 'Vacuums', 'Analyzes', 'Time', 'Tuples removed', 'Dead left', 'Every'],
    align: ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
    rows,
    codeColumn: null,
  };
}

function connections(findings: readonly Finding[]): LogTable | null {
  const e = evidenceOf(findings, 'logs.connections')[0];
  if (!e) return null;
  const rows: string[][] = [];
  for (const [kind, list] of [
    ['database', e.by_database],
    ['user', e.by_user],
    ['host', e.by_host],
  ] as const) {
    for (const r of (list ?? []) as Evidence[])
      rows.push([
        kind,
        String(r.name || '?'),
        num(r.connections),
        num(r.sessions),
        ms(r.mean_session_ms),
        ms(r.max_session_ms),
      ]);
  }
  const note =
    `${num(e.connections_authorized)} connections authorized (${num(e.connections_received)} received), ${num(e.sessions)} ` +
    `sessions ended, ${ms(e.mean_session_ms)} on average.`;
  return {
    id: 'log-connections',
    title: 'Connections and sessions',
    note,
    header: ['By', 'Name', 'Connections', 'Sessions', 'Mean session', 'Longest'],
    align: ['left', 'left', 'right', 'right', 'right', 'right'],
    rows,
    codeColumn: null,
  };
}
