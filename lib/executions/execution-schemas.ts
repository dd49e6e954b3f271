import { z } from 'zod';
import { executionStatuses } from '../../db/schema/index.js';
import { taskTypes } from '../analyses/types.js';
import { listLimit } from '../http/params.js';

const positiveInt = (name: string) =>
  z.coerce
    .number({ message: `${name} must be an integer` })
    .int(`${name} must be an integer`)
    .positive(`${name} must be a positive integer`)
    .max(2_147_483_647);

export const listExecutionsQuery = z.object({
  connection_id: positiveInt('connection_id').optional(),
  task_id: positiveInt('task_id').optional(),
  task_type: z.enum(taskTypes, { message: `task_type must be one of ${taskTypes.join(', ')}` }).optional(),
  status_filter: z
    .enum(executionStatuses, { message: `status_filter must be one of ${executionStatuses.join(', ')}` })
    .optional(),
  limit: listLimit.default(100),
});
export type ListExecutionsQuery = z.infer<typeof listExecutionsQuery>;
