ALTER TABLE "connections" ALTER COLUMN "sslmode" SET DEFAULT 'verify-full';--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "ssl_root_cert" text;