import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from './types.js';

const LEGACY_PREFIX = '/api/scheduler';
const CURRENT_PREFIX = '/api/v1/scheduler';

/** 308 keeps the method and body, so a legacy POST is replayed against /api/v1 as a POST. */
export function legacyRedirect(event: APIGatewayProxyEventV2): APIGatewayProxyResultV2 {
  const path = event.rawPath.startsWith(LEGACY_PREFIX)
    ? CURRENT_PREFIX + event.rawPath.slice(LEGACY_PREFIX.length)
    : CURRENT_PREFIX;
  const location = event.rawQueryString ? `${path}?${event.rawQueryString}` : path;
  return {
    statusCode: 308,
    headers: { location, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ detail: `This API moved to ${CURRENT_PREFIX}`, location }),
  };
}
