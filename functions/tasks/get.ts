import { createHandler } from '../../lib/http/handler.js';
import { idPath } from '../../lib/http/params.js';
import { ok } from '../../lib/http/responses.js';
import { toTaskResponse } from '../../lib/tasks/task-response.js';
import { getTask } from '../../lib/tasks/tasks.js';

export const handler = createHandler({ path: idPath('task_id') }, async ({ path }) =>
  ok(toTaskResponse(await getTask(path.task_id))),
);
