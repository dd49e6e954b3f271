import { z } from 'zod';
import { resolveSecretReferences } from './secrets/secret-references.js';

// Local defaults let `npm start` work on a developer machine with nothing configured;
// a deployed stage sets every one of these explicitly (see docs/deploy.md).
// Published with the source, so it is refused inside AWS Lambda (and by deploy/required-settings.cjs).
const LOCAL_DEV_ENCRYPTION_KEY = 'cGctcmV2aWV3ZXItbG9jYWwtZGV2LWtleS0zMi1ieXQ=';

/** The outcome write's share of the grace: retries of a brief outage, then the stash in Redis. */
export const MIN_RUNNING_GRACE_SECONDS = 30;
// A batch of CONSUMER_CONCURRENCY results must stay far below jsonb's 256 MB.
const RESULT_BYTES_CEILING = 8 * 1024 * 1024;
const is32ByteKey = (key: string) => Buffer.from(key, 'base64').length === 32;

const envSchema = z.object({
  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/reviewer'),
  UPSTASH_REDIS_REST_URL: z.string().url().default('http://127.0.0.1:8079'),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1).default('local-dev-token'),
  // Several keys, comma-separated, newest first: the first encrypts, every one decrypts (lib/crypto/secret-box.ts).
  ENCRYPTION_KEYS: z
    .string()
    .transform((list) =>
      list
        .split(',')
        .map((key) => key.trim())
        .filter(Boolean),
    )
    .pipe(
      z
        .array(
          z.string().refine(is32ByteKey, 'ENCRYPTION_KEYS must hold 32-byte keys, base64-encoded, comma-separated'),
        )
        .min(1),
    )
    .optional(),
  // One key: the setting before ENCRYPTION_KEYS, still accepted.
  ENCRYPTION_KEY: z.string().trim().refine(is32ByteKey, 'ENCRYPTION_KEY must be 32 bytes, base64-encoded').optional(),
  QUEUE_NAME: z.string().min(1).default('pg-reviewer:executions'),
  CONSUMER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(16),
  // However many reviews a consumer runs, one reviewed database sees at most this many of its sessions.
  TARGET_SESSIONS_PER_DATABASE: z.coerce.number().int().min(1).max(64).default(4),
  // How long a queued execution may sit without a consumer before the tick pushes its id again
  // (Redis may have lost the list, e.g. after a restart without persistence).
  REQUEUE_AFTER_SECONDS: z.coerce.number().int().min(10).default(300),
  // Extra time given to a running execution past its query_timeout before the tick declares its consumer dead.
  // It must cover recording the outcome (retried through a brief database outage, else stashed in
  // Redis): below the bound a review that uses its whole query_timeout would be run a second time.
  RUNNING_GRACE_SECONDS: z.coerce
    .number()
    .int()
    .min(
      MIN_RUNNING_GRACE_SECONDS,
      `RUNNING_GRACE_SECONDS must be at least ${MIN_RUNNING_GRACE_SECONDS}: the grace has to leave room to ` +
        `record a finished review's outcome`,
    )
    .default(60),
  MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(2),
  EXECUTION_RETENTION_DAYS: z.coerce.number().int().min(1).default(90),
  // Bounds on a stored result, in bytes of JSON: each string value, and the whole result (custom_sql
  // rows are dropped from the end until it fits). PostgreSQL refuses a jsonb batch beyond 256 MB.
  RESULT_VALUE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(RESULT_BYTES_CEILING)
    .default(64 * 1024),
  RESULT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .max(RESULT_BYTES_CEILING)
    .default(4 * 1024 * 1024),
  // Where the consumer is invoked asynchronously by `run` and the tick; serverless-offline's Lambda port locally.
  LAMBDA_ENDPOINT: z.string().url().optional(),
  CONSUMER_FUNCTION_NAME: z.string().default('pg-reviewer-dev-consumer'),
  // The consumer function's timeout (serverless.yml passes its own); query_timeout is bounded by it
  // less the consumer's reserve (lib/consumer/consumer-budget.ts). Lambda allows at most 900 s.
  CONSUMER_TIMEOUT_SECONDS: z.coerce.number().int().min(420).max(900).default(900),
  AWS_REGION: z.string().default('us-east-1'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  // Bearer tokens the API accepts; several (comma-separated) let a new token go live before the old one is removed.
  // Their strength is checked per request in lib/http/auth.ts, so a bad list never stops the tick or the consumer.
  API_TOKENS: z
    .string()
    .optional()
    .transform((list) =>
      (list ?? '')
        .split(',')
        .map((token) => token.trim())
        .filter(Boolean),
    ),
  // tokens: callers send one of API_TOKENS. gateway: an API Gateway JWT/IAM/Lambda authorizer checks callers
  // before the function runs. disabled: nobody is checked; refused inside AWS Lambda (see lib/http/auth.ts).
  API_AUTH: z.enum(['tokens', 'gateway', 'disabled']).default('tokens'),
  // Notifications (docs/api.md, "Notifications"). Networks a channel URL may resolve to although they are
  // loopback, private or link-local: comma-separated addresses or CIDRs, or `none`. Unset: loopback
  // on a developer machine (a local receiver), none on a deployed stage (lib/notifications/destination-guard.ts).
  NOTIFICATION_ALLOWED_NETWORKS: z.string().optional(),
  // One delivery attempt, connect to last byte: a slow receiver must not hold up the consumer or the tick.
  NOTIFICATION_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(30).default(10),
  // Attempts before a delivery is given up as failed; with the backoff in lib/notifications/backoff.ts,
  // 12 span about 5 hours.
  NOTIFICATION_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(12),
  // Where users reach the API, for links to a run's report in notifications; no link when unset.
  PUBLIC_BASE_URL: z.string().url().optional(),
  // serverless-offline sets IS_OFFLINE=true for its handlers; only the real Lambda runtime sets AWS_LAMBDA_RUNTIME_API.
  IS_OFFLINE: z
    .string()
    .optional()
    .transform((value) => value === 'true'),
  AWS_LAMBDA_RUNTIME_API: z.string().optional(),
});

