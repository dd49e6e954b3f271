import { createHandler } from '../../lib/http/handler.js';
import { idPath } from '../../lib/http/params.js';
import { ok } from '../../lib/http/responses.js';
import { queueTask } from '../../lib/tasks/tasks.js';

export const handler = createHandler({ path: idPath('task_id') }, async ({ path }) => {
  const { executionId } = await queueTask(path.task_id);
  return ok({
    message: `Задача ${path.task_id} добавлена в очередь`,
    task_id: path.task_id,
    execution_id: executionId,
  });
});
