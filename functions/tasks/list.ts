import { createHandler } from '../../lib/http/handler.js';
import { notModified, okJsonText } from '../../lib/http/responses.js';
import { listTasksJson } from '../../lib/tasks/task-list.js';
import { listTasksQuery } from '../../lib/tasks/task-list-query.js';

export const handler = createHandler({ query: listTasksQuery }, async ({ query, event }) => {
  const list = await listTasksJson(
    { isActive: query.is_active, limit: query.limit, afterId: query.after_id },
    event.headers?.['if-none-match'],
  );
  return list.body === null ? notModified(list.etag) : okJsonText(list.body, list.etag);
});
