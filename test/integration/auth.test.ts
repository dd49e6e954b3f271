import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import type { Handler } from '../../lib/http/handler.js';
import type { APIGatewayProxyEventV2 } from '../../lib/http/types.js';
import { apiEvent, call } from '../helpers/api.js';
import { startLambdaEndpoint } from '../helpers/lambda-endpoint.js';

// The shared set-up turns authentication off for the other files; this one configures two tokens
// before any handler reads the environment.
const TOKEN = randomBytes(32).toString('hex');
const SECOND_TOKEN = randomBytes(32).toString('base64');
process.env.API_AUTH = 'tokens';
process.env.API_TOKENS = ` ${TOKEN} ,${SECOND_TOKEN}`;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
// The configured token with its last character changed: always a different token of the same length.
const WRONG_TOKEN = `${TOKEN.slice(0, -1)}${TOKEN.endsWith('0') ? '1' : '0'}`;
const EVERY_METHOD = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];
const DOCUMENTATION = ['GET /api/v1/openapi.json', 'GET /api/v1/docs', 'GET /api/v1/docs/assets/{file}'];

interface Route {
  method: string;
  path: string;
  module: string;
}

/** Every HTTP route as serverless.yml declares it, so a route added later is covered here too. */
function serverlessRoutes(): Route[] {
  const config = parse(readFileSync('serverless.yml', 'utf8'), { logLevel: 'error' }) as {
    functions: Record<string, { handler: string; events?: any[] }>;
  };
  return Object.values(config.functions).flatMap((fn) =>
    (fn.events ?? [])
      .filter((event) => event.httpApi)
      .flatMap(({ httpApi }) =>
        (httpApi.method === '*' ? EVERY_METHOD : [String(httpApi.method).toUpperCase()]).map((method) => ({
          method,
          path: httpApi.path as string,
          module: fn.handler.replace(/\.handler$/, ''),
        })),
      ),
  );
}

// Handlers are found through serverless.yml, so their paths are only known at run time.
const importHandler = async (module: string): Promise<Handler> =>
  (await import(/* @vite-ignore */ resolve(`${module}.ts`))).handler;

// The dashboard signs browsers in with a cookie and answers with pages; test/integration/dashboard-*.test.ts covers it.
const routes = serverlessRoutes().filter((route) => !route.path.startsWith('/dashboard'));
const protectedRoutes = routes.filter((r) => !DOCUMENTATION.includes(`${r.method} ${r.path}`));
const handlers = new Map<string, Handler>();
const handlerFor = (route: Route) => handlers.get(route.module)!;

let lambda: Awaited<ReturnType<typeof startLambdaEndpoint>>;
const seeded = {
  connection_id: '',
  task_id: '',
  execution_id: '',
  connectionName: `secret-name-${randomBytes(4).toString('hex')}`,
};

beforeAll(async () => {
  lambda = await startLambdaEndpoint();
  for (const route of routes) handlers.set(route.module, await importHandler(route.module));

  const url = new URL(process.env.DATABASE_URL!);
  const connection = await send('POST /api/v1/connections', {
    headers: bearer(TOKEN),
    body: {
      name: seeded.connectionName,
      host: url.hostname,
      port: Number(url.port || 5432),
      database: url.pathname.slice(1),
      username: 'postgres',
      sslmode: 'disable',
    },
  });
  expect(connection.status).toBe(201);
  seeded.connection_id = String(connection.body.id);
  const task = await send('POST /api/v1/scheduler/tasks', {
    headers: bearer(TOKEN),
    body: {
      name: 'seeded',
      task_type: 'custom_sql',
      connection_id: connection.body.id,
      cron_schedule: '@daily',
      task_params: { custom_sql: 'select 1' },
    },
  });
  expect(task.status).toBe(201);
  seeded.task_id = String(task.body.id);
  const run = await send('POST /api/v1/scheduler/tasks/{task_id}/run', {
    headers: bearer(TOKEN),
    path: { task_id: seeded.task_id },
  });
  expect(run.status).toBe(200);
  seeded.execution_id = String(run.body.execution_id);
  await lambda.idle();
});

