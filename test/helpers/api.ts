import type { APIGatewayProxyEventV2 } from '../../lib/http/types.js';
import type { Handler } from '../../lib/http/handler.js';

interface EventOptions {
  body?: unknown;
  rawBody?: string;
  query?: Record<string, string>;
  path?: Record<string, string>;
  headers?: Record<string, string>;
}

/** A literal API Gateway HTTP API (payload v2) event, as Lambda receives it. */
export function apiEvent(method: string, rawPath: string, options: EventOptions = {}): APIGatewayProxyEventV2 {
  const rawQueryString = new URLSearchParams(options.query ?? {}).toString();
  const hasBody = options.body !== undefined || options.rawBody !== undefined;
  return {
    version: '2.0',
    routeKey: `${method} ${rawPath}`,
    rawPath,
    rawQueryString,
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...options.headers },
    queryStringParameters: options.query,
    pathParameters: options.path,
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    isBase64Encoded: false,
    requestContext: { requestId: 'test-request', http: { method, path: rawPath } },
  };
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Record<string, string>;
  body: T;
}

export async function call<T = any>(handler: Handler, event: APIGatewayProxyEventV2): Promise<ApiResponse<T>> {
  const result = await handler(event, {});
  return {
    status: result.statusCode,
    headers: result.headers ?? {},
    body: result.body ? JSON.parse(result.body) : undefined,
  };
}
