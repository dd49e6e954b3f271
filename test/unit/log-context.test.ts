import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHandler } from '../../lib/http/handler.js';
import { log, withLogContext } from '../../lib/log/logger.js';
import { apiEvent } from '../helpers/api.js';
import { captureLogLines } from '../helpers/log-lines.js';

const lambdaContext = (awsRequestId: string) => ({
  functionName: 'pg-reviewer-dev-getTask',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:pg-reviewer-dev-getTask',
  memoryLimitInMB: '256',
  awsRequestId,
  getRemainingTimeInMillis: () => 10_000,
});

/** Every JSON line the logger printed while `run` ran. */
async function linesPrintedBy(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines = captureLogLines();
  try {
    await run();
  } finally {
    vi.restoreAllMocks();
  }
  return lines();
}

afterEach(() => vi.restoreAllMocks());

describe('log lines', () => {
  it('from an API function carry the function name, Lambda and API request ids, cold start and level', async () => {
    const handler = createHandler(
      {},
      async () => {
        log.info('listing tasks', { count: 3 });
        throw new Error('boom');
      },
      { public: true },
    );
    const lines = await linesPrintedBy(() =>
      handler(apiEvent('GET', '/api/v1/scheduler/tasks'), lambdaContext('lambda-1')),
    );
    expect(lines.map((line) => line.message)).toEqual(['listing tasks', 'request failed']);
    for (const line of lines) {
      expect(line).toMatchObject({
        function_name: 'pg-reviewer-dev-getTask',
        function_request_id: 'lambda-1',
        requestId: 'test-request',
        service: 'pg-reviewer',
      });
      expect(typeof line.cold_start).toBe('boolean');
    }
    expect(lines.map((line) => line.level)).toEqual(['INFO', 'ERROR']);
  });

  it('forget the previous request id once a request is over', async () => {
    const handler = createHandler(
      {},
      async () => {
        log.info('served');
        return { statusCode: 204 };
      },
      { public: true },
    );
    await linesPrintedBy(() => handler(apiEvent('GET', '/a'), lambdaContext('lambda-1')));
    const event = apiEvent('GET', '/b');
    event.requestContext = { requestId: 'second-request' };
    const [line] = await linesPrintedBy(() => handler(event, lambdaContext('lambda-2')));
    expect(line).toMatchObject({ function_request_id: 'lambda-2', requestId: 'second-request', cold_start: false });
  });

  it('from the tick and the consumer carry their Lambda request id', async () => {
    const handler = withLogContext(async (_event: unknown) => log.warn('drain finished', { executionId: 7 }));
    const [line] = await linesPrintedBy(() => handler({}, lambdaContext('consumer-9')));
    expect(line).toMatchObject({
      level: 'WARN',
      function_request_id: 'consumer-9',
      executionId: 7,
      message: 'drain finished',
    });
  });
});
