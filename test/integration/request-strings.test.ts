import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as createConnection } from '../../functions/connections/create.js';
import { handler as deleteConnection } from '../../functions/connections/delete.js';
import { handler as getConnection } from '../../functions/connections/get.js';
import { handler as updateConnection } from '../../functions/connections/update.js';
import { handler as getExecution } from '../../functions/executions/get.js';
import { handler as listExecutions } from '../../functions/executions/list.js';
import { handler as executionReport } from '../../functions/executions/report.js';
import { handler as createTask } from '../../functions/tasks/create.js';
import { handler as deleteTask } from '../../functions/tasks/delete.js';
import { handler as getTask } from '../../functions/tasks/get.js';
import { handler as listTasks } from '../../functions/tasks/list.js';
import { handler as updateTask } from '../../functions/tasks/update.js';
import { sql } from 'drizzle-orm';
import { getDb } from '../../db/client.js';
import { responseForError, type Handler } from '../../lib/http/handler.js';
import { openApiDocument } from '../../lib/openapi/openapi-document.js';
import { apiEvent, call } from '../helpers/api.js';

type Json = Record<string, any>;
const document = openApiDocument() as Json;

// Strings a careless or hostile client may send in any string field.
const awkwardStrings = [
  'a\u0000b',
  '\u0000',
  '',
  '   ',
  'x'.repeat(100_001),
  '\ud800 lone surrogate',
  '🚀 日本語 ‮rtl',
  "'; drop table scheduled_tasks; --",
  '\\x00 %00 \\u0000',
  '{"nested": [1, 2]}',
];

/** Every string field of a JSON schema as a dotted path, arrays as `.0`; $refs into components resolved. */
function stringFields(schema: Json | undefined, prefix = ''): string[] {
  if (!schema) return [];
  if (schema.$ref) return stringFields(document.components.schemas[schema.$ref.split('/').pop()], prefix);
  const variants: Json[] = schema.anyOf ?? schema.oneOf ?? [schema];
  const paths: string[] = [];
  for (const variant of variants) {
    if (variant.type === 'string' && prefix) paths.push(prefix);
    if (variant.type === 'array') paths.push(...stringFields(variant.items, `${prefix}.0`));
    for (const [key, child] of Object.entries<Json>(variant.properties ?? {}))
      paths.push(...stringFields(child, prefix ? `${prefix}.${key}` : key));
  }
  return [...new Set(paths)];
}

function withValue(base: Json, path: string, value: string): Json {
  const copy = structuredClone(base);
  const keys = path.split('.');
  let at: any = copy;
  for (const [i, key] of keys.slice(0, -1).entries()) {
    at[key] ??= /^\d+$/.test(keys[i + 1]) ? [] : {};
    at = at[key];
  }
  at[keys[keys.length - 1]] = value;
  return copy;
}

const ids = { connection: 0, task: 0 };
const target = new URL(process.env.DATABASE_URL!);
const connectionBody = {
  name: 'strings',
  host: target.hostname,
  port: Number(target.port || 5432),
  database: target.pathname.slice(1),
  username: 'postgres',
  password: 'secret-pw',
  sslmode: 'disable',
};
const taskBody = () => ({
  name: 'strings',
  task_type: 'custom_sql',
  connection_id: ids.connection,
  cron_schedule: '0 2 * * *',
  task_params: { custom_sql: 'select 1', target_tables: ['t'] },
});

interface BodyOperation {
  route: string;
  method: 'post' | 'put';
  handler: Handler;
  base: () => Json;
  path?: () => Record<string, string>;
}

const bodyOperations: BodyOperation[] = [
  {
    route: '/api/v1/connections',
    method: 'post',
    handler: createConnection,
    base: () => ({ ...connectionBody, name: `strings-${Math.random()}` }),
  },
  {
    route: '/api/v1/connections/{connection_id}',
    method: 'put',
    handler: updateConnection,
    base: () => ({ port: connectionBody.port }),
    path: () => ({ connection_id: String(ids.connection) }),
  },
  { route: '/api/v1/scheduler/tasks', method: 'post', handler: createTask, base: taskBody },
  {
    route: '/api/v1/scheduler/tasks/{task_id}',
    method: 'put',
    handler: updateTask,
    base: () => ({ description: 'x' }),
    path: () => ({ task_id: String(ids.task) }),
  },
];

const queryOperations: Array<{ route: string; handler: Handler; path?: () => Record<string, string> }> = [
  { route: '/api/v1/scheduler/tasks', handler: listTasks },
  { route: '/api/v1/scheduler/executions', handler: listExecutions },
  {
    route: '/api/v1/scheduler/executions/{execution_id}/report',
    handler: executionReport,
    path: () => ({ execution_id: '1' }),
  },
];

