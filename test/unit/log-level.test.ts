import { afterEach, describe, expect, it, vi } from 'vitest';
import { captureLogLines } from '../helpers/log-lines.js';

// As a deployed function is configured: the level is in the environment before anything is imported.
process.env.LOG_LEVEL = 'warn';
const { log, withLogContext } = await import('../../lib/log/logger.js');

const lambdaContext = (awsRequestId: string) => ({
  functionName: 'pg-reviewer-dev-consumer',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:pg-reviewer-dev-consumer',
  memoryLimitInMB: '1024',
  awsRequestId,
  getRemainingTimeInMillis: () => 10_000,
});

afterEach(() => vi.restoreAllMocks());

describe('LOG_LEVEL', () => {
  it('holds for every invocation of a warm container, not only its first', async () => {
    const handler = withLogContext(async (_event: unknown) => {
      log.info('execution started');
      log.warn('drain stopped early');
    });
    const lines = captureLogLines();
    for (const request of ['first', 'second', 'third']) await handler({}, lambdaContext(request));
    expect(lines().map((line) => [line.function_request_id, line.level, line.message])).toEqual([
      ['first', 'WARN', 'drain stopped early'],
      ['second', 'WARN', 'drain stopped early'],
      ['third', 'WARN', 'drain stopped early'],
    ]);
  });
});
