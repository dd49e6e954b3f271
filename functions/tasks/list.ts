import { createHandler } from '../../lib/http/handler.js';
import { ok } from '../../lib/http/responses.js';
import { toTaskResponse } from '../../lib/tasks/task-response.js';
import { listTasksQuery } from '../../lib/tasks/task-schemas.js';
import { listTasks } from '../../lib/tasks/tasks.js';

export const handler = createHandler({ query: listTasksQuery }, async ({ query }) => {
  const tasks = await listTasks({ isActive: query.is_active, limit: query.limit, afterId: query.after_id });
  return ok(tasks.map(toTaskResponse));
});
