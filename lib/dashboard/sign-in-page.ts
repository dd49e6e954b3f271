import { html } from '../report/html.js';
import type { Access, DashboardResult } from './access.js';
import { page } from './layout.js';

/** The form that exchanges an API token for a session cookie; `problem` explains a refused attempt. */
export function signInPage(next: string, problem?: string, status = 200, access?: Access): DashboardResult {
  return page(
    { title: 'Sign in', section: 'none', status, access },
    html`<h1>Sign in</h1>
      <p class="subtitle">
        Paste one of the API's bearer tokens (<code>API_TOKENS</code>). It is checked once and kept only as a signed
        session cookie for this browser.
      </p>
      ${problem && html`<p class="notice error" role="alert">${problem}</p>`}
      <form class="sign-in" method="post" action="/dashboard/sign-in">
        ${access && html`<input type="hidden" name="csrf" value="${access.csrf}" />`}
        <input type="hidden" name="next" value="${next}" />
        <label
          >API token <input type="password" name="token" autocomplete="current-password" required autofocus
        /></label>
        <button class="primary" type="submit">Sign in</button>
      </form>`,
  );
}
