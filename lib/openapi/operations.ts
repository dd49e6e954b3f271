import { z } from 'zod';
import { listExecutionsQuery } from '../executions/execution-schemas.js';
import { findingHistoryQuery } from '../findings/finding-history.js';
import { notificationOperations } from '../notifications/openapi-operations.js';
import { idPath } from '../http/params.js';
import { reportQuery } from '../report/report.js';
import { listTasksQuery } from '../tasks/task-list-query.js';
import * as c from './components.js';
import { docsAssetPath } from './docs-page.js';

export type Method = 'get' | 'put' | 'post' | 'delete' | 'patch' | 'head' | 'options';

/** What API Gateway's `method: '*'` routes answer; the legacy redirect is documented for each. */
export const anyMethod: Method[] = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

export interface Response {
  description: string;
  headers?: Record<string, { description: string; schema: Record<string, unknown> }>;
  /** A JSON body: a schema registered in components.ts. */
  json?: z.ZodType;
  /** Any other body, by media type. */
  media?: Record<string, { schema: Record<string, unknown> }>;
}

export interface Operation {
  method: Method;
  /** Exactly as in serverless.yml. */
  path: string;
  operationId: string;
  tag: 'Tasks' | 'Executions' | 'Queue' | 'Connections' | 'Notifications' | 'Legacy' | 'Documentation';
  summary: string;
  description?: string;
  /** Served without authentication (see createHandler's `public`). */
  public?: boolean;
  deprecated?: boolean;
  pathParams?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  responses: Record<number, Response>;
  /** Error statuses particular to this operation; 401, 415, 500 and 503 are added where they apply. */
  errors?: Record<number, string>;
}

const taskId = idPath('task_id');
const executionId = idPath('execution_id');
const connectionId = idPath('connection_id');
const invalidInput = 'Invalid input; `errors` lists each invalid field';
const text = (type: string) => ({ [type]: { schema: { type: 'string' } } });
const listETag = {
  description: 'Changes whenever a listed task is created, changed or deleted',
  schema: { type: 'string' },
};

