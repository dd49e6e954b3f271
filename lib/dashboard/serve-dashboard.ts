import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { authorizeRequest } from '../http/auth.js';
import { AppError, appErrorFromDatabase, fieldErrors, invalidFields, statusByCode } from '../http/errors.js';
import { log } from '../log/logger.js';
import { html } from '../report/html.js';
import { executionReport } from '../report/report.js';
import { checkAccess, checkCsrf, isOpen, type Access, type DashboardEvent, type DashboardResult } from './access.js';
import { applyTaskAction, taskActions, type TaskAction } from './actions.js';
import { connectionPage } from './connection-page.js';
import { dashboardScript } from './dashboard-script.js';
import { executionsPage, executionsPageQuery } from './executions-page.js';
import { formFields, safeReturnPath } from './form-body.js';
import { page } from './layout.js';
import { overviewPage } from './overview.js';
import { expiredSessionCookie, issueSession, sessionCookie } from './session.js';
import { signInPage } from './sign-in-page.js';
import { tasksPage, tasksPageQuery } from './tasks-page.js';

const ID = '(\\d{1,10})';
const routes = {
  connection: new RegExp(`^/dashboard/connections/${ID}$`),
  report: new RegExp(`^/dashboard/executions/${ID}/report$`),
  taskAction: new RegExp(`^/dashboard/tasks/${ID}/(${taskActions.join('|')})$`),
};

/** Every dashboard request: the pages, the sign-in, the buttons and the script file. */
export async function serveDashboard(event: DashboardEvent): Promise<DashboardResult> {
  const method = (event.requestContext?.http?.method ?? event.routeKey?.split(' ')[0] ?? 'GET').toUpperCase();
  const path = event.rawPath.replace(/\/+$/, '') || '/dashboard';
  try {
    if (method === 'GET' && path === '/dashboard/assets/dashboard.js') return script();
    if (path === '/dashboard/sign-in') return method === 'POST' ? await signIn(event) : signInForm(event);
    let access: Access;
    try {
      access = checkAccess(event);
    } catch (error) {
      if (error instanceof AppError && error.code === 'unauthorized') {
        const next = `${path}${event.rawQueryString ? `?${event.rawQueryString}` : ''}`;
        return method === 'GET'
          ? redirect(`/dashboard/sign-in?next=${encodeURIComponent(next)}`)
          : signInPage(safeReturnPath(next), 'Sign in first.', 401);
      }
      throw error;
    }
    if (method === 'GET') return await showPage(path, event, access);
    if (method === 'POST') return await submit(path, event, access);
    throw new AppError('not_found', 'No such page');
  } catch (error) {
    return errorPage(error, event);
  }
}

async function showPage(path: string, event: DashboardEvent, access: Access): Promise<DashboardResult> {
  if (path === '/dashboard') return overviewPage(access);
  if (path === '/dashboard/tasks') return tasksPage(access, parseQuery(event, tasksPageQuery));
  if (path === '/dashboard/executions') return executionsPage(access, parseQuery(event, executionsPageQuery));
  const connection = routes.connection.exec(path);
  if (connection) return connectionPage(access, Number(connection[1]));
  const report = routes.report.exec(path);
  if (report) return executionReport(Number(report[1]), 'html');
  throw new AppError('not_found', 'No such page');
}

async function submit(path: string, event: DashboardEvent, access: Access): Promise<DashboardResult> {
  const fields = formFields(event);
  checkCsrf(event, access, fields.get('csrf') ?? undefined);
  if (path === '/dashboard/sign-out') return { ...redirect('/dashboard/sign-in'), cookies: [expiredSessionCookie()] };
  const action = routes.taskAction.exec(path);
  if (!action) throw new AppError('not_found', 'No such action');
  await applyTaskAction(Number(action[1]), action[2] as TaskAction);
  return redirect(safeReturnPath(fields.get('back'), '/dashboard/tasks'));
}

function parseQuery<Schema extends z.ZodType>(event: DashboardEvent, schema: Schema): z.infer<Schema> {
  // An empty field of the filter form means "any".
  const given = Object.fromEntries(
    Object.entries(event.queryStringParameters ?? {}).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = schema.safeParse(given);
  if (!parsed.success) throw invalidFields('filter', fieldErrors(parsed.error as z.ZodError));
  return parsed.data;
}

function signInForm(event: DashboardEvent): DashboardResult {
  if (isOpen()) return redirect('/dashboard');
  return signInPage(safeReturnPath(event.queryStringParameters?.next));
}

/** Exchanges a bearer token for a session cookie, by the API's own rule for tokens. */
async function signIn(event: DashboardEvent): Promise<DashboardResult> {
  const fields = formFields(event);
  const next = safeReturnPath(fields.get('next'));
  if (isOpen()) return redirect(next);
  const token = (fields.get('token') ?? '').trim();
  try {
    authorizeRequest({ rawPath: '/dashboard/sign-in', headers: { authorization: `Bearer ${token}` } });
  } catch (error) {
    if (error instanceof AppError && error.code === 'unauthorized')
      return signInPage(next, 'That token is not accepted.', 401);
    throw error;
  }
  return { ...redirect(next), cookies: [sessionCookie(issueSession(token))] };
}

function script(): DashboardResult {
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=3600',
      'x-content-type-options': 'nosniff',
    },
    body: dashboardScript,
  };
}

const redirect = (location: string): DashboardResult => ({
  statusCode: 303,
  headers: { location, 'cache-control': 'no-store' },
  body: '',
});

/**
 * The API's error rules, as a page: the message for a 4xx, only a request id for a 500 (the detail goes to the log).
 */
function errorPage(error: unknown, event: DashboardEvent): DashboardResult {
  const appError =
    error instanceof AppError
      ? error
      : (appErrorFromDatabase(error) ?? new AppError('internal', 'Internal server error'));
  const status = statusByCode[appError.code];
  let message = appError.message;
  if (appError.code === 'internal') {
    const requestId = event.requestContext?.requestId ?? randomUUID();
    log.error('dashboard request failed', {
      requestId,
      path: event.rawPath,
      error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
    });
    message = `Internal server error (request id ${requestId})`;
  } else if (status >= 500) {
    log.warn('dashboard request could not be served', { path: event.rawPath, detail: appError.message });
  }
  const title =
    status === 404 ? 'Not found' : status === 403 ? 'Refused' : status >= 500 ? 'Unavailable' : 'Cannot do that';
  return page(
    { title, section: 'none', status },
    html`<h1>${title}</h1>
      <p class="notice error" role="alert">${message}</p>
      <p><a href="/dashboard">Back to the overview</a></p>`,
  );
}
