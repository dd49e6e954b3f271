import type { Finding, ReviewResult, Severity } from '../analyses/types.js';
import type { ReportData } from './report-data.js';
import { formatMs } from '../analyses/format.js';

/** The parts of a report both renderers show, in the order a reader wants them. */

export const severities: Severity[] = ['critical', 'warning', 'info'];
const severityRank: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

const familyTitles: Record<string, string> = {
  security: 'Security',
  config: 'Configuration',
  performance: 'Performance',
  tables: 'Tables and indexes',
  queries: 'Queries',
  logs: 'Logs',
};

export interface FindingGroup {
  family: string;
  title: string;
  findings: Finding[];
  counts: Record<Severity, number>;
}

export function severityCounts(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { critical: 0, warning: 0, info: 0 };
  for (const f of findings) if (f.severity in counts) counts[f.severity] += 1;
  return counts;
}

/** Check ids are `<family>.<name>`; the family is the section a finding is shown under. */
export function familyOf(check: string): string {
  return check.includes('.') ? check.slice(0, check.indexOf('.')) : check;
}

export function familyTitle(family: string): string {
  return familyTitles[family] ?? family.charAt(0).toUpperCase() + family.slice(1).replace(/_/g, ' ');
}

/**
 * Families with critical findings come first; inside one, critical before warning before info, else as the checks
 * reported them.
 */
export function groupFindings(findings: readonly Finding[]): FindingGroup[] {
  const byFamily = new Map<string, Finding[]>();
  for (const f of findings) {
    const family = familyOf(f.check);
    byFamily.set(family, [...(byFamily.get(family) ?? []), f]);
  }
  const groups = [...byFamily].map(([family, list]) => ({
    family,
    title: familyTitle(family),
    findings: [...list].sort((a, b) => (severityRank[a.severity] ?? 3) - (severityRank[b.severity] ?? 3)),
    counts: severityCounts(list),
  }));
  return groups.sort(
    (a, b) =>
      b.counts.critical - a.counts.critical || b.counts.warning - a.counts.warning || a.title.localeCompare(b.title),
  );
}

export interface QueryBar {
  rank: number;
  /** queryid, or the role whose statements are hidden from the reviewing role. */
  label: string;
  query: string | null;
  totalMs: number;
  percent: number | null;
  calls: number | null;
}

const TOP_QUERY_BARS = 10;

/** The `queries.top_total_time` findings as chart bars, heaviest first. */
export function topQueryBars(findings: readonly Finding[]): QueryBar[] {
  return findings
    .filter((f) => f.check === 'queries.top_total_time')
    .map((f, index): QueryBar => {
      const e = f.evidence;
      const hiddenRole = f.object?.startsWith('hidden:') ? f.object.slice('hidden:'.length) : null;
      return {
        rank: finiteOr(e.rank, index + 1),
        label: hiddenRole ? `hidden statements of ${hiddenRole}` : `queryid ${String(e.queryid ?? f.object ?? '?')}`,
        query: typeof e.query === 'string' ? e.query : null,
        totalMs: finiteOr(e.total_ms, 0),
        percent: Number.isFinite(Number(e.percent_of_total_time)) ? Number(e.percent_of_total_time) : null,
        calls: Number.isFinite(Number(e.calls)) ? Number(e.calls) : null,
      };
    })
    .filter((bar) => bar.totalMs > 0)
    .sort((a, b) => a.rank - b.rank)
    .slice(0, TOP_QUERY_BARS);
}

function finiteOr(value: unknown, fallback: number): number {
  const n = Number(value);
  return value !== null && value !== undefined && Number.isFinite(n) ? n : fallback;
}

/** custom_sql results can hold 10,000 rows; a page shows the first ones, the JSON API has them all. */
export const DATA_ROWS_SHOWN = 200;

/** What to say in place of a result, for an execution that has none. */
export function statusNote(data: ReportData): string | null {
  switch (data.status) {
    case 'queued':
      return 'Waiting in the queue: the review has not started yet, so there is no result to show.';
    case 'running':
      return (
        `Running since ${data.startedAt ?? 'just now'} (attempt ${data.attempts}): the result appears here ` +
        'when it finishes.'
      );
    case 'failed':
      return `The review failed: ${withoutFinalStop(data.errorMessage ?? 'no reason was recorded')}.`;
    case 'skipped':
      return data.errorMessage ?? 'Skipped: the previous execution of this task was still queued or running.';
    case 'cancelled':
      return data.errorMessage ?? 'Cancelled before it started.';
    default:
      return data.result ? null : 'Completed, but no result was recorded.';
  }
}

const withoutFinalStop = (text: string) => text.replace(/\.\s*$/, '');

export function reportTitle(data: ReportData): string {
  return `Review #${data.executionId}${data.taskName ? `: ${data.taskName}` : ''}`;
}

export function typeLine(data: ReportData, result: ReviewResult | null): string {
  return result?.analysis_target ? `${data.taskType} (${result.analysis_target})` : data.taskType;
}

/** The facts at the top of a report, label and value (null when not known), in both formats. */
export function headerFacts(data: ReportData, result: ReviewResult | null): Array<[string, string | null]> {
  return [
    ['Status', `${data.status}${data.attempts > 1 ? ` (attempt ${data.attempts})` : ''}`],
    ['Task', data.taskId === null ? 'deleted' : `#${data.taskId}${data.taskName ? ` ${data.taskName}` : ''}`],
    ['Connection', `#${data.connectionId}${data.connectionName ? ` ${data.connectionName}` : ''}`],
    ['Trigger', data.trigger],
    ['Scheduled for', data.scheduledFor],
    ['Queued', data.queuedAt],
    ['Started', data.startedAt],
    ['Completed', data.completedAt],
    ['Review took', typeof result?.duration_ms === 'number' ? formatMs(result.duration_ms) : null],
  ];
}
