import { integer, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core';

export const connections = pgTable('connections', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  host: text('host').notNull(),
  port: integer('port').notNull().default(5432),
  database: text('database').notNull(),
  username: text('username').notNull(),
  // AES-256-GCM envelope (see lib/crypto/secret-box.ts); never returned by the API.
  passwordEncrypted: text('password_encrypted'),
  sslmode: text('sslmode').notNull().default('verify-full'),
  // PEM certificates the server's certificate must chain to under verify-full (e.g. the RDS global bundle);
  // null: the CAs Node trusts by default.
  sslRootCert: text('ssl_root_cert'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export type ConnectionRow = typeof connections.$inferSelect;
