import { createHandler } from '../../lib/http/handler.js';
import { idPath } from '../../lib/http/params.js';
import { noContent } from '../../lib/http/responses.js';
import { deleteTask } from '../../lib/tasks/tasks.js';

export const handler = createHandler({ path: idPath('task_id') }, async ({ path }) => {
  await deleteTask(path.task_id);
  return noContent();
});
