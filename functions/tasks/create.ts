import { createHandler } from '../../lib/http/handler.js';
import { created } from '../../lib/http/responses.js';
import { toTaskResponse } from '../../lib/tasks/task-response.js';
import { createTaskBody } from '../../lib/tasks/task-schemas.js';
import { createTask } from '../../lib/tasks/task-writes.js';

export const handler = createHandler({ body: createTaskBody }, async ({ body }) =>
  created(toTaskResponse(await createTask(body))),
);
