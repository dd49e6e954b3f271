import { createHandler } from '../../lib/http/handler.js';
import { okJsonText } from '../../lib/http/responses.js';
import { listTasksJson } from '../../lib/tasks/task-list.js';
import { listTasksQuery } from '../../lib/tasks/task-list-query.js';

export const handler = createHandler({ query: listTasksQuery }, async ({ query }) =>
  okJsonText(await listTasksJson({ isActive: query.is_active, limit: query.limit, afterId: query.after_id })),
);
