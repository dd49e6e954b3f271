import { z } from 'zod';
import { error, requestComponents, responseComponents } from './components.js';
import { operations, type Operation, type Response } from './operations.js';

type JsonSchema = Record<string, unknown>;
type Registry = z.core.$ZodRegistry<{ id: string }>;

const componentUri = (id: string) => `#/components/schemas/${id}`;

// zod spells out what its validators enforce: the full ISO pattern next to format date-time, and
// JavaScript's safe-integer bounds on every integer. Neither tells a reader of the document anything.
function tidy({ jsonSchema }: { jsonSchema: JsonSchema }): void {
  if (jsonSchema.format === 'date-time') delete jsonSchema.pattern;
  if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
  if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
}

const conversion = { target: 'draft-2020-12', override: tidy, unrepresentable: 'any' } as const;

let built: JsonSchema | undefined;

/** The OpenAPI 3.1 document, generated from the zod schemas the handlers validate with. */
export function openApiDocument(): JsonSchema {
  built ??= buildDocument();
  return built;
}

function buildDocument(): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of operations) {
    paths[operation.path] ??= {};
    paths[operation.path][operation.method] = describeOperation(operation);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'pg-reviewer',
      version: '1.0.0',
      description:
        'Scheduled reviews of PostgreSQL databases. Every endpoint except this document and its page takes ' +
        '`Authorization: Bearer <token>`. ' +
        'Errors are always JSON: `{"detail": "..."}`, plus `errors` listing each invalid field.',
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'Tasks', description: 'Scheduled review tasks' },
      { name: 'Executions', description: 'Runs of tasks and their results' },
      { name: 'Queue', description: 'Queue and scheduler state' },
      { name: 'Connections', description: 'Databases to review' },
      {
        name: 'Notifications',
        description: 'Channels told about new, worsened and resolved findings and failed runs; their deliveries',
      },
      { name: 'Legacy', description: 'The old /api/scheduler base path' },
      { name: 'Documentation', description: 'This document and its interactive page' },
    ],
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      schemas: { ...componentSchemas(requestComponents, 'input'), ...componentSchemas(responseComponents, 'output') },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'One of the tokens in the API_TOKENS setting' },
      },
    },
  };
}

function componentSchemas(registry: Registry, io: 'input' | 'output'): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(registry, { ...conversion, io, uri: componentUri });
  // Each would otherwise carry its own $schema and $id; inside the document they are just components.
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _schema, $id: _id, ...schema }]) => [id, schema]),
  );
}

function describeOperation(operation: Operation): Record<string, unknown> {
  const parameters = [
    ...describeParameters('path', operation.pathParams),
    ...describeParameters('query', operation.query),
  ];
  return {
    operationId: operation.operationId,
    tags: [operation.tag],
    summary: operation.summary,
    ...(operation.description && { description: operation.description }),
    ...(operation.deprecated && { deprecated: true }),
    ...(operation.public && { security: [] }),
    ...(parameters.length > 0 && { parameters }),
    ...(operation.body && {
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: { $ref: componentUri(componentId(requestComponents, operation.body)) } },
        },
      },
    }),
    responses: Object.fromEntries(
      Object.entries({ ...operation.responses, ...errorResponses(operation) }).map(([status, response]) => [
        status,
        describeResponse(response),
      ]),
    ),
  };
}

function describeParameters(where: 'path' | 'query', schema: z.ZodObject | undefined): JsonSchema[] {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { ...conversion, io: 'input' }) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, { description, ...property }]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    ...(description !== undefined && { description }),
    schema: property,
  }));
}

function describeResponse(response: Response): JsonSchema {
  const content = response.json
    ? { 'application/json': { schema: { $ref: componentUri(componentId(responseComponents, response.json)) } } }
    : response.media;
  return {
    description: response.description,
    ...(response.headers && { headers: response.headers }),
    ...(content && { content }),
  };
}

/** The error answers every operation can give, in the one JSON shape, with its own ones merged in. */
function errorResponses(operation: Operation): Record<number, Response> {
  const descriptions: Record<number, string> = {};
  if (!operation.public) descriptions[401] = 'Missing or wrong bearer token';
  if (operation.body) descriptions[415] = 'The body is not JSON: send Content-Type: application/json';
  Object.assign(descriptions, operation.errors);
  if (!operation.public) {
    const unavailable =
      'authentication is not configured on this stage (the detail says how to fix it), or a database query ' +
      'timed out';
    descriptions[503] = operation.errors?.[503]
      ? `${operation.errors[503]}; also when ${unavailable}`
      : `Unavailable: ${unavailable}`;
  }
  descriptions[500] = 'Internal error: the body carries only a request id, the detail is in the log';
  return Object.fromEntries(
    Object.entries(descriptions).map(([status, description]) => [
      status,
      {
        description,
        json: error,
        ...(status === '401' && {
          headers: { 'WWW-Authenticate': { description: 'Bearer', schema: { type: 'string' } } },
        }),
      },
    ]),
  );
}

function componentId(registry: Registry, schema: z.ZodType): string {
  const id = registry.get(schema)?.id;
  if (!id)
    throw new Error('A request or response schema used by an operation is not registered in lib/openapi/components.ts');
  return id;
}
