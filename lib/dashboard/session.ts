import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { env } from '../env.js';

export const SESSION_COOKIE = 'pgr_session';
export const CSRF_COOKIE = 'pgr_csrf';
/** A browser signs in again after this long. */
export const SESSION_SECONDS = 12 * 3600;
const COOKIE_ATTRIBUTES = 'Path=/dashboard; HttpOnly; Secure; SameSite=Strict';

let key: Buffer | undefined;

/**
 * Sessions and CSRF tokens are signed with a key derived from the newest of ENCRYPTION_KEYS: a secret every
 * stage already has, and a different key from the one that encrypts passwords (a rotation signs everyone out).
 */
function signingKey(): Buffer {
  key ??= Buffer.from(
    hkdfSync(
      'sha256',
      Buffer.from(env().ENCRYPTION_KEYS[0], 'base64'),
      Buffer.alloc(0),
      'pg-reviewer dashboard session',
      32,
    ),
  );
  return key;
}

const sign = (text: string) => createHmac('sha256', signingKey()).update(text).digest('base64url');

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Names the token a session came from without revealing it, so removing a token from API_TOKENS ends its sessions. */
const tokenTag = (token: string) => sign(`token:${token}`).slice(0, 22);

/** `v1.<expires, epoch seconds>.<token tag>.<signature>` */
export function issueSession(token: string, now = Date.now()): string {
  const payload = `v1.${Math.floor(now / 1000) + SESSION_SECONDS}.${tokenTag(token)}`;
  return `${payload}.${sign(payload)}`;
}

export function isValidSession(value: string | undefined, tokens: readonly string[], now = Date.now()): boolean {
  if (!value) return false;
  const parts = value.split('.');
  if (parts.length !== 4 || parts[0] !== 'v1') return false;
  const payload = parts.slice(0, 3).join('.');
  if (!sameText(parts[3], sign(payload))) return false;
  if (Number(parts[1]) * 1000 <= now) return false;
  return tokens.some((token) => sameText(parts[2], tokenTag(token)));
}

export const sessionCookie = (value: string) =>
  `${SESSION_COOKIE}=${value}; ${COOKIE_ATTRIBUTES}; Max-Age=${SESSION_SECONDS}`;
export const expiredSessionCookie = () => `${SESSION_COOKIE}=; ${COOKIE_ATTRIBUTES}; Max-Age=0`;

/**
 * The value a page's forms must send back: bound to the session, or to the browser's own random cookie where no
 * sign-in is needed.
 */
export const csrfToken = (basis: string) => sign(`csrf:${basis}`);
export const isValidCsrfToken = (basis: string, presented: string | undefined) =>
  presented !== undefined && sameText(presented, csrfToken(basis));
export const newCsrfBasis = () => randomBytes(24).toString('base64url');
export const csrfCookie = (value: string) => `${CSRF_COOKIE}=${value}; ${COOKIE_ATTRIBUTES}`;

/** Cookies of the request: API Gateway v2 gathers them in `cookies`, other callers send the header. */
export function requestCookies(event: {
  cookies?: string[];
  headers?: Record<string, string | undefined>;
}): Map<string, string> {
  const pairs = [
    ...(event.cookies ?? []),
    ...Object.entries(event.headers ?? {})
      .filter(([name]) => name.toLowerCase() === 'cookie')
      .flatMap(([, value]) => (value ?? '').split(';')),
  ];
  const cookies = new Map<string, string>();
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at > 0) cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
  }
  return cookies;
}
