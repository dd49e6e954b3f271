import type { TaskListRow } from '../../db/queries/dashboard.js';
import { html, type SafeHtml } from '../report/html.js';
import type { Access } from './access.js';
import { actionButton } from './layout.js';
import { timeTag } from './time.js';

/** Tasks with their schedules and buttons; `back` is the page the buttons return to. */
export function taskTable(
  tasks: readonly TaskListRow[],
  access: Access,
  back: string,
  showConnection: boolean,
): SafeHtml {
  if (tasks.length === 0) return html`<p class="muted">No tasks.</p>`;
  return html`<div class="table-wrap">
    <table class="grid" id="tasks">
      <thead>
        <tr>
          <th scope="col">Task</th>
          ${showConnection && html`<th scope="col">Connection</th>`}
          <th scope="col">Schedule</th>
          <th scope="col">Next run</th>
          <th scope="col">Last run</th>
          <th scope="col">Last status</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        ${tasks.map((t) => taskRow(t, access, back, showConnection))}
      </tbody>
    </table>
  </div>`;
}

function taskRow(t: TaskListRow, access: Access, back: string, showConnection: boolean): SafeHtml {
  return html`<tr data-task-id="${t.id}">
    <td>
      <a href="/dashboard/executions?task_id=${t.id}">${t.name}</a><br /><span class="muted"
        >${t.task_type}${t.analysis_target && ` / ${t.analysis_target}`}</span
      >
    </td>
    ${showConnection && html`<td><a href="/dashboard/connections/${t.connection_id}">${t.connection_name}</a></td>`}
    <td class="nowrap" data-label="Schedule">
      <code>${t.cron_schedule}</code><br /><span class="muted">${t.timezone}</span>
    </td>
    <td class="nowrap" data-field="next_run" data-label="Next run">
      ${t.is_active ? timeTag(t.next_run_at) : html`<span class="muted">paused</span>`}
    </td>
    <td class="nowrap" data-label="Last run">${timeTag(t.last_run_at)}</td>
    <td data-field="last_status" data-label="Last status">
      ${t.last_status ? html`<a class="status-${t.last_status}" href="/dashboard/executions/${t.last_execution_id}/report">${t.last_status}</a>` : '—'}
    </td>
    <td>
      <div class="actions">
        ${t.is_active ? actionButton(access, `/dashboard/tasks/${t.id}/pause`, 'Pause', back) : actionButton(access, `/dashboard/tasks/${t.id}/resume`, 'Resume', back)}${t.is_active && actionButton(access, `/dashboard/tasks/${t.id}/run`, 'Run now', back, true)}
      </div>
    </td>
  </tr>`;
}
