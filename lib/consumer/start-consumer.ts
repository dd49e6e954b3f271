import type { LambdaClient } from '@aws-sdk/client-lambda';
import { env } from '../env.js';
import { log } from '../log/logger.js';

// Loaded on first use: the SDK takes ~130 ms to import, and most functions that bundle this module
// (every task endpoint) never start a consumer on a given cold start.
let sdk: Promise<typeof import('@aws-sdk/client-lambda')> | undefined;
let client: LambdaClient | undefined;

async function lambda() {
  const { LambdaClient, InvokeCommand } = await (sdk ??= import('@aws-sdk/client-lambda'));
  if (!client) {
    const { LAMBDA_ENDPOINT, AWS_REGION } = env();
    client = new LambdaClient({
      region: AWS_REGION,
      maxAttempts: 1,
      // serverless-offline's Lambda port accepts any credentials; on AWS the function's role signs.
      ...(LAMBDA_ENDPOINT
        ? { endpoint: LAMBDA_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
        : {}),
    });
  }
  return { client, InvokeCommand };
}

/**
 * Starts the consumer now, asynchronously, optionally with ids to run before it drains the queue.
 * Failure is not fatal: the executions stay queued and the next tick pushes them onto the queue.
 */
export async function startConsumer(executionIds: number[] = []): Promise<boolean> {
  try {
    const { client, InvokeCommand } = await lambda();
    await client.send(
      new InvokeCommand({
        FunctionName: env().CONSUMER_FUNCTION_NAME,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify({ executionIds })),
      }),
    );
    return true;
  } catch (error) {
    log.warn('could not start the consumer now; the next tick will queue the execution', {
      executionIds,
      error: (error as Error).message,
    });
    return false;
  }
}
