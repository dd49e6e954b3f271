import { getDb } from '../../db/client.js';
import { taskListRows } from '../../db/queries/dashboard.js';
import { html } from '../report/html.js';
import type { Access, DashboardResult } from './access.js';
import { page } from './layout.js';
import { taskTable } from './task-table.js';

export async function tasksPage(access: Access): Promise<DashboardResult> {
  const tasks = await taskListRows(getDb());
  const paused = tasks.filter((t) => !t.is_active).length;
  return page(
    { title: 'Tasks', section: 'tasks', access },
    html`<h1>Tasks</h1>
      <p class="subtitle">
        ${tasks.length} task${tasks.length === 1 ? '' : 's'}, ${paused} paused. Schedules run in each task's time zone;
        times below are in yours.
      </p>
      ${taskTable(tasks, access, '/dashboard/tasks', true)}`,
  );
}
