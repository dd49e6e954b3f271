import { createHandler } from '../../lib/http/handler.js';
import { idPath } from '../../lib/http/params.js';
import { ok } from '../../lib/http/responses.js';
import { toTaskResponse } from '../../lib/tasks/task-response.js';
import { updateTaskBody } from '../../lib/tasks/task-schemas.js';
import { updateTask } from '../../lib/tasks/task-writes.js';

export const handler = createHandler({ path: idPath('task_id'), body: updateTaskBody }, async ({ path, body }) =>
  ok(toTaskResponse(await updateTask(path.task_id, body))),
);
