import { describe, expect, it } from 'vitest';
import { responseForError } from '../../lib/http/handler.js';
import { AppError } from '../../lib/http/errors.js';
import { legacyRedirect } from '../../lib/http/legacy-redirect.js';
import { apiEvent } from '../helpers/api.js';

process.env.LOG_LEVEL = 'silent';

const bodyOf = (error: unknown) => {
  const response = responseForError(error, apiEvent('GET', '/api/v1/scheduler/tasks'));
  return { status: response.statusCode, body: JSON.parse(response.body!) };
};

describe('error responses', () => {
  it('map each application error code to its status with the readable detail', () => {
    expect(bodyOf(new AppError('not_found', 'Task 1 not found'))).toEqual({
      status: 404,
      body: { detail: 'Task 1 not found' },
    });
    expect(bodyOf(new AppError('conflict', 'in use'))).toEqual({ status: 409, body: { detail: 'in use' } });
    expect(bodyOf(new AppError('validation', 'bad', [{ path: 'name', message: 'required' }]))).toEqual({
      status: 400,
      body: { detail: 'bad', errors: [{ path: 'name', message: 'required' }] },
    });
    expect(bodyOf(new AppError('unavailable', 'Redis is unavailable: down'))).toEqual({
      status: 503,
      body: { detail: 'Redis is unavailable: down' },
    });
  });

  it('classify database errors by SQLSTATE, not by message text', () => {
    const unique = Object.assign(new Error('whatever the server says'), { code: '23505' });
    expect(bodyOf(unique).status).toBe(409);
    const badInput = Object.assign(new Error('invalid input syntax'), { code: '22P02' });
    expect(bodyOf(badInput).status).toBe(400);
    const wrapped = Object.assign(new Error('Failed query: insert ...'), {
      cause: Object.assign(new Error('duplicate key'), { code: '23505' }),
    });
    expect(bodyOf(wrapped).status).toBe(409);
  });

  it('answer 503 when the service database cannot be reached', () => {
    const refused = Object.assign(new Error('Failed query: select ...'), {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    });
    expect(bodyOf(refused)).toEqual({
      status: 503,
      body: { detail: 'The service database is unavailable; try again shortly' },
    });
    expect(bodyOf(Object.assign(new Error('too many clients already'), { code: '53300' })).status).toBe(503);
  });

  it('never put a stack trace or SQL into a 500', () => {
    const failure = Object.assign(new Error('Failed query: select secret from vault where token = $1'), {
      code: 'XX000',
    });
    const { status, body } = bodyOf(failure);
    expect(status).toBe(500);
    expect(body).toEqual({ detail: 'Internal server error (request id test-request)' });
  });
});

describe('the legacy path', () => {
  it('redirects with 308 to the same path and query under /api/v1', () => {
    const response = legacyRedirect(apiEvent('POST', '/api/scheduler/tasks/3/run', { query: { a: '1' } }));
    expect(response.statusCode).toBe(308);
    expect(response.headers!.location).toBe('/api/v1/scheduler/tasks/3/run?a=1');
    expect(legacyRedirect(apiEvent('GET', '/api/scheduler')).headers!.location).toBe('/api/v1/scheduler');
  });
});
