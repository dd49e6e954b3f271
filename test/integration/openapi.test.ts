import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as createConnection } from '../../functions/connections/create.js';
import { handler as deleteConnection } from '../../functions/connections/delete.js';
import { handler as connectionFindings } from '../../functions/connections/findings.js';
import { handler as getConnection } from '../../functions/connections/get.js';
import { handler as listConnections } from '../../functions/connections/list.js';
import { handler as testConnection } from '../../functions/connections/test.js';
import { handler as updateConnection } from '../../functions/connections/update.js';
import { handler as docsAsset } from '../../functions/docs/asset.js';
import { handler as openapi } from '../../functions/docs/openapi.js';
import { handler as docsPage } from '../../functions/docs/page.js';
import { handler as getExecution } from '../../functions/executions/get.js';
import { handler as listExecutions } from '../../functions/executions/list.js';
import { handler as executionReport } from '../../functions/executions/report.js';
import { handler as legacyRedirect } from '../../functions/legacy/redirect.js';
import { handler as queueStatus } from '../../functions/queue/status.js';
import { handler as stats } from '../../functions/stats/get.js';
import { handler as createTask } from '../../functions/tasks/create.js';
import { handler as deleteTask } from '../../functions/tasks/delete.js';
import { handler as getTask } from '../../functions/tasks/get.js';
import { handler as listTasks } from '../../functions/tasks/list.js';
import { handler as queueTask } from '../../functions/tasks/queue.js';
import { handler as runTask } from '../../functions/tasks/run.js';
import { handler as updateTask } from '../../functions/tasks/update.js';
import { handler as createChannel } from '../../functions/notifications/create-channel.js';
import { handler as deleteChannel } from '../../functions/notifications/delete-channel.js';
import { handler as getChannel } from '../../functions/notifications/get-channel.js';
import { handler as listChannels } from '../../functions/notifications/list-channels.js';
import { handler as listDeliveries } from '../../functions/notifications/list-deliveries.js';
import { handler as testChannel } from '../../functions/notifications/test-channel.js';
import { handler as updateChannel } from '../../functions/notifications/update-channel.js';
import type { Handler } from '../../lib/http/handler.js';
import { openApiDocument } from '../../lib/openapi/openapi-document.js';
import { apiEvent } from '../helpers/api.js';
import { startLambdaEndpoint } from '../helpers/lambda-endpoint.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

type Json = Record<string, any>;
const document = openApiDocument() as Json;

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema({ $id: 'openapi.json', components: document.components });

const exercised = new Set<string>();

/**
 * Calls a handler as API Gateway would and holds the answer to the document: the status must be
 * documented for the operation, and a JSON body must match its schema (or a page, its media type).
 */
async function documented(
  handler: Handler,
  method: string,
  route: string,
  options: {
    path?: Record<string, string>;
    query?: Record<string, string>;
    body?: unknown;
    rawBody?: string;
    headers?: Record<string, string>;
  } = {},
) {
  const rawPath = route.replace(/\{(\w+)\+?\}/g, (_, name: string) => options.path![name]);
  const result = await handler(apiEvent(method, rawPath, options), {});
  const operation = document.paths[route]?.[method.toLowerCase()];
  expect(operation, `${method} ${route} is documented`).toBeDefined();
  const response = operation.responses[String(result.statusCode)];
  expect(response, `${method} ${route} documents ${result.statusCode}: ${result.body?.slice(0, 300)}`).toBeDefined();
  exercised.add(`${method} ${route} ${result.statusCode}`);
  const contentType = (result.headers?.['content-type'] ?? '').split(';')[0];
  if (!response.content) {
    expect(result.body ?? '').toBe('');
    return { status: result.statusCode, headers: result.headers ?? {}, body: undefined as any };
  }
  expect(Object.keys(response.content), `${method} ${route} ${result.statusCode} media type`).toContain(contentType);
  if (contentType !== 'application/json')
    return { status: result.statusCode, headers: result.headers ?? {}, body: result.body as any };
  const body = JSON.parse(result.body!);
  const valid = ajv.validate(
    response.content['application/json'].schema.$ref
      ? { $ref: `openapi.json${response.content['application/json'].schema.$ref}` }
      : response.content['application/json'].schema,
    body,
  );
  expect(ajv.errors ?? [], `${method} ${route} ${result.statusCode} matches the documented schema`).toEqual([]);
  expect(valid).toBe(true);
  return { status: result.statusCode, headers: result.headers ?? {}, body };
}

