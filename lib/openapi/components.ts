import { z } from 'zod';
import { createConnectionBody, updateConnectionBody } from '../connections/connection-schemas.js';
import { deliveryResponse } from '../notifications/response-schemas.js';
import { taskParamsSchema } from '../tasks/task-params.js';
import { createTaskBody, updateTaskBody } from '../tasks/task-schemas.js';
import {
  connectionResponse,
  connectionTestResponse,
  errorBody,
  executionResponse,
  fieldError,
  findingHistoryResponse,
  queueStatusResponse,
  redirectBody,
  reviewResult,
  statsResponse,
  taskQueuedResponse,
  taskResponse,
  taskStartedResponse,
} from './response-schemas.js';

// Named schemas become components/schemas in the document, referenced by $ref. Requests are
// rendered as what a client may send (defaults optional), responses as what it gets back.
export const requestComponents = z.registry<{ id: string }>();
export const responseComponents = z.registry<{ id: string }>();

function request<T extends z.ZodType>(id: string, schema: T): T {
  requestComponents.add(schema, { id });
  return schema;
}

function response<T extends z.ZodType>(id: string, schema: T): T {
  responseComponents.add(schema, { id });
  return schema;
}

// The handlers take task_params as any object and validate it with taskParamsSchema for the task
// type, so the document shows that schema in its place.
export const createTaskRequest = request(
  'CreateTask',
  createTaskBody.extend({
    cron_schedule: createTaskBody.shape.cron_schedule.meta({
      description:
        'Five cron fields or @hourly, @daily/@midnight, @weekly, @monthly, @yearly/@annually; no seconds field',
      examples: ['0 2 * * *'],
    }),
    timezone: createTaskBody.shape.timezone.meta({ description: 'IANA time zone the schedule is read in' }),
    task_params: taskParamsSchema.optional().meta({
      description:
        'custom_sql is required for, and only for, task_type custom_sql; analysis_target defaults by task type',
    }),
  }),
);

// task_type and connection_id cannot be changed (sending them is a 400), so they are not offered.
export const updateTaskRequest = request(
  'UpdateTask',
  updateTaskBody.omit({ task_type: true, connection_id: true }).extend({
    task_params: z.record(z.string(), z.unknown()).optional().meta({
      description:
        'Merged into the stored params (a key set to null is removed); the result is validated as TaskParams',
    }),
  }),
);

export const createConnectionRequest = request(
  'CreateConnection',
  createConnectionBody.extend({
    password: createConnectionBody.shape.password.meta({
      description: 'Encrypted at rest (AES-256-GCM) and never returned',
    }),
  }),
);

export const updateConnectionRequest = request(
  'UpdateConnection',
  updateConnectionBody.extend({
    password: updateConnectionBody.shape.password.meta({ description: 'null removes the stored password' }),
  }),
);

response('TaskParams', taskParamsSchema);
response('ReviewResult', reviewResult);
response('FieldError', fieldError);
export const task = response('Task', taskResponse);
export const taskList = response('TaskList', z.array(taskResponse));
export const execution = response('Execution', executionResponse);
export const executionList = response('ExecutionList', z.array(executionResponse));
export const executionWithNotifications = response(
  'ExecutionWithNotifications',
  executionResponse.extend({
    notifications: z
      .array(deliveryResponse)
      .meta({ description: 'The notifications this run caused, with their delivery state' }),
  }),
);
export const connection = response('Connection', connectionResponse);
export const connectionList = response('ConnectionList', z.array(connectionResponse));
export const connectionTest = response('ConnectionTest', connectionTestResponse);
export const taskStarted = response('TaskStarted', taskStartedResponse);
export const taskQueued = response('TaskQueued', taskQueuedResponse);
export const queueStatus = response('QueueStatus', queueStatusResponse);
export const stats = response('SchedulerStats', statsResponse);
export const findingHistory = response('FindingHistory', findingHistoryResponse);
export const error = response('Error', errorBody);
export const redirect = response('Redirect', redirectBody);
