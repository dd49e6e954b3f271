import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createConnectionBody } from '../../lib/connections/connection-schemas.js';
import { openApiDocument } from '../../lib/openapi/openapi-document.js';
import { updateTaskBody } from '../../lib/tasks/task-schemas.js';

type Json = Record<string, any>;
const document = openApiDocument() as Json;

// API Gateway's `method: '*'` is every method; the document lists each one.
const EVERY_METHOD = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const DOCUMENTATION_ROUTES = ['GET /api/v1/openapi.json', 'GET /api/v1/docs', 'GET /api/v1/docs/assets/{file}'];

function serverlessRoutes(): string[] {
  const config = parse(readFileSync('serverless.yml', 'utf8'), { logLevel: 'error' }) as {
    functions: Record<string, { events?: Json[] }>;
  };
  return Object.values(config.functions).flatMap((fn) =>
    (fn.events ?? [])
      .filter((event) => event.httpApi)
      .flatMap(({ httpApi }) =>
        (httpApi.method === '*' ? EVERY_METHOD : [String(httpApi.method).toLowerCase()]).map(
          (method) => `${method.toUpperCase()} ${httpApi.path}`,
        ),
      ),
  );
}

function documentedRoutes(): string[] {
  return Object.entries(document.paths as Json).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
  );
}

function operationsOf(doc: Json): Array<[string, Json]> {
  return Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op] as [string, Json]),
  );
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document whose references all resolve', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(() => validator.resolveRefs()).not.toThrow();
  });

  it('is refused by the validator once broken, so the check above can fail', async () => {
    const broken = structuredClone(document);
    delete broken.paths['/api/v1/scheduler/tasks'].post.responses['201'].description;
    expect((await new Validator().validate(broken)).valid).toBe(false);
    const misplaced = structuredClone(document);
    misplaced.paths['/api/v1/scheduler/executions'].get.parameters[0].in = 'body';
    expect((await new Validator().validate(misplaced)).valid).toBe(false);
  });

  it('documents every route in serverless.yml and nothing else', () => {
    // The dashboard's routes serve pages to browsers, not API.
    const routes = serverlessRoutes().filter((route) => !route.includes(' /dashboard'));
    expect(routes.length).toBeGreaterThan(20);
    expect(new Set(routes).size).toBe(routes.length);
    expect([...documentedRoutes()].sort()).toEqual([...routes].sort());
  });

  it('declares every templated path segment as a path parameter', () => {
    for (const [route, op] of operationsOf(document)) {
      const templated = [...route.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const declared = (op.parameters ?? [])
        .filter((p: Json) => p.in === 'path')
        .map((p: Json) => p.name)
        .sort();
      expect(declared, route).toEqual(templated);
    }
  });

  it('asks for a bearer token everywhere except the documentation itself', () => {
    expect(document.security).toEqual([{ bearerAuth: [] }]);
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const open = operationsOf(document).filter(([, op]) => op.security !== undefined);
    expect(open.map(([route]) => route).sort()).toEqual([...DOCUMENTATION_ROUTES].sort());
    for (const [, op] of open) expect(op.security).toEqual([]);
    for (const [route, op] of operationsOf(document)) {
      if (DOCUMENTATION_ROUTES.includes(route)) expect(op.responses['401'], route).toBeUndefined();
      else expect(op.responses['401'], route).toBeDefined();
    }
  });

  it('gives every operation a JSON error body for its failures, and every id route a 404', () => {
    for (const [route, op] of operationsOf(document)) {
      const failures = Object.keys(op.responses).filter((status) => Number(status) >= 400);
      expect(failures, route).toContain('500');
      for (const status of failures)
        expect(op.responses[status].content['application/json'].schema, `${route} ${status}`).toEqual({
          $ref: '#/components/schemas/Error',
        });
      if (/_id\}/.test(route)) expect(op.responses['404'], route).toBeDefined();
    }
    expect(document.components.schemas.Error).toMatchObject({
      required: ['detail'],
      properties: { detail: { type: 'string' }, errors: { type: 'array' } },
    });
  });

  it('documents the legacy base path as a permanent redirect for every method', () => {
    for (const method of EVERY_METHOD) {
      for (const path of ['/api/scheduler', '/api/scheduler/{proxy+}']) {
        const op = document.paths[path][method];
        expect(op.deprecated).toBe(true);
        expect(op.responses['308'].headers.Location).toBeDefined();
      }
    }
  });

  it('documents the report as HTML or Markdown chosen by format', () => {
    const op = document.paths['/api/v1/scheduler/executions/{execution_id}/report'].get;
    expect(Object.keys(op.responses['200'].content).sort()).toEqual(['text/html', 'text/markdown']);
    expect(op.parameters).toContainEqual(
      expect.objectContaining({
        name: 'format',
        in: 'query',
        required: false,
        schema: expect.objectContaining({ enum: ['html', 'md'] }),
      }),
    );
  });

  it('takes query parameters with the bounds the handlers enforce', () => {
    const params = document.paths['/api/v1/scheduler/executions'].get.parameters as Json[];
    expect(params.find((p) => p.name === 'limit')).toMatchObject({
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    });
    expect(params.map((p) => p.name).sort()).toEqual([
      'connection_id',
      'limit',
      'status_filter',
      'task_id',
      'task_type',
    ]);
  });
});

