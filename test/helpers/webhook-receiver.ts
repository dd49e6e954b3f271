import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as signed. */
  body: string;
  json: any;
}

export interface WebhookReceiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** Decides the answer to each request (default 200 "ok"). */
  respond: (request: ReceivedRequest) => { status: number; body?: string };
  /** Answers after this long, as a slow receiver does. */
  delayMs: number;
  /** Stops listening: connections are refused until start() on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A real HTTP receiver on a random loopback port that records what it was sent. */
export async function startWebhookReceiver(path = '/hook'): Promise<WebhookReceiver> {
  let server: Server | undefined;
  const receiver: WebhookReceiver = {
    url: '',
    port: 0,
    requests: [],
    respond: () => ({ status: 200, body: 'ok' }),
    delayMs: 0,
    stop: () =>
      new Promise((done) => {
        if (!server) return done();
        server.closeAllConnections();
        server.close(() => done());
        server = undefined;
      }),
    start: () =>
      new Promise((done) => {
        server = createServer((req, res) => {
          const chunks: Buffer[] = [];
          req.on('data', (c) => chunks.push(c));
          req.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = JSON.parse(body);
            } catch {
              json = undefined;
            }
            const request = { method: req.method ?? '', headers: req.headers, body, json };
            receiver.requests.push(request);
            const answer = receiver.respond(request);
            setTimeout(
              () => res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body ?? ''),
              receiver.delayMs,
            );
          });
        });
        server.listen(receiver.port, '127.0.0.1', () => {
          receiver.port = (server!.address() as AddressInfo).port;
          receiver.url = `http://127.0.0.1:${receiver.port}${path}`;
          done();
        });
      }),
  };
  await receiver.start();
  return receiver;
}

/** A loopback port nothing listens on: connections to it are refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}
