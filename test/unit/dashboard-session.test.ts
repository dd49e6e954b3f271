import { describe, expect, it } from 'vitest';
import { safeReturnPath } from '../../lib/dashboard/form-body.js';
import {
  csrfToken,
  isValidCsrfToken,
  isValidSession,
  issueSession,
  SESSION_SECONDS,
} from '../../lib/dashboard/session.js';

const TOKEN = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const now = Date.UTC(2026, 0, 1);

describe('dashboard sessions', () => {
  it('accept a session while its token is configured and it has not expired', () => {
    const session = issueSession(TOKEN, now);
    expect(isValidSession(session, [OTHER, TOKEN], now + 1000)).toBe(true);
    expect(isValidSession(session, [TOKEN], now + SESSION_SECONDS * 1000 - 1000)).toBe(true);
  });

  it('end when they expire or their token is removed from API_TOKENS', () => {
    const session = issueSession(TOKEN, now);
    expect(isValidSession(session, [TOKEN], now + SESSION_SECONDS * 1000)).toBe(false);
    expect(isValidSession(session, [OTHER], now)).toBe(false);
  });

  it('refuse a changed expiry, a changed signature and garbage', () => {
    const session = issueSession(TOKEN, now);
    const [version, expires, tag, signature] = session.split('.');
    expect(isValidSession([version, Number(expires) + 3600, tag, signature].join('.'), [TOKEN], now)).toBe(false);
    expect(
      isValidSession(
        [version, expires, tag, signature.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))].join('.'),
        [TOKEN],
        now,
      ),
    ).toBe(false);
    expect(isValidSession('v1.1.2.3', [TOKEN], now)).toBe(false);
    expect(isValidSession(undefined, [TOKEN], now)).toBe(false);
    expect(session).not.toContain(TOKEN);
  });

  it('bind CSRF tokens to what they were issued for', () => {
    expect(isValidCsrfToken('session-one', csrfToken('session-one'))).toBe(true);
    expect(isValidCsrfToken('session-two', csrfToken('session-one'))).toBe(false);
    expect(isValidCsrfToken('session-one', undefined)).toBe(false);
  });
});

describe('where a form may return to', () => {
  it('is a dashboard page of this site, never another site', () => {
    expect(safeReturnPath('/dashboard/tasks')).toBe('/dashboard/tasks');
    expect(safeReturnPath('/dashboard/executions?task_id=3&limit=20')).toBe('/dashboard/executions?task_id=3&limit=20');
    for (const bad of [
      'https://evil.example/',
      '//evil.example',
      '/dashboard//evil.example',
      '/dashboardx',
      '/api/v1/scheduler/tasks',
      '/dashboard/../api',
      null,
    ]) {
      expect(safeReturnPath(bad)).toBe('/dashboard');
    }
  });
});