describe('the documented request bodies', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: 'openapi.json', components: document.components });
  const documented = (name: string) => (body: unknown) =>
    ajv.validate({ $ref: `openapi.json#/components/schemas/${name}` }, body);

  // Refinements (cron syntax, time zones, SQL checks) cannot be expressed in JSON Schema; these
  // bodies differ only in what can.
  it('accept and refuse the same connection bodies as the handler', () => {
    const valid = { name: 'db', host: 'db.internal', database: 'app', username: 'reviewer' };
    const bodies = [
      valid,
      { ...valid, port: 6432, password: 'secret', sslmode: 'require' },
      { ...valid, port: 70000 },
      { ...valid, sslmode: 'allow' },
      { ...valid, colour: 'red' },
      { name: 'db', host: 'db.internal' },
      { ...valid, host: 'bad host!' },
      { ...valid, name: '' },
    ];
    for (const body of bodies)
      expect(documented('CreateConnection')(body), JSON.stringify(body)).toBe(
        createConnectionBody.safeParse(body).success,
      );
  });

  it('accept and refuse the same task updates as the handler, without the fields that cannot change', () => {
    const bodies = [
      {},
      { name: 'nightly' },
      { is_active: 'yes' },
      { description: null },
      { unknown: 1 },
      { task_params: { query_timeout: null } },
    ];
    for (const body of bodies)
      expect(documented('UpdateTask')(body), JSON.stringify(body)).toBe(updateTaskBody.safeParse(body).success);
    expect(updateTaskBody.safeParse({ task_type: 'custom_sql' }).success).toBe(false);
    expect(documented('UpdateTask')({ task_type: 'custom_sql' })).toBe(false);
  });

  it('show task_params as the schema that validates them, defaults included', () => {
    const params = document.components.schemas.CreateTask.properties.task_params;
    expect(params.additionalProperties).toBe(false);
    expect(params.properties.query_timeout).toMatchObject({ type: 'integer', minimum: 1, maximum: 900, default: 300 });
    expect(
      documented('CreateTask')({
        name: 't',
        task_type: 'custom_sql',
        connection_id: 1,
        cron_schedule: '@daily',
        task_params: { retries: 3 },
      }),
    ).toBe(false);
    expect(
      documented('CreateTask')({
        name: 't',
        task_type: 'custom_sql',
        connection_id: 1,
        cron_schedule: '@daily',
        task_params: { custom_sql: 'select 1' },
      }),
    ).toBe(true);
  });
});
