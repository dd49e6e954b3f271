import { z } from 'zod';

/** A path parameter that must be a positive integer id, e.g. `idPath('task_id')`. */
export function idPath<K extends string>(key: K) {
  const id = z
    .string()
    .regex(/^\d{1,10}$/, `${key} must be a positive integer`)
    .transform(Number)
    .refine((n) => n > 0 && n <= 2_147_483_647, `${key} must be a positive integer`);
  return z.object({ [key]: id } as { [P in K]: typeof id });
}

/** `limit` of a list in the query string: 1 to 1000 rows. */
export const listLimit = z.coerce
  .number({ message: 'limit must be an integer' })
  .int('limit must be an integer')
  .min(1, 'limit must be between 1 and 1000')
  .max(1000, 'limit must be between 1 and 1000');
