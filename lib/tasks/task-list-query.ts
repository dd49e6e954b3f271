import { z } from 'zod';
import { listLimit } from '../http/params.js';

// Apart from the body schemas, which validate cron expressions: the list function then starts without the cron parser.
export const listTasksQuery = z.object({
  is_active: z
    .enum(['true', 'false'], { message: 'is_active must be true or false' })
    .transform((v) => v === 'true')
    .optional(),
  // Optional paging beyond the spec: without it every task is listed, as the spec shows.
  limit: listLimit.optional(),
  after_id: z.coerce
    .number({ message: 'after_id must be an integer' })
    .int('after_id must be an integer')
    .min(0, 'after_id must not be negative')
    .optional(),
});