afterAll(async () => {
  await lambda.idle();
  await lambda.close();
});

/** A request that would succeed with a token: real ids in the path, a valid body where one is taken. */
function requestFor(route: Route, headers: Record<string, string>): APIGatewayProxyEventV2 {
  const params = [...route.path.matchAll(/\{([^}+]+)\+?\}/g)].map((m) => m[1]);
  const path = Object.fromEntries(
    params.map((name) => [
      name,
      name === 'proxy' ? 'tasks' : name === 'file' ? 'init.js' : seeded[name as keyof typeof seeded],
    ]),
  );
  const rawPath = route.path.replace(/\{([^}+]+)\+?\}/g, (_, name: string) => path[name]);
  const bodies: Record<string, unknown> = {
    'POST /api/v1/scheduler/tasks': {
      name: 'sneaky',
      task_type: 'custom_sql',
      connection_id: Number(seeded.connection_id),
      cron_schedule: '@daily',
      task_params: { custom_sql: 'select 1' },
    },
    'PUT /api/v1/scheduler/tasks/{task_id}': { name: 'renamed' },
    'POST /api/v1/connections': { name: 'sneaky', host: '127.0.0.1', database: 'postgres', username: 'postgres' },
    'PUT /api/v1/connections/{connection_id}': { name: 'renamed' },
  };
  const body = bodies[`${route.method} ${route.path}`];
  return apiEvent(route.method, rawPath, { path, headers, ...(body !== undefined && { body }) });
}

async function send(
  route: string,
  options: { headers?: Record<string, string>; body?: unknown; path?: Record<string, string> } = {},
) {
  const [method, path] = route.split(' ');
  const found = routes.find((r) => r.method === method && r.path === path)!;
  const rawPath = path.replace(/\{(\w+)\}/g, (_, name: string) => options.path![name]);
  return call(
    handlerFor(found),
    apiEvent(method, rawPath, { headers: options.headers, body: options.body, path: options.path }),
  );
}

function expectRefused(response: { status: number; headers: Record<string, string>; body: any }) {
  expect(response.status).toBe(401);
  expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
  expect(response.headers.location).toBeUndefined();
  // Only the reason: no record, no name, no redirect target.
  expect(Object.keys(response.body)).toEqual(['detail']);
  expect(JSON.stringify(response.body)).not.toMatch(/seeded|secret-name|\/api\/v1/);
}

