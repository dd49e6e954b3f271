import { z } from 'zod';
import { getDb } from '../../db/client.js';
import { executionPage, type ExecutionPageRow } from '../../db/queries/dashboard.js';
import { executionStatuses } from '../../db/schema/index.js';
import { taskTypes } from '../analyses/types.js';
import { listExecutionsQuery } from '../executions/execution-schemas.js';
import { html, type SafeHtml } from '../report/html.js';
import type { Access, DashboardResult } from './access.js';
import { page, severityPills } from './layout.js';
import { timeTag } from './time.js';
import { PER_PAGE, pageLinks } from './page-link.js';

/** The API's filters, plus the cursor: the id the next page starts below. */
export const executionsPageQuery = listExecutionsQuery.extend({
  limit: listExecutionsQuery.shape.limit.removeDefault().default(PER_PAGE),
  before_id: z.coerce
    .number({ message: 'before_id must be an integer' })
    .int('before_id must be an integer')
    .positive('before_id must be a positive integer')
    .optional(),
});
export type ExecutionsPageQuery = z.infer<typeof executionsPageQuery>;

export async function executionsPage(access: Access, query: ExecutionsPageQuery): Promise<DashboardResult> {
  const rows = await executionPage(getDb(), {
    connectionId: query.connection_id,
    taskId: query.task_id,
    taskType: query.task_type,
    status: query.status_filter,
    beforeId: query.before_id,
    limit: query.limit,
  });
  const shown = rows.slice(0, query.limit);
  const more = rows.length > query.limit;
  const filters = {
    connection_id: query.connection_id,
    task_id: query.task_id,
    task_type: query.task_type,
    status_filter: query.status_filter,
    limit: query.limit === PER_PAGE ? undefined : query.limit,
  };
  const link = pageLinks('/dashboard/executions', filters);
  return page(
    { title: 'Executions', section: 'executions', access },
    html`<h1>Executions</h1>
      ${filterForm(query)} ${shown.length === 0 ? html`<p>No executions match.</p>` : table(shown)}
      <nav class="pager" aria-label="Pages">
        ${query.before_id !== undefined && html`<a href="${link({})}">Newest</a>`}${more && html`<a rel="next" href="${link({ before_id: shown[shown.length - 1].id })}">Older →</a>`}
      </nav>`,
  );
}

function filterForm(query: ExecutionsPageQuery): SafeHtml {
  const option = (value: string, selected: string | undefined) =>
    html`<option value="${value}" ${value === (selected ?? '') ? html` selected` : ''}>${value || 'any'}</option>`;
  return html`<form class="filters" method="get" action="/dashboard/executions">
    <label
      >Connection id <input name="connection_id" inputmode="numeric" size="6" value="${query.connection_id ?? ''}"
    /></label>
    <label>Task id <input name="task_id" inputmode="numeric" size="6" value="${query.task_id ?? ''}" /></label>
    <label
      >Task type
      <select name="task_type">
        ${['', ...taskTypes].map((t) => option(t, query.task_type))}
      </select></label
    >
    <label
      >Status
      <select name="status_filter">
        ${['', ...executionStatuses].map((s) => option(s, query.status_filter))}
      </select></label
    >
    <label>Per page <input name="limit" inputmode="numeric" size="4" value="${query.limit}" /></label>
    <button type="submit">Filter</button>
  </form>`;
}

function table(rows: ExecutionPageRow[]): SafeHtml {
  return html`<div class="table-wrap">
    <table class="grid" id="executions">
      <thead>
        <tr>
          <th scope="col">Execution</th>
          <th scope="col">Task</th>
          <th scope="col">Connection</th>
          <th scope="col">Status</th>
          <th scope="col">Queued</th>
          <th scope="col">Took</th>
          <th scope="col">Findings</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(row)}
      </tbody>
    </table>
  </div>`;
}

function row(e: ExecutionPageRow): SafeHtml {
  const took =
    e.started_at && e.completed_at
      ? `${((new Date(e.completed_at).getTime() - new Date(e.started_at).getTime()) / 1000).toFixed(1)} s`
      : '—';
  return html`<tr data-execution-id="${e.id}">
    <td><a href="/dashboard/executions/${e.id}/report">#${e.id}</a><br /><span class="muted">${e.trigger}</span></td>
    <td>
      ${e.task_name ?? html`<span class="muted">deleted task</span>`}<br /><span class="muted">${e.task_type}</span>
    </td>
    <td>
      ${e.connection_name ? html`<a href="/dashboard/connections/${e.connection_id}">${e.connection_name}</a>` : html`<span class="muted">#${e.connection_id}</span>`}
    </td>
    <td>
      <span class="status-${e.status}" data-field="status">${e.status}</span
      >${e.error_message && html`<br /><span class="error">${e.error_message}</span>`}
    </td>
    <td class="nowrap" data-label="Queued">${timeTag(e.created_at)}</td>
    <td class="num" data-label="Took">${took}</td>
    <td class="nowrap">${severityPills(e.summary)}</td>
  </tr>`;
}
