import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { env } from '../env.js';
import { log } from '../log/logger.js';

let client: LambdaClient | undefined;

function lambda(): LambdaClient {
  if (!client) {
    const { LAMBDA_ENDPOINT, AWS_REGION } = env();
    client = new LambdaClient({
      region: AWS_REGION,
      maxAttempts: 1,
      // serverless-offline's Lambda port accepts any credentials; on AWS the function's role signs.
      ...(LAMBDA_ENDPOINT ? { endpoint: LAMBDA_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    });
  }
  return client;
}

/**
 * Starts the consumer now, asynchronously, optionally with ids to run before it drains the queue.
 * Failure is not fatal: the executions stay queued and the next tick pushes them onto the queue.
 */
export async function startConsumer(executionIds: number[] = []): Promise<boolean> {
  try {
    await lambda().send(
      new InvokeCommand({
        FunctionName: env().CONSUMER_FUNCTION_NAME,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify({ executionIds })),
      }),
    );
    return true;
  } catch (error) {
    log.warn('could not start the consumer now; the next tick will queue the execution', { executionIds, error: (error as Error).message });
    return false;
  }
}
