import { z } from 'zod';
import { sslModes } from '../analyses/target-connection.js';

const sslmode = z.enum(sslModes);
const host = z.string().trim().min(1).max(255).regex(/^[A-Za-z0-9._:\-[\]]+$/, 'host must be a hostname or an IP address');

export const createConnectionBody = z.strictObject({
  name: z.string().trim().min(1, 'name must not be empty').max(200),
  host,
  port: z.number().int().min(1).max(65535).default(5432),
  database: z.string().min(1).max(63),
  username: z.string().min(1).max(63),
  password: z.string().max(1000).optional(),
  sslmode: sslmode.default('prefer'),
});
export type CreateConnectionBody = z.infer<typeof createConnectionBody>;

export const updateConnectionBody = z.strictObject({
  name: z.string().trim().min(1, 'name must not be empty').max(200).optional(),
  host: host.optional(),
  port: z.number().int().min(1).max(65535).optional(),
  database: z.string().min(1).max(63).optional(),
  username: z.string().min(1).max(63).optional(),
  // null removes the stored password.
  password: z.string().max(1000).nullable().optional(),
  sslmode: sslmode.optional(),
});
export type UpdateConnectionBody = z.infer<typeof updateConnectionBody>;
