import { env } from '../env.js';
import { authorizeRequest } from '../http/auth.js';
import { AppError } from '../http/errors.js';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from '../http/types.js';
import {
  CSRF_COOKIE,
  SESSION_COOKIE,
  csrfToken,
  isValidCsrfToken,
  isValidSession,
  newCsrfBasis,
  requestCookies,
} from './session.js';

export type DashboardEvent = APIGatewayProxyEventV2 & { cookies?: string[] };
export type DashboardResult = APIGatewayProxyResultV2 & { cookies?: string[] };

export interface Access {
  /** Signed in with a session cookie (a sign-out button makes sense). */
  signedIn: boolean;
  /** What this page's forms send back, and the cookie to set when the browser has none yet. */
  csrf: string;
  csrfBasis: string;
  newCsrfCookie: boolean;
}

/**
 * The API's own rule decides (lib/http/auth.ts): open on a developer machine without tokens, a bearer
 * header, or an API Gateway authorizer. A browser, which cannot send a bearer header, may instead
 * present the session cookie it got by signing in with one of those tokens. Throws 401 or 503.
 */
export function checkAccess(event: DashboardEvent): Access {
  const cookies = requestCookies(event);
  const session = cookies.get(SESSION_COOKIE);
  const signedIn = isValidSession(session, env().API_TOKENS);
  if (!signedIn) authorizeRequest(event);
  const existing = cookies.get(CSRF_COOKIE);
  const csrfBasis = signedIn ? session! : existing && existing.length >= 32 ? existing : newCsrfBasis();
  return { signedIn, csrf: csrfToken(csrfBasis), csrfBasis, newCsrfCookie: !signedIn && csrfBasis !== existing };
}

/** A state-changing form must come from our own page: the right token, and no foreign Origin. */
export function checkCsrf(event: DashboardEvent, access: Access, presented: string | undefined): void {
  const origin = header(event, 'origin');
  const host = header(event, 'host');
  if (origin && host && hostOf(origin) !== host)
    throw new AppError('forbidden', 'This form was sent from another site');
  if (access.newCsrfCookie || !isValidCsrfToken(access.csrfBasis, presented)) {
    throw new AppError('forbidden', 'The form had no valid security token: reload the page and try again');
  }
}

/** True when no sign-in is needed at all (a developer machine without tokens). */
export function isOpen(): boolean {
  try {
    authorizeRequest({ rawPath: '/dashboard', headers: {} });
    return true;
  } catch {
    return false;
  }
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null; // "null" (an opaque origin) or garbage: not our page
  }
}

function header(event: DashboardEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === name && value) return value;
  return undefined;
}