const pathOperations: Array<{ route: string; method: string; handler: Handler; param: string }> = [
  { route: '/api/v1/scheduler/tasks/{task_id}', method: 'GET', handler: getTask, param: 'task_id' },
  { route: '/api/v1/scheduler/tasks/{task_id}', method: 'DELETE', handler: deleteTask, param: 'task_id' },
  { route: '/api/v1/scheduler/executions/{execution_id}', method: 'GET', handler: getExecution, param: 'execution_id' },
  { route: '/api/v1/connections/{connection_id}', method: 'GET', handler: getConnection, param: 'connection_id' },
  { route: '/api/v1/connections/{connection_id}', method: 'DELETE', handler: deleteConnection, param: 'connection_id' },
];

let errorLines: string[] = [];

beforeAll(async () => {
  ids.connection = (
    await call(createConnection, apiEvent('POST', '/api/v1/connections', { body: connectionBody }))
  ).body.id;
  ids.task = (await call(createTask, apiEvent('POST', '/api/v1/scheduler/tasks', { body: taskBody() }))).body.id;
  errorLines = [];
  // The logger writes JSON lines to the process's streams (through a console of its own).
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      errorLines.push(String(chunk));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    });
  }
});

afterAll(() => {
  vi.restoreAllMocks();
});

describe('string fields of every documented request', () => {
  it.each(bodyOperations.map((o) => [`${o.method.toUpperCase()} ${o.route}`, o] as const))(
    '%s: NUL is a 400 naming the field, and no string is a 500',
    async (_, operation) => {
      const schema = document.paths[operation.route][operation.method].requestBody.content['application/json'].schema;
      const fields = stringFields(schema);
      expect(fields.length).toBeGreaterThan(2);
      for (const field of fields) {
        for (const value of awkwardStrings) {
          const event = apiEvent(operation.method.toUpperCase(), operation.route, {
            body: withValue(operation.base(), field, value),
            path: operation.path?.(),
          });
          const response = await call(operation.handler, event);
          expect(
            response.status,
            `${field} = ${JSON.stringify(value.slice(0, 40))}: ${JSON.stringify(response.body).slice(0, 200)}`,
          ).toBeLessThan(500);
          if (value.includes('\u0000')) {
            expect(response.status).toBe(400);
            expect(response.body.errors).toEqual([
              { path: field, message: 'must not contain the NUL character (\\u0000)' },
            ]);
            expect(response.body.detail).toBe(
              `Invalid request body: ${field}: must not contain the NUL character (\\u0000)`,
            );
          }
        }
      }
    },
  );

  it.each(queryOperations.map((o) => [o.route, o] as const))(
    'GET %s: NUL in a query parameter is a 400 naming it, and no string is a 500',
    async (_, operation) => {
      const parameters = (document.paths[operation.route].get.parameters as Json[]).filter((p) => p.in === 'query');
      expect(parameters.length).toBeGreaterThan(0);
      for (const parameter of parameters) {
        for (const value of awkwardStrings) {
          const response = await call(
            operation.handler,
            apiEvent('GET', operation.route, { query: { [parameter.name]: value }, path: operation.path?.() }),
          );
          expect(response.status, `${parameter.name} = ${JSON.stringify(value.slice(0, 40))}`).toBeLessThan(500);
          if (value.includes('\u0000'))
            expect(response.body.errors).toEqual([
              { path: parameter.name, message: 'must not contain the NUL character (\\u0000)' },
            ]);
        }
      }
    },
  );

  it.each(pathOperations.map((o) => [`${o.method} ${o.route}`, o] as const))(
    '%s: NUL in the path is a 400 naming the parameter',
    async (_, operation) => {
      for (const value of awkwardStrings) {
        const response = await call(
          operation.handler,
          apiEvent(operation.method, operation.route, { path: { [operation.param]: value } }),
        );
        expect(response.status).toBe(400);
        if (value.includes('\u0000'))
          expect(response.body.errors).toEqual([
            { path: operation.param, message: 'must not contain the NUL character (\\u0000)' },
          ]);
      }
    },
  );

  it('answers a 3,000-term custom_sql expression with a 400 saying why, quickly', async () => {
    const started = performance.now();
    const body = {
      ...taskBody(),
      task_params: { custom_sql: `select ${Array.from({ length: 3000 }, (_, i) => i).join(' + ')}` },
    };

    const response = await call(createTask, apiEvent('POST', '/api/v1/scheduler/tasks', { body }));

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      {
        path: 'task_params.custom_sql',
        message: 'The statement nests expressions or subqueries more than 400 levels deep; split it or simplify it',
      },
    ]);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('logs a failed query by its server error, without the query parameters', async () => {
    const failed = await getDb()
      .execute(sql`select ${'ciphertext-marker'}::text || (1 / 0)::text`)
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(String((failed as Error).message)).toMatch(/Failed query.*params: ciphertext-marker/s);

    const response = responseForError(failed, apiEvent('GET', '/api/v1/connections'));

    expect(response.statusCode).toBe(500);
    const logged = errorLines.join('\n');
    expect(logged).toMatch(/division by zero/);
    expect(logged).not.toMatch(/Failed query|params:|ciphertext-marker/);
  });
});
