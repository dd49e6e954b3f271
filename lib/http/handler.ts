import middy from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { driverError } from '../../db/errors.js';
import { loadSecretSettings } from '../env.js';
import { log, logContext, logger } from '../log/logger.js';
import { authorizeRequest } from './auth.js';
import { AppError, appErrorFromDatabase, fieldErrors, invalidFields, statusByCode } from './errors.js';
import { pathOfNul } from './nul-character.js';
import { json } from './responses.js';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from './types.js';

interface Schemas<B, P, Q> {
  body?: z.ZodType<B>;
  path?: z.ZodType<P>;
  query?: z.ZodType<Q>;
}

export interface ApiRequest<B, P, Q> {
  body: B;
  path: P;
  query: Q;
  event: APIGatewayProxyEventV2;
}

export type Handler = (event: APIGatewayProxyEventV2, context?: unknown) => Promise<APIGatewayProxyResultV2>;

interface HandlerOptions {
  /** Serve without authentication: only for the API description and its page, which hold no data. */
  public?: boolean;
}

/**
 * The one middy stack: authentication, JSON body parser (only for endpoints that take a body), zod
 * validation, the endpoint, and error mapping last so every failure leaves as the same JSON shape.
 * Authentication comes first so an unauthenticated caller learns nothing from parsing or validation.
 */
export function createHandler<B = undefined, P = undefined, Q = undefined>(
  schemas: Schemas<B, P, Q>,
  endpoint: (request: ApiRequest<B, P, Q>) => Promise<APIGatewayProxyResultV2>,
  options: HandlerOptions = {},
): Handler {
  const stack = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>();
  stack
    .use(logContext())
    .use({ before: async (request) => logger.appendKeys({ requestId: requestIdOf(request.event) }) });
  // Settings kept in SSM or Secrets Manager (API_TOKENS among them) are read before anything uses them.
  stack.use({ before: async () => loadSecretSettings() });
  if (!options.public) stack.use({ before: async (request) => authorizeRequest(request.event) });
  if (schemas.body)
    stack.use({ before: async (request) => requireJsonContentType(request.event) }).use(httpJsonBodyParser());
  const handler = stack
    .use({
      before: async (request) => {
        // Parsed values are kept on the event; the endpoint reads only these.
        const event = request.event as APIGatewayProxyEventV2 & { parsed?: unknown };
        event.parsed = {
          body: parseWith(schemas.body, event.body, 'body'),
          path: parseWith(schemas.path, event.pathParameters ?? {}, 'path'),
          query: parseWith(schemas.query, event.queryStringParameters ?? {}, 'query'),
        };
      },
    })
    .use({ onError: errorResponse })
    .handler(async (event) => {
      const { parsed } = event as APIGatewayProxyEventV2 & { parsed: { body: B; path: P; query: Q } };
      return endpoint({ ...parsed, event });
    });
  return handler as unknown as Handler;
}

function parseWith<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const label = where === 'body' ? 'request body' : where === 'path' ? 'path' : 'query string';
  const nul = pathOfNul(value);
  if (nul !== null)
    throw invalidFields(label, [{ path: nul, message: 'must not contain the NUL character (\\u0000)' }]);
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw invalidFields(label, fieldErrors(result.error));
}

async function errorResponse(request: {
  error: unknown;
  event: APIGatewayProxyEventV2;
  response?: APIGatewayProxyResultV2;
}) {
  request.response = responseForError(request.error, request.event);
}

export function responseForError(error: unknown, event?: APIGatewayProxyEventV2): APIGatewayProxyResultV2 {
  const appError = toAppError(error);
  const status = statusByCode[appError.code];
  if (appError.code === 'internal') {
    // The detail stays in the log: a 500 body never carries a stack trace or SQL.
    const requestId = event ? requestIdOf(event) : randomUUID();
    // Drizzle's wrapper says "Failed query: ... params: ..." and the params may hold a password's
    // ciphertext: the driver's own error under it says what failed without them.
    const cause = driverError(error);
    log.error('request failed', {
      requestId,
      route: event?.routeKey ?? event?.rawPath,
      error:
        cause instanceof Error
          ? { name: cause.name, message: cause.message, code: (cause as { code?: unknown }).code, stack: cause.stack }
          : String(cause),
    });
    return json(status, { detail: `Internal server error (request id ${requestId})` });
  }
  if (status >= 500)
    log.warn('request could not be served', { route: event?.routeKey ?? event?.rawPath, detail: appError.message });
  const response = json(
    status,
    appError.errors ? { detail: appError.message, errors: appError.errors } : { detail: appError.message },
  );
  // RFC 6750: a 401 names the scheme the client is expected to use.
  if (appError.code === 'unauthorized')
    response.headers = { ...response.headers, 'www-authenticate': 'Bearer realm="pg-reviewer"' };
  return response;
}

/** API Gateway's id for the request, the one a 500 body quotes; made up once when a caller sent none. */
function requestIdOf(event: APIGatewayProxyEventV2): string {
  const context = (event.requestContext ??= {});
  context.requestId ??= randomUUID();
  return context.requestId;
}

function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  // The content type was checked before the parser ran, so anything the parser refuses is the JSON itself.
  if ((error as { cause?: { package?: unknown } })?.cause?.package === '@middy/http-json-body-parser') {
    return new AppError('bad_json', 'Request body is missing or is not valid JSON');
  }
  return appErrorFromDatabase(error) ?? new AppError('internal', 'Internal server error');
}

const jsonMediaType = /^application\/(.+\+)?json\s*($|;)/i;

function requireJsonContentType(event: APIGatewayProxyEventV2): void {
  const contentType = event.headers?.['content-type'] ?? event.headers?.['Content-Type'];
  if (!contentType || !jsonMediaType.test(contentType)) {
    throw new AppError('unsupported_media_type', 'Request body must be JSON: send Content-Type: application/json');
  }
}
