import { html, SafeHtml } from '../report/html.js';
import { reportStyle } from '../report/report-style.js';
import type { Access, DashboardResult } from './access.js';
import { dashboardStyle } from './dashboard-style.js';
import { csrfCookie } from './session.js';

/** Scripts only from this origin (the one file the function serves), forms only to it, nothing else loaded. */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; " +
  "base-uri 'none'; frame-ancestors 'none'";
export const SCRIPT_PATH = '/dashboard/assets/dashboard.js';

const style = new SafeHtml(reportStyle + dashboardStyle);
const sections = [
  ['overview', '/dashboard', 'Overview'],
  ['tasks', '/dashboard/tasks', 'Tasks'],
  ['executions', '/dashboard/executions', 'Executions'],
] as const;
export type Section = (typeof sections)[number][0] | 'none';

export const htmlHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'referrer-policy': 'same-origin',
};

interface PageOptions {
  title: string;
  section: Section;
  access?: Access;
  status?: number;
}

export function page(options: PageOptions, body: SafeHtml): DashboardResult {
  const { title, section, access } = options;
  const document = html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>${title} · pg-reviewer</title>
        <style>
          ${style}
        </style>
        <script src="${SCRIPT_PATH}" defer></script>
      </head>
      <body>
        <a class="skip" href="#content">Skip to content</a>
        <nav class="top" aria-label="Dashboard">
          <span class="brand">pg-reviewer</span>
          ${sections.map(([id, href, label]) => html`<a href="${href}" ${section === id ? new SafeHtml(' aria-current="page"') : ''}>${label}</a>`)}
          ${access?.signedIn && html`<form method="post" action="/dashboard/sign-out">${csrfField(access)}<button type="submit">Sign out</button></form>`}
        </nav>
        <main id="content">${body}</main>
      </body>
    </html> `;
  return {
    statusCode: options.status ?? 200,
    headers: htmlHeaders,
    body: document.value,
    ...(access?.newCsrfCookie ? { cookies: [csrfCookie(access.csrfBasis)] } : {}),
  };
}

export const csrfField = (access: Access) => html`<input type="hidden" name="csrf" value="${access.csrf}" />`;

/** A button that posts to one of the dashboard's actions and comes back to `back`. */
export function actionButton(access: Access, action: string, label: string, back: string, primary = false): SafeHtml {
  return html`<form method="post" action="${action}">
    ${csrfField(access)}<input type="hidden" name="back" value="${back}" /><button
      type="submit"
      ${primary ? new SafeHtml(' class="primary"') : ''}
    >
      ${label}
    </button>
  </form>`;
}

export const severityPills = (summary: { critical?: number; warning?: number; info?: number } | null) =>
  summary
    ? html`<span class="pill sev-critical" title="critical">${summary.critical ?? 0} crit</span
        ><span class="pill sev-warning" title="warning">${summary.warning ?? 0} warn</span
        ><span class="pill sev-info" title="info">${summary.info ?? 0} info</span>`
    : '';
