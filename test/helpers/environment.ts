// Settings an integration test file changes from the defaults isolated-service-db.ts gives it. lib/env.ts reads
// the environment once, at first use: call these at the top of a test file, or in beforeAll before anything runs.

/** The consumer function's name in the invocations a stand-in Lambda endpoint receives. */
export const TEST_CONSUMER_FUNCTION = 'pg-reviewer-test-consumer';

/**
 * Starting a consumer (`run`, `queue`, the tick) fails at once, on a port nothing listens on: the executions
 * stay queued for the test to drain itself.
 */
export function withoutConsumerStarts(): void {
  process.env.LAMBDA_ENDPOINT = 'http://127.0.0.1:9';
}

/** Consumers are started through the Lambda Invoke API at `url`, as TEST_CONSUMER_FUNCTION. */
export function startConsumersAt(url: string): void {
  process.env.LAMBDA_ENDPOINT = url;
  process.env.CONSUMER_FUNCTION_NAME = TEST_CONSUMER_FUNCTION;
}
