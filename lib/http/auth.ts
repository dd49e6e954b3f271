import { createHash, timingSafeEqual } from 'node:crypto';
import { env } from '../env.js';
import { AppError } from './errors.js';
import type { APIGatewayProxyEventV2 } from './types.js';

const HOW_TO_CONFIGURE =
  'set API_TOKENS to one or more comma-separated bearer tokens (openssl rand -hex 32) and deploy again, or put ' +
  'an API Gateway authorizer in front and set API_AUTH=gateway';

// RFC 6750's token characters, so a token can be sent as it is; 32 or more so it cannot be guessed.
const TOKEN_FORMAT = /^[A-Za-z0-9\-._~+/]{32,}=*$/;

/**
 * Lets a request through or throws: 401 for a missing or wrong bearer token, 503 while this stage
 * has no way to authenticate callers. Checked on every request rather than at cold start, so the
 * caller gets a JSON answer saying what to fix, and so the tick and the consumer, which share the
 * configuration but take no requests, keep working.
 */
export function authorizeRequest(event: APIGatewayProxyEventV2): void {
  const { API_AUTH, API_TOKENS, IS_OFFLINE, AWS_LAMBDA_RUNTIME_API } = env();
  // IS_OFFLINE or API_AUTH=disabled copied into a deployed function must not open it.
  const onDeveloperMachine = AWS_LAMBDA_RUNTIME_API === undefined;

  if (API_AUTH === 'disabled') {
    if (onDeveloperMachine) return;
    throw notConfigured(`API_AUTH=disabled is only honoured outside AWS Lambda; ${HOW_TO_CONFIGURE}`);
  }
  if (API_AUTH === 'gateway') {
    if (event.requestContext?.authorizer) return;
    throw notConfigured(
      'API_AUTH=gateway, but this route has no API Gateway authorizer: attach the JWT or IAM authorizer to ' +
        'every route except the documentation',
    );
  }
  if (API_TOKENS.length === 0) {
    // serverless-offline on a developer machine runs open so the spec's curl examples work as written.
    if (IS_OFFLINE && onDeveloperMachine) return;
    throw notConfigured(`API authentication is not configured: ${HOW_TO_CONFIGURE}`);
  }
  if (!API_TOKENS.every((token) => TOKEN_FORMAT.test(token))) {
    throw notConfigured(
      'API_TOKENS holds a token that is too short or cannot be sent in a header: each must be at least 32 ' +
        'characters of letters, digits and -._~+/ (openssl rand -hex 32)',
    );
  }
  checkBearerToken(event, API_TOKENS);
}

function checkBearerToken(event: APIGatewayProxyEventV2, tokens: string[]): void {
  const header = headerValue(event, 'authorization');
  if (!header) throw new AppError('unauthorized', 'Missing bearer token: send Authorization: Bearer <token>');
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (!match) throw new AppError('unauthorized', 'The Authorization header must be "Bearer <token>"');
  if (!matchesAny(match[1], tokens)) throw new AppError('unauthorized', 'Invalid bearer token');
}

/**
 * Hashing first gives equal-length inputs, so timingSafeEqual neither throws nor reveals how much
 * of a token matched; every configured token is compared, so the time does not say which one did.
 */
function matchesAny(presented: string, tokens: string[]): boolean {
  const digest = sha256(presented);
  let matched = false;
  for (const token of tokens) matched = timingSafeEqual(digest, sha256(token)) || matched;
  return matched;
}

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

const notConfigured = (message: string) => new AppError('unavailable', message);

// API Gateway lowercases header names; a hand-made event (or another proxy) may not.
function headerValue(event: APIGatewayProxyEventV2, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name && value) return value;
  }
  return undefined;
}
