import type { APIGatewayProxyResultV2 } from './types.js';

const jsonHeaders = { 'content-type': 'application/json; charset=utf-8' };

export function json(statusCode: number, body: unknown): APIGatewayProxyResultV2 {
  return { statusCode, headers: jsonHeaders, body: JSON.stringify(body) };
}

export const ok = (body: unknown) => json(200, body);
/** A 200 whose body is JSON text already serialized, with its entity tag. */
export const okJsonText = (body: string, etag: string): APIGatewayProxyResultV2 => ({
  statusCode: 200,
  headers: { ...jsonHeaders, etag },
  body,
});
/** The caller's copy is current (If-None-Match): no body. */
export const notModified = (etag: string): APIGatewayProxyResultV2 => ({
  statusCode: 304,
  headers: { etag },
  body: '',
});
export const created = (body: unknown) => json(201, body);
export const noContent = (): APIGatewayProxyResultV2 => ({ statusCode: 204, headers: {}, body: '' });

/** Timestamps leave the API as ISO 8601 in UTC, or null. */
export const iso = (date: Date | null) => (date ? date.toISOString() : null);
