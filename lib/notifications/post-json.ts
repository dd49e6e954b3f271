import http from 'node:http';
import https from 'node:https';
import { guardedLookup, literalAddress, refusalFor } from './destination-guard.js';

export interface PostResult {
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  /** Why it did not count as delivered; never the URL (it may carry a token). */
  error: string | null;
}

// Enough of a refusal's body to say why (Slack answers "invalid_blocks", say), not a page of HTML.
const ERROR_BODY_CHARS = 300;

/**
 * POSTs one JSON document. Never throws: every outcome, a refused destination included, is a
 * result to record. Redirects are not followed (the next hop would escape the destination check).
 */
export async function postJson(
  url: URL,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<PostResult> {
  const started = performance.now();
  const done = (statusCode: number | null, error: string | null): PostResult => ({
    ok: error === null,
    statusCode,
    durationMs: Math.round(performance.now() - started),
    error,
  });
  const literal = literalAddress(url);
  const refusal = literal ? refusalFor(literal, url.protocol) : null;
  if (refusal) return done(null, `Refused: ${refusal}`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return done(null, `Refused: ${url.protocol} is not http or https`);

  return new Promise((resolve) => {
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(url.protocol),
        agent: false,
        signal: AbortSignal.timeout(timeoutMs),
      },
      (response) => {
        const chunks: Buffer[] = [];
        let length = 0;
        response.on('data', (chunk: Buffer) => {
          if (length < ERROR_BODY_CHARS) chunks.push(chunk);
          length += chunk.length;
        });
        response.on('error', (error) => resolve(done(response.statusCode ?? null, describe(error, timeoutMs))));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(done(status, null));
          const text = Buffer.concat(chunks).toString('utf8').slice(0, ERROR_BODY_CHARS).replace(/\s+/g, ' ').trim();
          const what = status >= 300 && status < 400 ? 'redirects are not followed' : `the receiver answered ${status}`;
          resolve(done(status, text ? `${what}: ${text}` : what));
        });
      },
    );
    request.on('error', (error) => resolve(done(null, describe(error, timeoutMs))));
    request.end(body);
  });
}

function describe(error: Error, timeoutMs: number): string {
  if (error.name === 'AbortError' || error.name === 'TimeoutError') return `No answer within ${timeoutMs / 1000} s`;
  if (error.name === 'DestinationRefused') return `Refused: ${error.message}`;
  return error.message;
}
