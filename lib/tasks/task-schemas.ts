import { z } from 'zod';
import { taskTypes } from '../analyses/types.js';
import { checkCronSchedule, isValidTimeZone } from '../scheduling/cron.js';

const cronSchedule = z
  .string()
  .min(1)
  .max(200)
  .superRefine((value, ctx) => {
    const check = checkCronSchedule(value);
    if (!check.ok) ctx.addIssue({ code: 'custom', message: check.message });
  })
  .transform((value) => value.trim());

const timezone = z
  .string()
  .min(1)
  .max(64)
  .refine(isValidTimeZone, { message: 'timezone must be an IANA time zone name such as "UTC" or "Europe/Berlin"' });

const name = z.string().trim().min(1, 'name must not be empty').max(200);
const description = z.string().max(2000).nullable();

export const createTaskBody = z.strictObject({
  name,
  task_type: z.enum(taskTypes),
  connection_id: z.number().int().positive(),
  cron_schedule: cronSchedule,
  timezone: timezone.default('UTC'),
  description: description.optional(),
  task_params: z.record(z.string(), z.unknown()).default({}),
  is_active: z.boolean().default(true),
});
export type CreateTaskBody = z.infer<typeof createTaskBody>;

const notUpdatable = (field: string) =>
  z
    .unknown()
    .optional()
    .refine((v) => v === undefined, {
      message: `${field} cannot be changed after a task is created; create a new task instead`,
    });

export const updateTaskBody = z.strictObject({
  name: name.optional(),
  cron_schedule: cronSchedule.optional(),
  timezone: timezone.optional(),
  description: description.optional(),
  // Merged into the stored params: a key set to null is removed (see README).
  task_params: z.record(z.string(), z.unknown()).optional(),
  is_active: z.boolean().optional(),
  task_type: notUpdatable('task_type'),
  connection_id: notUpdatable('connection_id'),
});
export type UpdateTaskBody = z.infer<typeof updateTaskBody>;
