import { updateTask } from '../tasks/task-writes.js';
import { runTaskNow } from '../tasks/tasks.js';

export const taskActions = ['pause', 'resume', 'run'] as const;
export type TaskAction = (typeof taskActions)[number];

/** What each button on a task does: the same rules as PUT is_active and POST /run in the API. */
export async function applyTaskAction(taskId: number, action: TaskAction): Promise<void> {
  if (action === 'pause') await updateTask(taskId, { is_active: false });
  else if (action === 'resume') await updateTask(taskId, { is_active: true });
  else await runTaskNow(taskId);
}