describe('with API_TOKENS configured', () => {
  it('covers every route in serverless.yml', () => {
    expect(protectedRoutes.length).toBeGreaterThan(20);
    expect(routes.length - protectedRoutes.length).toBe(DOCUMENTATION.length);
  });

  it.each(protectedRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s refuses a request without a token',
    async (_, route) => {
      expectRefused(await call(handlerFor(route), requestFor(route, {})));
    },
  );

  it.each(protectedRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s refuses a wrong token',
    async (_, route) => {
      expectRefused(await call(handlerFor(route), requestFor(route, bearer(WRONG_TOKEN))));
    },
  );

  it('changed nothing while refusing: no task or connection created, renamed or deleted', async () => {
    const tasks = await send('GET /api/v1/scheduler/tasks', { headers: bearer(TOKEN) });
    expect(tasks.body.map((t: { name: string }) => t.name)).toEqual(['seeded']);
    const connections = await send('GET /api/v1/connections', { headers: bearer(TOKEN) });
    expect(connections.body.map((c: { name: string }) => c.name)).toEqual([seeded.connectionName]);
    const executions = await send('GET /api/v1/scheduler/executions', { headers: bearer(TOKEN) });
    expect(executions.body.map((e: { id: number }) => String(e.id))).toEqual([seeded.execution_id]);
  });

  it('refuses tokens that are close but not equal, and other schemes', async () => {
    const list = routes.find((r) => r.method === 'GET' && r.path === '/api/v1/scheduler/tasks')!;
    for (const authorization of [
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(1)}`,
      `Bearer ${TOKEN.toUpperCase()}`,
      `Bearer ${TOKEN},${SECOND_TOKEN}`,
      `Basic ${TOKEN}`,
      TOKEN,
      'Bearer ',
      `Bearer ${TOKEN} extra`,
    ]) {
      expectRefused(
        await call(handlerFor(list), apiEvent('GET', '/api/v1/scheduler/tasks', { headers: { authorization } })),
      );
    }
  });

  it('says what is wrong without echoing what was sent', async () => {
    const list = routes.find((r) => r.method === 'GET' && r.path === '/api/v1/scheduler/tasks')!;
    const missing = await call(handlerFor(list), apiEvent('GET', '/api/v1/scheduler/tasks'));
    expect(missing.body.detail).toBe('Missing bearer token: send Authorization: Bearer <token>');
    const wrong = await call(
      handlerFor(list),
      apiEvent('GET', '/api/v1/scheduler/tasks', { headers: bearer('not-a-token-we-know-of') }),
    );
    expect(wrong.body.detail).toBe('Invalid bearer token');
    expect(JSON.stringify(wrong)).not.toContain('not-a-token-we-know-of');
  });

  it.each(protectedRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s serves a request with a configured token',
    async (_, route) => {
      // Some answers are pages, not JSON: only the status matters here.
      const response = await handlerFor(route)(requestFor(route, bearer(TOKEN)));
      expect(response.statusCode).not.toBe(401);
      expect(response.statusCode).toBeLessThan(500);
    },
  );

  it('accepts either configured token, any case of the scheme, and the header name in any case', async () => {
    const list = routes.find((r) => r.method === 'GET' && r.path === '/api/v1/scheduler/tasks')!;
    for (const headers of [
      bearer(SECOND_TOKEN),
      { authorization: `bearer ${TOKEN}` },
      { Authorization: `Bearer  ${TOKEN}` },
    ]) {
      const response = await call(handlerFor(list), apiEvent('GET', '/api/v1/scheduler/tasks', { headers }));
      expect(response.status).toBe(200);
      expect(Array.isArray(response.body)).toBe(true);
    }
  });

  it('redirects the legacy path only for a caller with a token, and the redirect carries no token', async () => {
    const legacy = routes.find((r) => r.method === 'POST' && r.path === '/api/scheduler/{proxy+}')!;
    const event = (headers: Record<string, string>) => ({
      ...apiEvent('POST', '/api/scheduler/tasks/1/run', { headers, path: { proxy: 'tasks/1/run' } }),
      rawQueryString: 'x=1',
    });
    expectRefused(await call(handlerFor(legacy), event({})));
    const redirected = await call(handlerFor(legacy), event(bearer(TOKEN)));
    expect(redirected.status).toBe(308);
    expect(redirected.headers.location).toBe('/api/v1/scheduler/tasks/1/run?x=1');
    expect(JSON.stringify(redirected)).not.toContain(TOKEN);
  });

  it('serves the API description and its page without a token; they hold no data', async () => {
    for (const route of routes.filter((r) => DOCUMENTATION.includes(`${r.method} ${r.path}`))) {
      const response = await handlerFor(route)(requestFor(route, {}));
      expect(response.statusCode, `${route.method} ${route.path}`).toBe(200);
      expect(response.body).not.toMatch(/secret-name|seeded/);
      expect(response.body).not.toContain(TOKEN);
    }
  });
});

describe('how a stage without tokens behaves', () => {
  const AUTH_VARIABLES = ['API_TOKENS', 'API_AUTH', 'IS_OFFLINE', 'AWS_LAMBDA_RUNTIME_API', 'ENCRYPTION_KEY'] as const;
  // Inside Lambda every setting must be explicit (lib/env.ts), as on a real deployed stage.
  const deployed = { AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001', ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') };
  const saved = Object.fromEntries(AUTH_VARIABLES.map((name) => [name, process.env[name]]));
  const setVariables = (vars: Record<string, string | undefined>) => {
    for (const name of AUTH_VARIABLES) {
      if (vars[name] === undefined) delete process.env[name];
      else process.env[name] = vars[name];
    }
  };
  afterAll(() => {
    setVariables(saved);
    vi.resetModules();
  });

  /** A fresh copy of the stack that reads this environment (the configuration is parsed once per cold start). */
  async function answerWith(
    vars: Record<string, string | undefined>,
    options: { module?: string; headers?: Record<string, string>; authorizer?: Record<string, unknown> } = {},
  ) {
    setVariables(vars);
    vi.resetModules();
    const handler = await importHandler(options.module ?? 'functions/legacy/redirect');
    const event = apiEvent('GET', '/api/scheduler/tasks', { headers: options.headers });
    if (options.authorizer) event.requestContext = { ...event.requestContext, authorizer: options.authorizer };
    return call(handler, event);
  }

  it('refuses every request with a 503 that says how to configure it', async () => {
    for (const module of ['functions/legacy/redirect', 'functions/tasks/list', 'functions/connections/list']) {
      const response = await answerWith({}, { module });
      expect(response.status).toBe(503);
      expect(response.body.detail).toMatch(/^API authentication is not configured: set API_TOKENS .*API_AUTH=gateway/);
    }
  });

  it('serves under serverless-offline on a developer machine, so the spec examples work as written', async () => {
    expect((await answerWith({ IS_OFFLINE: 'true' })).status).toBe(308);
  });

  it('still asks for a token under serverless-offline once tokens are configured', async () => {
    expectRefused(await answerWith({ IS_OFFLINE: 'true', API_TOKENS: TOKEN }));
    expect((await answerWith({ IS_OFFLINE: 'true', API_TOKENS: TOKEN }, { headers: bearer(TOKEN) })).status).toBe(308);
  });

  it('does not let IS_OFFLINE or API_AUTH=disabled open a function running in AWS Lambda', async () => {
    const inLambda = deployed;
    expect((await answerWith({ ...inLambda, IS_OFFLINE: 'true' })).status).toBe(503);
    const disabled = await answerWith({ ...inLambda, API_AUTH: 'disabled' });
    expect(disabled.status).toBe(503);
    expect(disabled.body.detail).toContain('API_AUTH=disabled is only honoured outside AWS Lambda');
    expect((await answerWith({ API_AUTH: 'disabled' })).status).toBe(308);
  });

  it('refuses a token too short to be safe, without repeating it', async () => {
    const response = await answerWith({ API_TOKENS: 'short-token' }, { headers: bearer('short-token') });
    expect(response.status).toBe(503);
    expect(response.body.detail).toContain('at least 32 characters');
    expect(JSON.stringify(response.body)).not.toContain('short-token');
  });

  it('with API_AUTH=gateway, serves only requests an API Gateway authorizer admitted', async () => {
    const unguarded = await answerWith({ API_AUTH: 'gateway' });
    expect(unguarded.status).toBe(503);
    expect(unguarded.body.detail).toContain('no API Gateway authorizer');
    expect(
      (await answerWith({ API_AUTH: 'gateway' }, { authorizer: { jwt: { claims: { sub: 'ops' }, scopes: null } } }))
        .status,
    ).toBe(308);
    expect(
      (
        await answerWith(
          { API_AUTH: 'gateway', ...deployed },
          { authorizer: { iam: { userArn: 'arn:aws:iam::1:user/ops' } } },
        )
      ).status,
    ).toBe(308);
  });
});
