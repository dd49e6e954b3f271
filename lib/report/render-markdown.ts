import type { Finding, FindingRef, NotAssessable, ReviewResult } from '../analyses/types.js';
import { advicePlansMarkdown } from './index-advice-plans.js';
import { mdCode, mdFence, mdParagraph, mdTable, mdText } from './markdown.js';
import { logSectionsMarkdown } from './log-sections-markdown.js';
import { barValueText } from './query-chart.js';
import { notificationsMarkdown } from './notifications-section.js';
import type { ReportData } from './report-data.js';
import {
  DATA_ROWS_SHOWN,
  groupFindings,
  headerFacts,
  reportTitle,
  severities,
  severityCounts,
  statusNote,
  topQueryBars,
  typeLine,
  type FindingGroup,
} from './report-sections.js';

/** The same report as the HTML page, for a pull request, a ticket or a chat message. */
export function renderMarkdown(data: ReportData): string {
  const result = data.result;
  const note = statusNote(data);
  const parts = [header(data, result), note ? `> ${mdText(note)}` : null];
  if (result)
    parts.push(
      summary(result),
      changes(result),
      topQueries(result),
      logSectionsMarkdown(result.findings),
      findings(result),
      notAssessable(result.not_assessable),
      customSqlData(result),
    );
  parts.push(notificationsMarkdown(data.notifications), footer(result));
  return `${parts.filter((p): p is string => p !== null).join('\n\n')}\n`;
}

function header(data: ReportData, result: ReviewResult | null): string {
  const facts = headerFacts(data, result);
  const subtitle = `${mdText(typeLine(data, result))}${data.database ? ` of database ${mdCode(data.database)}` : ''}`;
  const rows = facts.filter((f): f is [string, string] => f[1] !== null).map(([name, value]) => [name, mdText(value)]);
  return `# ${mdText(reportTitle(data))}\n\n${subtitle}\n\n${mdTable(['', ''], ['left', 'left'], rows)}`;
}

function summary(result: ReviewResult): string {
  const counts = severityCounts(result.findings);
  return `## Summary\n\n${mdTable(['Critical', 'Warning', 'Info', 'Not assessable'], ['right', 'right', 'right', 'right'], [[...severities.map((s) => String(counts[s])), String(result.not_assessable.length)]])}`;
}

const refLine = (f: FindingRef, extra?: string) =>
  `- **${f.severity}** ${mdText(f.title)}${f.object ? ` ${mdCode(f.object)}` : ''}${extra ? ` (${mdText(extra)})` : ''}`;

function changes(result: ReviewResult): string {
  const c = result.changes;
  if (c.previous_execution_id === null)
    return (
      '## Changes since the previous run\n\nThis is the first completed run of this task: there is nothing to ' +
      'compare with yet.'
    );
  const list = (title: string, lines: string[]) =>
    `### ${title} (${lines.length})\n\n${lines.length ? lines.join('\n') : 'None.'}`;
  return [
    `## Changes since execution #${c.previous_execution_id}`,
    list(
      'New',
      c.new.map((f) => refLine(f)),
    ),
    list(
      'Worsened',
      c.worsened.map((f) => refLine(f, f.reason)),
    ),
    list(
      'Resolved',
      c.resolved.map((f) => refLine(f)),
    ),
  ].join('\n\n');
}

// A text bar stands in for the HTML page's SVG chart: it reads the same in any viewer.
const BAR_CELLS = 20;

function topQueries(result: ReviewResult): string | null {
  const bars = topQueryBars(result.findings);
  if (bars.length === 0) return null;
  const max = Math.max(...bars.map((b) => b.totalMs));
  const rows = bars.map((bar) => [
    String(bar.rank),
    bar.query ? mdCode(bar.query.length > 80 ? `${bar.query.slice(0, 79)}…` : bar.query, true) : mdText(bar.label),
    mdText(barValueText(bar)),
    '█'.repeat(Math.max(1, Math.round((bar.totalMs / max) * BAR_CELLS))),
  ]);
  return `## Top statements by total time\n\n${mdTable(['#', 'Statement', 'Total time', ''], ['right', 'left', 'right', 'left'], rows)}`;
}

function findings(result: ReviewResult): string {
  if (result.findings.length === 0) return '## Findings\n\nNo findings: every check that ran found nothing to report.';
  return `## Findings\n\n${groupFindings(result.findings).map(family).join('\n\n')}`;
}

function family(group: FindingGroup): string {
  const counts = severities
    .filter((s) => group.counts[s] > 0)
    .map((s) => `${group.counts[s]} ${s}`)
    .join(', ');
  return `### ${mdText(group.title)} (${counts})\n\n${group.findings.map(finding).join('\n\n')}`;
}

function finding(f: Finding): string {
  const lines = [
    `#### ${f.severity.toUpperCase()}: ${mdText(f.title)}`,
    `${f.object ? `${mdCode(f.object)} · ` : ''}${mdText(f.check)}`,
    mdParagraph(f.detail),
  ];
  if (f.recommendation) lines.push(`Recommendation:\n\n${mdFence(f.recommendation, 'sql')}`);
  const plans = advicePlansMarkdown(f);
  if (plans) lines.push(plans);
  return lines.join('\n\n');
}

function notAssessable(items: NotAssessable[]): string | null {
  if (items.length === 0) return null;
  const entries = items.map((n) =>
    [
      `### ${mdText((n.checks ?? [n.check]).join(', '))}`,
      mdParagraph(n.reason),
      n.enable ? `To enable it:\n\n${mdFence(n.enable, 'sql')}` : 'No grant or setting enables it.',
      n.error ? `Error: ${mdText(n.error)}` : null,
    ]
      .filter((line): line is string => line !== null)
      .join('\n\n'),
  );
  return (
    `## Not assessable\n\nThese checks could not run with the reviewing role's privileges or the server's ` +
    `settings.\n\n${entries.join('\n\n')}`
  );
}

function customSqlData(result: ReviewResult): string | null {
  const data = result.data;
  if (!data) return null;
  const rows = data.rows.slice(0, DATA_ROWS_SHOWN);
  const more =
    data.row_count > rows.length
      ? ` The first ${rows.length} of ${data.row_count} rows are shown; the execution's JSON has them all.`
      : '';
  const cell = (value: unknown) =>
    value === null || value === undefined
      ? '*NULL*'
      : mdText(typeof value === 'object' ? JSON.stringify(value) : String(value));
  const table = mdTable(
    data.columns.map((c) => mdText(c.name)),
    data.columns.map(() => 'left'),
    rows.map((row) => row.map(cell)),
  );
  return `## Query result\n\n${data.row_count} row${data.row_count === 1 ? '' : 's'}${data.truncated ? ' (stopped at max_rows)' : ''}.${more}\n\n${data.columns.length ? table : ''}`;
}

function footer(result: ReviewResult | null): string {
  const server = result?.server;
  const line = server?.version
    ? `${mdText(server.version)}, reviewed as ${mdCode(server.current_user)}${server.is_superuser ? ' (superuser)' : ''}${server.in_recovery ? ', a standby' : ''}.`
    : null;
  return ['---', line, '*pg-reviewer report. The same data as JSON: `GET /api/v1/scheduler/executions/{id}`.*']
    .filter((l): l is string => l !== null)
    .join('\n\n');
}
