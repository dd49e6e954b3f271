import { getDb } from '../../db/client.js';
import { overviewRows, TREND_RUNS, type OverviewRow, type Summary } from '../../db/queries/dashboard.js';
import { html, type SafeHtml } from '../report/html.js';
import type { Access, DashboardResult } from './access.js';
import { page, severityPills } from './layout.js';
import { sparkline } from './sparkline.js';
import { timeTag } from './time.js';

interface LatestReview {
  taskType: string;
  runId: number;
  status: 'completed' | 'failed';
  finishedAt: string;
  summary: Summary;
}

export interface ConnectionOverview {
  id: number;
  name: string;
  where: string;
  tasks: number;
  /** Per task type, the latest finished run among the connection's tasks of that type. */
  reviews: LatestReview[];
  open: { critical: number; warning: number; info: number };
  lastRun: LatestReview | null;
  trend: number[];
}

/** Folds the per-task rows into one entry per connection. */
export function summarizeConnections(rows: readonly OverviewRow[]): ConnectionOverview[] {
  const byConnection = new Map<number, { entry: ConnectionOverview; trends: number[][] }>();
  for (const row of rows) {
    let item = byConnection.get(row.connection_id);
    if (!item) {
      item = {
        entry: {
          id: row.connection_id,
          name: row.connection_name,
          where: `${row.host}:${row.port}/${row.database}`,
          tasks: 0,
          reviews: [],
          open: { critical: 0, warning: 0, info: 0 },
          lastRun: null,
          trend: [],
        },
        trends: [],
      };
      byConnection.set(row.connection_id, item);
    }
    if (row.task_id === null) continue;
    item.entry.tasks += 1;
    if (row.trend) item.trends.push(row.trend.split(',').map(Number));
    if (row.run_id === null || row.task_type === null) continue;
    const review: LatestReview = {
      taskType: row.task_type,
      runId: Number(row.run_id),
      status: row.run_status!,
      finishedAt: row.run_finished_at!,
      summary: row.run_summary,
    };
    const same = item.entry.reviews.findIndex((r) => r.taskType === review.taskType);
    if (same < 0) item.entry.reviews.push(review);
    else if (item.entry.reviews[same].runId < review.runId) item.entry.reviews[same] = review;
    if (!item.entry.lastRun || item.entry.lastRun.runId < review.runId) item.entry.lastRun = review;
  }
  return [...byConnection.values()].map(({ entry, trends }) => {
    for (const review of entry.reviews) {
      entry.open.critical += review.summary?.critical ?? 0;
      entry.open.warning += review.summary?.warning ?? 0;
      entry.open.info += review.summary?.info ?? 0;
    }
    entry.reviews.sort((a, b) => a.taskType.localeCompare(b.taskType));
    entry.trend = combineTrends(trends);
    return entry;
  });
}

/**
 * The connection's open findings run by run: each task's n-th latest run added up, oldest first (each task's
 * trend comes newest first, so the tasks' runs line up on the newest).
 */
function combineTrends(trends: number[][]): number[] {
  let length = 0;
  for (const t of trends) length = Math.max(length, t.length);
  const points: number[] = [];
  for (let back = length - 1; back >= 0; back--) {
    let sum = 0;
    for (const t of trends) sum += t[back] ?? 0;
    points.push(sum);
  }
  return points;
}

export async function overviewPage(access: Access): Promise<DashboardResult> {
  return renderOverview(summarizeConnections(await overviewRows(getDb())), access);
}

export function renderOverview(connections: ConnectionOverview[], access: Access): DashboardResult {
  const failing = connections.filter((c) => c.reviews.some((r) => r.status === 'failed')).length;
  return page(
    { title: 'Overview', section: 'overview', access },
    html`<h1>Overview</h1>
      <p class="subtitle">
        ${connections.length}
        connection${connections.length === 1 ? '' : 's'}${failing > 0 && html`, <strong class="status-failed">${failing} with a failed latest review</strong>`}.
        Counts are the open findings of each review type's latest run.
      </p>
      ${connections.length === 0 ? html`<p class="notice">No connections yet: add one with <code>POST /api/v1/connections</code>, then a task on it (see the <a href="/api/v1/docs">API documentation</a>).</p>` : table(connections)}`,
  );
}

function table(connections: ConnectionOverview[]): SafeHtml {
  return html`<div class="table-wrap">
    <table class="grid" id="connections">
      <thead>
        <tr>
          <th scope="col">Connection</th>
          <th scope="col">Open findings</th>
          <th scope="col">Latest review per type</th>
          <th scope="col">Last run</th>
          <th scope="col">Trend (last ${TREND_RUNS} runs)</th>
        </tr>
      </thead>
      <tbody>
        ${connections.map(row)}
      </tbody>
    </table>
  </div>`;
}

// One short line per cell and per review type: a page of a thousand connections stays small to build and to send.
function row(c: ConnectionOverview): SafeHtml {
  const open = c.reviews.length > 0 ? severityPills(c.open) : html`<span class="muted">no reviews yet</span>`;
  const reviews = c.tasks === 0 ? html`<span class="muted">no tasks</span>` : c.reviews.map(review);
  const lastRun = c.lastRun
    ? html`${timeTag(c.lastRun.finishedAt)}<br /><span class="status-${c.lastRun.status}">${c.lastRun.status}</span>`
    : '—';
  return html`<tr data-connection-id="${c.id}">
    <td><a href="/dashboard/connections/${c.id}">${c.name}</a><br /><span class="muted">${c.where}</span></td>
    <td class="nowrap" data-label="Open findings">${open}</td>
    <td data-label="Latest reviews">${reviews}</td>
    <td class="nowrap" data-label="Last run">${lastRun}</td>
    <td data-label="Trend">${sparkline(c.trend, 'open findings per run')}</td>
  </tr>`;
}

function review(r: LatestReview): SafeHtml {
  const open = (r.summary?.critical ?? 0) + (r.summary?.warning ?? 0) + (r.summary?.info ?? 0);
  const state =
    r.status === 'failed'
      ? html`<span class="status-failed">failed</span>`
      : html`<span class="muted">${open} open</span>`;
  return html`<a class="review" href="/dashboard/executions/${r.runId}/report" data-task-type="${r.taskType}"
      >${r.taskType}</a
    >
    ${state}<br />`;
}
