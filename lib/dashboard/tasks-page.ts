import { z } from 'zod';
import { getDb } from '../../db/client.js';
import { countTasks, taskListRows, type TaskListFilter } from '../../db/queries/dashboard.js';
import { taskTypes } from '../analyses/types.js';
import { listExecutionsQuery } from '../executions/execution-schemas.js';
import { html, type SafeHtml } from '../report/html.js';
import { listTasksQuery } from '../tasks/task-list-query.js';
import type { Access, DashboardResult } from './access.js';
import { page } from './layout.js';
import { taskTable } from './task-table.js';
import { PER_PAGE, pageLinks } from './page-link.js';

/** The API's list filter and paging (`is_active`, `limit`, `after_id`), plus a connection and a task type. */
export const tasksPageQuery = listTasksQuery.extend({
  connection_id: listExecutionsQuery.shape.connection_id,
  task_type: listExecutionsQuery.shape.task_type,
  limit: listTasksQuery.shape.limit.unwrap().default(PER_PAGE),
});
export type TasksPageQuery = z.infer<typeof tasksPageQuery>;

/** One page of tasks in id order; the next page starts after the last id shown, with the same filters. */
export async function tasksPage(access: Access, query: TasksPageQuery): Promise<DashboardResult> {
  const db = getDb();
  const filter: TaskListFilter = {
    connectionId: query.connection_id,
    taskType: query.task_type,
    isActive: query.is_active,
  };
  const [rows, counts] = await Promise.all([
    taskListRows(db, { ...filter, afterId: query.after_id, limit: query.limit }),
    countTasks(db, filter),
  ]);
  const shown = rows.slice(0, query.limit);
  const more = rows.length > query.limit;
  const filters = {
    connection_id: query.connection_id,
    task_type: query.task_type,
    is_active: query.is_active,
    limit: query.limit === PER_PAGE ? undefined : query.limit,
  };
  const link = pageLinks('/dashboard/tasks', filters);
  const filtered = filter.connectionId !== undefined || filter.taskType !== undefined || filter.isActive !== undefined;
  const range =
    shown.length === 0 || shown.length === counts.total
      ? ''
      : shown.length === 1
        ? ` Showing task ${shown[0].id}.`
        : ` Showing ${shown.length}: ids ${shown[0].id} to ${shown[shown.length - 1].id}.`;
  return page(
    { title: 'Tasks', section: 'tasks', access },
    html`<h1>Tasks</h1>
      <p class="subtitle">
        ${counts.total} task${counts.total === 1 ? '' : 's'}${filtered && ' match'}, ${counts.paused} paused.${range}
        Schedules run in each task's time zone; times below are in yours.
      </p>
      ${filterForm(query)}
      ${shown.length === 0 ? html`<p>No tasks match.</p>` : taskTable(shown, access, link({ after_id: query.after_id }), true)}
      <nav class="pager" aria-label="Pages">
        ${query.after_id !== undefined && html`<a href="${link({})}">First page</a>`}${more && html`<a rel="next" href="${link({ after_id: shown[shown.length - 1].id })}">Next →</a>`}
      </nav>`,
  );
}

function filterForm(query: TasksPageQuery): SafeHtml {
  const option = (value: string, label: string, selected: string) =>
    html`<option value="${value}" ${value === selected ? html` selected` : ''}>${label}</option>`;
  const state = query.is_active === undefined ? '' : String(query.is_active);
  return html`<form class="filters" method="get" action="/dashboard/tasks">
    <label
      >Connection id <input name="connection_id" inputmode="numeric" size="6" value="${query.connection_id ?? ''}"
    /></label>
    <label
      >Task type
      <select name="task_type">
        ${['', ...taskTypes].map((t) => option(t, t || 'any', query.task_type ?? ''))}
      </select></label
    >
    <label
      >State
      <select name="is_active">
        ${option('', 'any', state)}${option('true', 'active', state)}${option('false', 'paused', state)}
      </select></label
    >
    <label>Per page <input name="limit" inputmode="numeric" size="4" value="${query.limit}" /></label>
    <button type="submit">Filter</button>
  </form>`;
}