let lambda: Awaited<ReturnType<typeof startLambdaEndpoint>>;
beforeAll(async () => {
  lambda = await startLambdaEndpoint();
});
afterAll(async () => {
  await lambda.idle();
  await lambda.close();
});

describe('real answers match the OpenAPI document', () => {
  const target = new URL(process.env.DATABASE_URL!);
  const connectionBody = {
    name: 'reviewed',
    host: target.hostname,
    port: Number(target.port || 5432),
    database: target.pathname.slice(1),
    username: 'postgres',
    sslmode: 'disable',
  };
  const ids = { connection: '', unreachable: '', sqlTask: '', configTask: '' };

  it('for connections, including their failures', async () => {
    const created = await documented(createConnection, 'POST', '/api/v1/connections', { body: connectionBody });
    expect(created.status).toBe(201);
    ids.connection = String(created.body.id);
    const path = { connection_id: ids.connection };
    ids.unreachable = String(
      (
        await documented(createConnection, 'POST', '/api/v1/connections', {
          body: { ...connectionBody, name: 'nothing listens', port: 1, password: 'pw' },
        })
      ).body.id,
    );

    expect((await documented(listConnections, 'GET', '/api/v1/connections')).body).toHaveLength(2);
    expect((await documented(getConnection, 'GET', '/api/v1/connections/{connection_id}', { path })).status).toBe(200);
    expect(
      (
        await documented(updateConnection, 'PUT', '/api/v1/connections/{connection_id}', {
          path,
          body: { port: connectionBody.port },
        })
      ).status,
    ).toBe(200);
    expect(
      (await documented(testConnection, 'POST', '/api/v1/connections/{connection_id}/test', { path })).body,
    ).toMatchObject({ ok: true, error: null });
    expect(
      (
        await documented(testConnection, 'POST', '/api/v1/connections/{connection_id}/test', {
          path: { connection_id: ids.unreachable },
        })
      ).body,
    ).toMatchObject({ ok: false, server_version: null });

    expect((await documented(createConnection, 'POST', '/api/v1/connections', { body: connectionBody })).status).toBe(
      409,
    );
    const invalid = await documented(createConnection, 'POST', '/api/v1/connections', {
      body: { ...connectionBody, port: 0, colour: 'red' },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.length).toBe(2);
    expect(
      (
        await documented(createConnection, 'POST', '/api/v1/connections', {
          rawBody: 'name=x',
          headers: { 'content-type': 'text/plain' },
        })
      ).status,
    ).toBe(415);
    expect(
      (
        await documented(getConnection, 'GET', '/api/v1/connections/{connection_id}', {
          path: { connection_id: '999999' },
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await documented(getConnection, 'GET', '/api/v1/connections/{connection_id}', {
          path: { connection_id: 'abc' },
        })
      ).status,
    ).toBe(400);
  });

  it('for tasks', async () => {
    const sql = await documented(createTask, 'POST', '/api/v1/scheduler/tasks', {
      body: {
        name: 'rows',
        task_type: 'custom_sql',
        connection_id: Number(ids.connection),
        cron_schedule: '0 2 * * *',
        task_params: { custom_sql: "select 42 as answer, 'ok' as word", analysis_target: 'security' },
      },
    });
    expect(sql.status).toBe(201);
    ids.sqlTask = String(sql.body.id);
    ids.configTask = String(
      (
        await documented(createTask, 'POST', '/api/v1/scheduler/tasks', {
          body: {
            name: 'config',
            task_type: 'config_check',
            connection_id: Number(ids.connection),
            cron_schedule: '@daily',
            is_active: false,
          },
        })
      ).body.id,
    );
    const path = { task_id: ids.sqlTask };

    expect(
      (await documented(listTasks, 'GET', '/api/v1/scheduler/tasks', { query: { is_active: 'true' } })).body,
    ).toHaveLength(1);
    expect((await documented(getTask, 'GET', '/api/v1/scheduler/tasks/{task_id}', { path })).status).toBe(200);
    expect(
      (
        await documented(updateTask, 'PUT', '/api/v1/scheduler/tasks/{task_id}', {
          path,
          body: { description: 'nightly', task_params: { max_rows: 10 } },
        })
      ).body.task_params.max_rows,
    ).toBe(10);
    expect(
      (
        await documented(updateTask, 'PUT', '/api/v1/scheduler/tasks/{task_id}', {
          path,
          body: { task_type: 'config_check' },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await documented(createTask, 'POST', '/api/v1/scheduler/tasks', {
          body: {
            name: 'x',
            task_type: 'custom_sql',
            connection_id: 999999,
            cron_schedule: '@daily',
            task_params: { custom_sql: 'select 1' },
          },
        })
      ).status,
    ).toBe(400);
    expect(
      (await documented(getTask, 'GET', '/api/v1/scheduler/tasks/{task_id}', { path: { task_id: '999999' } })).status,
    ).toBe(404);
  });

  it('for runs, queueing and the executions they record, with review results of two kinds', async () => {
    const started = await documented(runTask, 'POST', '/api/v1/scheduler/tasks/{task_id}/run', {
      path: { task_id: ids.sqlTask },
    });
    expect(started.status).toBe(200);
    expect(
      (
        await documented(runTask, 'POST', '/api/v1/scheduler/tasks/{task_id}/run', {
          path: { task_id: ids.configTask },
        })
      ).status,
    ).toBe(400);
    const queued = await documented(queueTask, 'POST', '/api/v1/scheduler/tasks/{task_id}/queue', {
      path: { task_id: ids.configTask },
    });
    expect(queued.status).toBe(200);
    expect((await documented(queueStatus, 'GET', '/api/v1/scheduler/queue/status')).status).toBe(200);
    await lambda.idle();
    // The queued one waits for a consumer: drain it here as the schedule would.
    const { handler: consumer } = await import('../../functions/scheduler/consumer.js');
    await consumer({ executionIds: [queued.body.execution_id] });

    const sqlRun = await documented(getExecution, 'GET', '/api/v1/scheduler/executions/{execution_id}', {
      path: { execution_id: String(started.body.execution_id) },
    });
    expect(sqlRun.body).toMatchObject({ status: 'completed', result: { data: { rows: [[42, 'ok']] } } });
    const configRun = await documented(getExecution, 'GET', '/api/v1/scheduler/executions/{execution_id}', {
      path: { execution_id: String(queued.body.execution_id) },
    });
    expect(configRun.body.status).toBe('completed');
    expect(configRun.body.result.findings.length + configRun.body.result.not_assessable.length).toBeGreaterThan(0);
    const history = await documented(connectionFindings, 'GET', '/api/v1/connections/{connection_id}/findings', {
      path: { connection_id: ids.connection },
    });
    expect(history.body.findings.length).toBe(configRun.body.result.findings.length);
    expect(
      (
        await documented(connectionFindings, 'GET', '/api/v1/connections/{connection_id}/findings', {
          path: { connection_id: ids.connection },
          query: { state: 'resolved' },
        })
      ).body.findings,
    ).toEqual([]);
    expect(
      (
        await documented(connectionFindings, 'GET', '/api/v1/connections/{connection_id}/findings', {
          path: { connection_id: '999999' },
        })
      ).status,
    ).toBe(404);

    const failedTask = await documented(createTask, 'POST', '/api/v1/scheduler/tasks', {
      body: {
        name: 'unreachable',
        task_type: 'custom_sql',
        connection_id: Number(ids.unreachable),
        cron_schedule: '@daily',
        task_params: { custom_sql: 'select 1' },
      },
    });
    const failedRun = await documented(runTask, 'POST', '/api/v1/scheduler/tasks/{task_id}/run', {
      path: { task_id: String(failedTask.body.id) },
    });
    await lambda.idle();
    expect(
      (
        await documented(getExecution, 'GET', '/api/v1/scheduler/executions/{execution_id}', {
          path: { execution_id: String(failedRun.body.execution_id) },
        })
      ).body,
    ).toMatchObject({ status: 'failed', result: null });

    expect(
      (await documented(listExecutions, 'GET', '/api/v1/scheduler/executions', { query: { limit: '10' } })).body,
    ).toHaveLength(3);
    expect(
      (await documented(listExecutions, 'GET', '/api/v1/scheduler/executions', { query: { limit: '0' } })).status,
    ).toBe(400);
    expect(
      (
        await documented(getExecution, 'GET', '/api/v1/scheduler/executions/{execution_id}', {
          path: { execution_id: '999999' },
        })
      ).status,
    ).toBe(404);
    for (const format of ['html', 'md']) {
      const report = await documented(executionReport, 'GET', '/api/v1/scheduler/executions/{execution_id}/report', {
        path: { execution_id: String(started.body.execution_id) },
        query: { format },
      });
      expect(report.status).toBe(200);
    }
    expect((await documented(stats, 'GET', '/api/v1/scheduler/stats')).body.executions_24h.completed).toBe(2);
  });

  it('for deletes and the legacy redirect', async () => {
    expect(
      (
        await documented(deleteConnection, 'DELETE', '/api/v1/connections/{connection_id}', {
          path: { connection_id: ids.connection },
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await documented(deleteTask, 'DELETE', '/api/v1/scheduler/tasks/{task_id}', {
          path: { task_id: ids.configTask },
        })
      ).status,
    ).toBe(204);
    expect(
      (
        await documented(deleteTask, 'DELETE', '/api/v1/scheduler/tasks/{task_id}', {
          path: { task_id: ids.configTask },
        })
      ).status,
    ).toBe(404);
    const unused = await documented(createConnection, 'POST', '/api/v1/connections', {
      body: { ...connectionBody, name: 'unused' },
    });
    expect(
      (
        await documented(deleteConnection, 'DELETE', '/api/v1/connections/{connection_id}', {
          path: { connection_id: String(unused.body.id) },
        })
      ).status,
    ).toBe(204);
    expect((await documented(legacyRedirect, 'GET', '/api/scheduler')).status).toBe(308);
    expect(
      (await documented(legacyRedirect, 'POST', '/api/scheduler/{proxy+}', { path: { proxy: 'tasks/1/run' } })).headers
        .location,
    ).toBe('/api/v1/scheduler/tasks/1/run');
  });

  it('for notification channels and their deliveries', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const created = await documented(createChannel, 'POST', '/api/v1/notifications/channels', {
        body: { name: 'hook', type: 'webhook', url: receiver.url, secret: 'receiver-secret-0123456789' },
      });
      expect(created.status).toBe(201);
      const path = { channel_id: String(created.body.id) };
      expect(
        (
          await documented(createChannel, 'POST', '/api/v1/notifications/channels', {
            body: { name: 'hook', type: 'webhook', url: receiver.url, secret: 'receiver-secret-0123456789' },
          })
        ).status,
      ).toBe(409);
      expect(
        (
          await documented(createChannel, 'POST', '/api/v1/notifications/channels', {
            body: { name: 'metadata', type: 'slack', url: 'http://169.254.169.254/' },
          })
        ).status,
      ).toBe(400);
      expect((await documented(listChannels, 'GET', '/api/v1/notifications/channels')).body).toHaveLength(1);
      expect(
        (await documented(getChannel, 'GET', '/api/v1/notifications/channels/{channel_id}', { path })).status,
      ).toBe(200);
      expect(
        (
          await documented(updateChannel, 'PUT', '/api/v1/notifications/channels/{channel_id}', {
            path,
            body: { min_severity: 'critical' },
          })
        ).status,
      ).toBe(200);
      expect(
        (await documented(testChannel, 'POST', '/api/v1/notifications/channels/{channel_id}/test', { path })).body,
      ).toMatchObject({ ok: true, status_code: 200 });
      expect(
        (await documented(listDeliveries, 'GET', '/api/v1/notifications/deliveries', { query: { status: 'failed' } }))
          .status,
      ).toBe(200);
      expect(
        (await documented(listDeliveries, 'GET', '/api/v1/notifications/deliveries', { query: { status: 'lost' } }))
          .status,
      ).toBe(400);
      expect(
        (await documented(deleteChannel, 'DELETE', '/api/v1/notifications/channels/{channel_id}', { path })).status,
      ).toBe(204);
      expect(
        (await documented(getChannel, 'GET', '/api/v1/notifications/channels/{channel_id}', { path })).status,
      ).toBe(404);
    } finally {
      await receiver.stop();
    }
  });

  it('exercised every documented operation outside the documentation routes', () => {
    const operations = Object.entries(document.paths as Json).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const served = (operation: string) =>
      [...exercised].some((call) => call.startsWith(`${operation} 2`) || call.startsWith(`${operation} 3`));
    const legacy = operations.filter((op) => op.includes('/api/scheduler'));
    const missing = operations.filter(
      (op) => !op.includes('/api/v1/docs') && !op.includes('/openapi.json') && !legacy.includes(op) && !served(op),
    );
    expect(missing).toEqual([]);
    expect(served('GET /api/scheduler') && served('POST /api/scheduler/{proxy+}')).toBe(true);
  });
});

describe('the document and its page', () => {
  const swaggerUiDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

  it('serves the document as JSON', async () => {
    const response = await openapi(apiEvent('GET', '/api/v1/openapi.json'), {});
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(response.body!)).toEqual(document);
  });

  it('serves a Swagger UI page that loads only files the API itself serves', async () => {
    const page = await docsPage(apiEvent('GET', '/api/v1/docs'), {});
    expect(page.statusCode).toBe(200);
    expect(page.headers?.['content-type']).toMatch(/^text\/html/);
    // The browser refuses anything from another origin, a CDN included.
    expect(page.headers?.['content-security-policy']).toMatch(
      /default-src 'none'; script-src 'self';.*connect-src 'self'/,
    );
    // The favicon is inline (data:), so a browser asks for nothing but these three.
    const urls = [...page.body!.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((url) => url !== 'data:,');
    expect(urls).toHaveLength(3);
    for (const url of urls) {
      expect(url).toMatch(/^docs\/assets\/[\w.-]+\?v=[\d.]+$/);
      const file = url.slice('docs/assets/'.length).split('?')[0];
      const asset = await docsAsset(apiEvent('GET', `/api/v1/docs/assets/${file}`, { path: { file } }), {});
      expect(asset.statusCode, file).toBe(200);
      expect(asset.headers?.['content-type']).toMatch(file.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
      expect(asset.body!.length).toBeGreaterThan(100);
    }
    const init = await docsAsset(apiEvent('GET', '/api/v1/docs/assets/init.js', { path: { file: 'init.js' } }), {});
    expect(init.body).toContain("url: 'openapi.json'");
  });

  it('sends the Swagger UI bundle gzipped to a browser that accepts it, byte for byte the package file', async () => {
    const event = apiEvent('GET', '/api/v1/docs/assets/swagger-ui-bundle.js', {
      path: { file: 'swagger-ui-bundle.js' },
      headers: { 'accept-encoding': 'gzip, deflate, br' },
    });
    const gzipped = await docsAsset(event, {});
    expect(gzipped.headers).toMatchObject({ 'content-encoding': 'gzip', vary: 'accept-encoding' });
    expect(gzipped.isBase64Encoded).toBe(true);
    const original = readFileSync(join(swaggerUiDir, 'swagger-ui-bundle.js'));
    const sent = Buffer.from(gzipped.body!, 'base64');
    expect(gunzipSync(sent).equals(original)).toBe(true);
    // Lambda answers at most 6 MB.
    expect(sent.length).toBeLessThan(original.length / 2);
  });

  it('answers an unknown asset with the JSON 404', async () => {
    for (const file of ['package.json', '..%2Fpackage.json', 'constructor']) {
      const response = await docsAsset(apiEvent('GET', `/api/v1/docs/assets/${file}`, { path: { file } }), {});
      expect(response.statusCode).toBe(404);
      expect(JSON.parse(response.body!).detail).toContain('not found');
    }
  });
});