const scheduler: Operation[] = [
  {
    method: 'post',
    path: '/api/v1/scheduler/tasks',
    operationId: 'createTask',
    tag: 'Tasks',
    summary: 'Create a scheduled task',
    description:
      'Validates the cron schedule and task_params for the task type, stores the params complete and computes ' +
      'next_run_at.',
    body: c.createTaskRequest,
    responses: { 201: { description: 'Task created', json: c.task } },
    errors: { 400: 'Invalid request data, or connection_id names no connection' },
  },
  {
    method: 'get',
    path: '/api/v1/scheduler/tasks',
    operationId: 'listTasks',
    tag: 'Tasks',
    summary: 'List tasks, oldest first',
    description:
      'Send the ETag of a previous answer in If-None-Match to get 304 and no body while no listed task changed.',
    query: listTasksQuery,
    responses: {
      200: { description: 'Tasks', json: c.taskList, headers: { ETag: listETag } },
      304: { description: 'Not modified: the If-None-Match tag is still current', headers: { ETag: listETag } },
    },
    errors: { 400: invalidInput },
  },
  {
    method: 'get',
    path: '/api/v1/scheduler/tasks/{task_id}',
    operationId: 'getTask',
    tag: 'Tasks',
    summary: 'Get a task',
    pathParams: taskId,
    responses: { 200: { description: 'The task', json: c.task } },
    errors: { 400: invalidInput, 404: 'Task not found' },
  },
  {
    method: 'put',
    path: '/api/v1/scheduler/tasks/{task_id}',
    operationId: 'updateTask',
    tag: 'Tasks',
    summary: 'Update a task (partial)',
    description:
      'Changing cron_schedule, timezone or is_active recomputes next_run_at. task_type and connection_id ' +
      'cannot be changed.',
    pathParams: taskId,
    body: c.updateTaskRequest,
    responses: { 200: { description: 'Task updated', json: c.task } },
    errors: { 400: 'Invalid request data, or an attempt to change task_type or connection_id', 404: 'Task not found' },
  },
  {
    method: 'delete',
    path: '/api/v1/scheduler/tasks/{task_id}',
    operationId: 'deleteTask',
    tag: 'Tasks',
    summary: 'Delete a task',
    description: 'Its executions are kept (scheduled_task_id becomes null) and its queued ones are cancelled.',
    pathParams: taskId,
    responses: { 204: { description: 'Task deleted' } },
    errors: { 400: invalidInput, 404: 'Task not found' },
  },
  {
    method: 'post',
    path: '/api/v1/scheduler/tasks/{task_id}/run',
    operationId: 'runTask',
    tag: 'Tasks',
    summary: 'Run a task now',
    description: 'Records a manual execution and starts a consumer for it at once, without waiting for the tick.',
    pathParams: taskId,
    responses: { 200: { description: 'Task started', json: c.taskStarted } },
    errors: { 400: 'Task is inactive, or the id is not a positive integer', 404: 'Task not found' },
  },
  {
    method: 'post',
    path: '/api/v1/scheduler/tasks/{task_id}/queue',
    operationId: 'queueTask',
    tag: 'Tasks',
    summary: 'Put a task on the queue',
    description: 'Also accepts an inactive task.',
    pathParams: taskId,
    responses: { 200: { description: 'Task queued', json: c.taskQueued } },
    errors: { 400: invalidInput, 404: 'Task not found' },
  },
  {
    method: 'get',
    path: '/api/v1/scheduler/executions',
    operationId: 'listExecutions',
    tag: 'Executions',
    summary: 'List executions, newest first',
    query: listExecutionsQuery,
    responses: { 200: { description: 'Executions', json: c.executionList } },
    errors: { 400: invalidInput },
  },
  {
    method: 'get',
    path: '/api/v1/scheduler/executions/{execution_id}',
    operationId: 'getExecution',
    tag: 'Executions',
    summary: 'Get an execution with its result',
    pathParams: executionId,
    responses: { 200: { description: 'The execution', json: c.executionWithNotifications } },
    errors: { 400: invalidInput, 404: 'Execution not found' },
  },
  {
    method: 'get',
    path: '/api/v1/scheduler/executions/{execution_id}/report',
    operationId: 'getExecutionReport',
    tag: 'Executions',
    summary: 'Read an execution as a report',
    description: 'The review as a self-contained HTML page (format=html) or as Markdown (format=md).',
    pathParams: executionId,
    query: reportQuery,
    responses: { 200: { description: 'The report', media: { ...text('text/html'), ...text('text/markdown') } } },
    errors: { 400: invalidInput, 404: 'Execution not found' },
  },
  {
    method: 'get',
    path: '/api/v1/scheduler/queue/status',
    operationId: 'getQueueStatus',
    tag: 'Queue',
    summary: 'Queue length',
    responses: { 200: { description: 'Execution ids waiting in Redis', json: c.queueStatus } },
    errors: { 503: 'Redis cannot be reached' },
  },
  {
    method: 'get',
    path: '/api/v1/scheduler/stats',
    operationId: 'getStats',
    tag: 'Queue',
    summary: 'Scheduler statistics',
    description: 'Task counts and the executions created in the last 24 hours.',
    responses: { 200: { description: 'Statistics', json: c.stats } },
  },
];