type ParsedSettings = z.infer<typeof envSchema>;
export type Env = Omit<ParsedSettings, 'ENCRYPTION_KEYS' | 'ENCRYPTION_KEY'> & { ENCRYPTION_KEYS: string[] };

let parsed: Env | undefined;

// Settings given as ssm:/... or secretsmanager:... are read once per container by loadSecretSettings(), which every
// entry point awaits before anything else, so their values never sit in the function's configuration.
let secretValues: Record<string, string> | undefined;
let loading: Promise<void> | undefined;

const ownSettings = () => Object.fromEntries(Object.keys(envSchema.shape).map((name) => [name, process.env[name]]));
const isSecretReference = (value: string | undefined) => /^(ssm:\/|secretsmanager:)/.test(value?.trim() ?? '');

export function loadSecretSettings(): Promise<void> {
  loading ??= resolveSecretReferences(ownSettings()).then(
    (values) => {
      secretValues = values;
    },
    (error: unknown) => {
      // The next invocation tries again (SSM may have throttled, say).
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

// serverless.yml passes every variable, unset ones as empty strings: treat those as not set.
function withoutEmpty(source: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(source).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
}

// The developer defaults point at 127.0.0.1 and a published key: on AWS they would be wrong or unsafe.
const REQUIRED_WHEN_DEPLOYED = [
  'DATABASE_URL',
  'UPSTASH_REDIS_REST_URL',
  'UPSTASH_REDIS_REST_TOKEN',
  'ENCRYPTION_KEYS',
] as const;

export function env(): Env {
  if (!parsed) {
    const unread = Object.entries(ownSettings()).filter(
      ([name, value]) => isSecretReference(value) && secretValues?.[name] === undefined,
    );
    if (unread.length > 0)
      throw new Error(
        `Invalid configuration: ${unread.map(([name]) => name).join(', ')} not read yet: ` +
          'loadSecretSettings() must run first',
      );
    const raw = { ...withoutEmpty(process.env), ...secretValues };
    const result = envSchema.safeParse(raw);
    if (!result.success) {
      const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new Error(`Invalid configuration: ${problems}`);
    }
    // Only the real Lambda runtime sets AWS_LAMBDA_RUNTIME_API (serverless-offline does not).
    const deployed = result.data.AWS_LAMBDA_RUNTIME_API !== undefined;
    const missing = REQUIRED_WHEN_DEPLOYED.filter(
      (name) => raw[name] === undefined && !(name === 'ENCRYPTION_KEYS' && raw.ENCRYPTION_KEY !== undefined),
    );
    if (deployed && missing.length > 0) {
      throw new Error(`Invalid configuration: ${missing.join(', ')} must be set on a deployed stage (docs/deploy.md)`);
    }
    const { ENCRYPTION_KEY: single, ENCRYPTION_KEYS: several, ...settings } = result.data;
    const keys = several ?? (single ? [single] : undefined);
    if (deployed && keys?.includes(LOCAL_DEV_ENCRYPTION_KEY)) {
      throw new Error(
        'Invalid configuration: ENCRYPTION_KEYS holds the published development key; generate one with ' +
          '`openssl rand -base64 32`',
      );
    }
    parsed = { ...settings, ENCRYPTION_KEYS: keys ?? [LOCAL_DEV_ENCRYPTION_KEY] };
  }
  return parsed;
}
