import { createServer, type Server } from 'node:http';
import { handler as consumer } from '../../functions/scheduler/consumer.js';
import { startConsumersAt } from './environment.js';

/**
 * Stands in for the Lambda Invoke API (as serverless-offline's Lambda port does): an async
 * invocation of the consumer answers 202 and runs the real consumer handler in this process.
 * Consumers the service starts from now on are started here.
 */
export async function startLambdaEndpoint(): Promise<{
  url: string;
  invocations: unknown[];
  idle(): Promise<void>;
  close(): Promise<void>;
}> {
  const invocations: unknown[] = [];
  const running = new Set<Promise<unknown>>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const payload = JSON.parse(Buffer.concat(chunks).toString() || '{}');
      invocations.push({ path: req.url, type: req.headers['x-amz-invocation-type'], payload });
      const run = consumer(payload).finally(() => running.delete(run));
      running.add(run);
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  startConsumersAt(`http://127.0.0.1:${port}`);
  return {
    url: `http://127.0.0.1:${port}`,
    invocations,
    idle: async () => {
      while (running.size) await Promise.all(running);
    },
    close: () => new Promise((done) => server.close(() => done())),
  };
}
