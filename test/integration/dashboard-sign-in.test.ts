import { randomBytes } from 'node:crypto';
import { type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as dashboard } from '../../functions/dashboard/page.js';
import { handler as listTasks } from '../../functions/tasks/list.js';
import { apiEvent, call } from '../helpers/api.js';
import { serveHandlerOverHttp } from '../helpers/dashboard-server.js';
import { handler as createConnection } from '../../functions/connections/create.js';
import { handler as createTask } from '../../functions/tasks/create.js';
import { launchBrowser } from '../helpers/browser.js';
import { withoutConsumerStarts } from '../helpers/environment.js';

// The shared set-up turns authentication off; here tokens are on, as on a deployed stage, before
// any handler reads the environment.
const TOKEN = randomBytes(32).toString('hex');
const WRONG_TOKEN = randomBytes(32).toString('hex');
process.env.API_AUTH = 'tokens';
process.env.API_TOKENS = TOKEN;
withoutConsumerStarts();

let browser: Browser;
let server: Awaited<ReturnType<typeof serveHandlerOverHttp>>;
let taskId: number;
const bearer = { authorization: `Bearer ${TOKEN}` };

beforeAll(async () => {
  browser = await launchBrowser();
  server = await serveHandlerOverHttp(dashboard, 0);
  const connection = await call(
    createConnection,
    apiEvent('POST', '/api/v1/connections', {
      headers: bearer,
      body: { name: 'guarded', host: '127.0.0.1', database: 'postgres', username: 'postgres', sslmode: 'disable' },
    }),
  );
  expect(connection.status).toBe(201);
  const task = await call(
    createTask,
    apiEvent('POST', '/api/v1/scheduler/tasks', {
      headers: bearer,
      body: {
        name: 'Guarded',
        task_type: 'custom_sql',
        connection_id: connection.body.id,
        cron_schedule: '@daily',
        task_params: { custom_sql: 'select 1' },
      },
    }),
  );
  taskId = task.body.id;
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('signing in to the dashboard with tokens configured', () => {
  it('sends a browser without a session to the sign-in form and shows no data', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(`${server.url}/dashboard/tasks`);
    expect(page.url()).toBe(`${server.url}/dashboard/sign-in?next=%2Fdashboard%2Ftasks`);
    expect(response?.status()).toBe(200);
    expect(await page.content()).not.toContain('Guarded');
    const refused = await context.request.post(`${server.url}/dashboard/tasks/${taskId}/pause`, {
      form: { csrf: 'x' },
      maxRedirects: 0,
    });
    expect(refused.status()).toBe(401);
    await context.close();
  });

  it('refuses a wrong token and sets no cookie', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/dashboard/sign-in`);
    await page.getByLabel('API token').fill(WRONG_TOKEN);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    expect(response.status()).toBe(401);
    expect(await page.getByRole('alert').innerText()).toBe('That token is not accepted.');
    expect(await context.cookies()).toEqual([]);
    await context.close();
  });

  it(
    'exchanges the right token for an HttpOnly, Secure, SameSite=Strict expiring session cookie and shows the ' +
      'page asked for',
    async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${server.url}/dashboard/tasks`);
      await page.getByLabel('API token').fill(TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${server.url}/dashboard/tasks`);
      expect(await page.locator(`#tasks tr[data-task-id="${taskId}"]`).innerText()).toContain('Guarded');

      const [session] = (await context.cookies()).filter((c) => c.name === 'pgr_session');
      expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/dashboard' });
      const hoursLeft = (session.expires * 1000 - Date.now()) / 3_600_000;
      expect(hoursLeft).toBeGreaterThan(11.9);
      expect(hoursLeft).toBeLessThanOrEqual(12);
      // The cookie is a signature, not the token.
      expect(session.value).not.toContain(TOKEN);
      expect(await page.evaluate(() => document.cookie)).toBe('');

      // A button works with the session and its CSRF token; the API shows the task paused.
      await page.locator(`#tasks tr[data-task-id="${taskId}"]`).getByRole('button', { name: 'Pause' }).click();
      await page.waitForLoadState();
      const tasks = await call(listTasks, apiEvent('GET', '/api/v1/scheduler/tasks', { headers: bearer }));
      expect(tasks.body.find((t: { id: number }) => t.id === taskId).is_active).toBe(false);

      // Without the form's token the same session is refused.
      const forged = await context.request.post(`${server.url}/dashboard/tasks/${taskId}/resume`, {
        form: { back: '/dashboard/tasks' },
        maxRedirects: 0,
      });
      expect(forged.status()).toBe(403);

      // A tampered cookie is no session.
      await context.addCookies([
        { ...session, value: session.value.replace(/\.\d+\./, `.${Math.floor(Date.now() / 1000) + 999_999}.`) },
      ]);
      await page.goto(`${server.url}/dashboard`);
      expect(page.url()).toContain('/dashboard/sign-in');
      await context.close();
    },
  );

  it('signs out: the cookie is removed and the pages ask for a token again', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/dashboard/sign-in`);
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/dashboard`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/dashboard\/sign-in/);
    expect((await context.cookies()).filter((c) => c.name === 'pgr_session')).toEqual([]);
    await page.goto(`${server.url}/dashboard/tasks`);
    expect(page.url()).toContain('/dashboard/sign-in');
    await context.close();
  });

  it('still serves the pages to a caller with the bearer header, as the API does', async () => {
    const response = await dashboard(apiEvent('GET', '/dashboard', { headers: bearer }));
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<h1>Overview</h1>');
  });
});
