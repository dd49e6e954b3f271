import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { sslModes } from '../target/open-target.js';

const sslmode = z.enum(sslModes);
// A CA bundle is public data, but still bounded: the RDS global bundle is ~160 kB.
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const sslrootcert = z
  .string()
  .max(1_000_000)
  .refine((pem) => {
    const certificates = pem.match(PEM_CERTIFICATE) ?? [];
    return certificates.length > 0 && certificates.every(isCertificate);
  }, 'sslrootcert must be one or more PEM certificates (-----BEGIN CERTIFICATE----- ...)');

function isCertificate(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}
const host = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9._:\-[\]]+$/, 'host must be a hostname or an IP address');

export const createConnectionBody = z.strictObject({
  name: z.string().trim().min(1, 'name must not be empty').max(200),
  host,
  port: z.number().int().min(1).max(65535).default(5432),
  database: z.string().min(1).max(63),
  username: z.string().min(1).max(63),
  password: z.string().max(1000).optional(),
  // Verified by default: encrypted, with the server's certificate checked against its host name.
  sslmode: sslmode.default('verify-full'),
  sslrootcert: sslrootcert.optional(),
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
  // null goes back to the CAs Node trusts by default.
  sslrootcert: sslrootcert.nullable().optional(),
});
export type UpdateConnectionBody = z.infer<typeof updateConnectionBody>;