const connections: Operation[] = [
  {
    method: 'post',
    path: '/api/v1/connections',
    operationId: 'createConnection',
    tag: 'Connections',
    summary: 'Create a connection to a database to review',
    body: c.createConnectionRequest,
    responses: { 201: { description: 'Connection created', json: c.connection } },
    errors: { 400: invalidInput, 409: 'A connection with this name exists' },
  },
  {
    method: 'get',
    path: '/api/v1/connections',
    operationId: 'listConnections',
    tag: 'Connections',
    summary: 'List connections',
    responses: { 200: { description: 'Connections', json: c.connectionList } },
  },
  {
    method: 'get',
    path: '/api/v1/connections/{connection_id}',
    operationId: 'getConnection',
    tag: 'Connections',
    summary: 'Get a connection',
    pathParams: connectionId,
    responses: { 200: { description: 'The connection', json: c.connection } },
    errors: { 400: invalidInput, 404: 'Connection not found' },
  },
  {
    method: 'put',
    path: '/api/v1/connections/{connection_id}',
    operationId: 'updateConnection',
    tag: 'Connections',
    summary: 'Update a connection (partial)',
    pathParams: connectionId,
    body: c.updateConnectionRequest,
    responses: { 200: { description: 'Connection updated', json: c.connection } },
    errors: { 400: invalidInput, 404: 'Connection not found', 409: 'A connection with this name exists' },
  },
  {
    method: 'delete',
    path: '/api/v1/connections/{connection_id}',
    operationId: 'deleteConnection',
    tag: 'Connections',
    summary: 'Delete a connection',
    pathParams: connectionId,
    responses: { 204: { description: 'Connection deleted' } },
    errors: { 400: invalidInput, 404: 'Connection not found', 409: 'Tasks still use the connection' },
  },
  {
    method: 'post',
    path: '/api/v1/connections/{connection_id}/test',
    operationId: 'testConnection',
    tag: 'Connections',
    summary: 'Try a connection',
    description:
      'Connects as a review would (read-only) and reports the server version and round trip; a failure to ' +
      'connect is a 200 with ok=false.',
    pathParams: connectionId,
    responses: { 200: { description: 'What the connection attempt saw', json: c.connectionTest } },
    errors: { 400: invalidInput, 404: 'Connection not found' },
  },
  {
    method: 'get',
    path: '/api/v1/connections/{connection_id}/findings',
    operationId: 'listConnectionFindings',
    tag: 'Connections',
    summary: "Finding history of a connection's tasks",
    description:
      "Open findings of each task's latest completed run with first_seen (the run that listed it as new, " +
      "following the runs' changes chain), last_seen and runs; `state=resolved` lists findings resolved in " +
      'the last 30 days that have not come back.',
    pathParams: connectionId,
    query: findingHistoryQuery,
    responses: { 200: { description: 'The findings', json: c.findingHistory } },
    errors: { 400: invalidInput, 404: 'Connection not found' },
  },
];

const legacyResponses: Record<number, Response> = {
  308: {
    description: 'Moved to the same path and query under /api/v1/scheduler; 308 keeps the method and body',
    headers: { Location: { description: 'The /api/v1/scheduler URL', schema: { type: 'string' } } },
    json: c.redirect,
  },
};

const legacy: Operation[] = ['/api/scheduler', '/api/scheduler/{proxy+}'].flatMap((path) =>
  anyMethod.map((method) => ({
    method,
    path,
    operationId: `legacy${method[0].toUpperCase()}${method.slice(1)}${path.endsWith('}') ? 'Path' : 'Root'}`,
    tag: 'Legacy' as const,
    summary: 'Legacy base path: redirects to /api/v1/scheduler',
    deprecated: true,
    pathParams: path.endsWith('}')
      ? z.object({ 'proxy+': z.string().meta({ description: 'The rest of the path, one or more segments' }) })
      : undefined,
    responses: legacyResponses,
  })),
);

const documentation: Operation[] = [
  {
    method: 'get',
    path: '/api/v1/openapi.json',
    operationId: 'getOpenApiDocument',
    tag: 'Documentation',
    summary: 'This OpenAPI 3.1 document',
    public: true,
    responses: { 200: { description: 'The document', media: { 'application/json': { schema: { type: 'object' } } } } },
  },
  {
    method: 'get',
    path: '/api/v1/docs',
    operationId: 'getDocsPage',
    tag: 'Documentation',
    summary: 'Interactive API documentation (Swagger UI)',
    public: true,
    responses: { 200: { description: 'The page', media: text('text/html') } },
  },
  {
    method: 'get',
    path: '/api/v1/docs/assets/{file}',
    operationId: 'getDocsAsset',
    tag: 'Documentation',
    summary: "The docs page's scripts and styles",
    public: true,
    pathParams: docsAssetPath,
    responses: { 200: { description: 'The file', media: { ...text('text/javascript'), ...text('text/css') } } },
    errors: { 404: 'No such file' },
  },
];

export const operations: Operation[] = [
  ...scheduler,
  ...connections,
  ...notificationOperations,
  ...legacy,
  ...documentation,
];
