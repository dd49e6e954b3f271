import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { DashboardEvent, DashboardResult } from '../../lib/dashboard/access.js';

/**
 * Serves a dashboard handler over HTTP the way API Gateway's HTTP API does: each request becomes a
 * payload v2 event (cookies gathered in `cookies`), and `cookies` in the result become Set-Cookie
 * headers. Lets a real browser drive the handler.
 */
export async function serveHandlerOverHttp(
  handler: (event: DashboardEvent) => Promise<DashboardResult>,
  port: number,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer(async (request, response) => {
    const body = await readBody(request);
    const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers))
      if (name !== 'cookie' && value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
    const query = url.searchParams.size ? Object.fromEntries(url.searchParams) : undefined;
    const event: DashboardEvent = {
      version: '2.0',
      routeKey: `${request.method} ${url.pathname}`,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      cookies: request.headers.cookie ? request.headers.cookie.split(';').map((c) => c.trim()) : undefined,
      queryStringParameters: query,
      body: body.length ? body.toString('utf8') : undefined,
      isBase64Encoded: false,
      requestContext: { requestId: 'browser-test', http: { method: request.method, path: url.pathname } },
    };
    const result = await handler(event);
    response.statusCode = result.statusCode;
    for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, value);
    if (result.cookies?.length) response.setHeader('set-cookie', result.cookies);
    response.end(result.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as { port: number }).port;
  return {
    url: `http://localhost:${bound}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
