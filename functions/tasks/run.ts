import { createHandler } from '../../lib/http/handler.js';
import { idPath } from '../../lib/http/params.js';
import { ok } from '../../lib/http/responses.js';
import { runTaskNow } from '../../lib/tasks/tasks.js';

export const handler = createHandler({ path: idPath('task_id') }, async ({ path }) => {
  const { executionId } = await runTaskNow(path.task_id);
  return ok({ message: 'Задача запущена', execution_id: executionId });
});
