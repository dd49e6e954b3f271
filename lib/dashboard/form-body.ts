import type { APIGatewayProxyEventV2 } from '../http/types.js';

/**
 * The fields of an HTML form post (application/x-www-form-urlencoded); API Gateway may pass the body base64-encoded.
 */
export function formFields(event: APIGatewayProxyEventV2): URLSearchParams {
  const raw = typeof event.body === 'string' ? event.body : '';
  // A form of ours is a few hundred bytes; a huge body is not one.
  if (raw.length > 16_384) return new URLSearchParams();
  return new URLSearchParams(event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw);
}

/** Where a form may send the browser back to: a dashboard page of this site, nothing else. */
export function safeReturnPath(value: string | null | undefined, fallback = '/dashboard'): string {
  return value && /^\/dashboard(\/[\w\-./?=&%]*)?$/.test(value) && !value.includes('//') && !value.includes('..')
    ? value
    : fallback;
}
