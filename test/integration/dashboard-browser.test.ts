import { mkdirSync, statSync } from 'node:fs';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as dashboard } from '../../functions/dashboard/page.js';
import { handler as listExecutions } from '../../functions/executions/list.js';
import { handler as getTask } from '../../functions/tasks/get.js';
import { apiEvent, call } from '../helpers/api.js';
import { serveHandlerOverHttp } from '../helpers/dashboard-server.js';
import { createTargetConnection, createTaskVia } from '../helpers/factories.js';
import { reviewNow } from '../helpers/review-now.js';
import { createTargetDatabase, type TargetDatabase } from '../helpers/target-db.js';
import { launchBrowser } from '../helpers/browser.js';
import { withoutConsumerStarts } from '../helpers/environment.js';

// Real reviews of a database on the target cluster, the dashboard served over HTTP as API Gateway
// would, and Debian's Chromium clicking through it. Authentication is off here (a developer
// machine without tokens); test/integration/dashboard-sign-in.test.ts covers signing in.

withoutConsumerStarts();

const ARTIFACTS = 'test-artifacts';
const HOSTILE_TABLE = '<img src=x onerror=alert(1)>';

let db: TargetDatabase;
let browser: Browser;
let context: BrowserContext;
let server: Awaited<ReturnType<typeof serveHandlerOverHttp>>;
let connectionId: number;
let tablesTaskId: number;
let configTaskId: number;
const tableRuns: Array<{ id: number; completed_at: string }> = [];
const problems: string[] = [];

/** A page that fails the test on any console error, uncaught exception or request to another origin. */
async function open(path: string, width = 1280): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize({ width, height: 900 });
  page.on('console', (message) => message.type() === 'error' && problems.push(`${path}: console: ${message.text()}`));
  page.on('pageerror', (error) => problems.push(`${path}: ${error.message}`));
  page.on('dialog', (dialog) => problems.push(`${path}: dialog ${dialog.message()}`));
  page.on(
    'request',
    (request) => !request.url().startsWith(server.url) && problems.push(`${path}: requested ${request.url()}`),
  );
  const response = await page.goto(`${server.url}${path}`);
  expect(response?.status()).toBe(200);
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
  return page;
}

const text = async (page: Page, selector: string) =>
  (await page.locator(selector).first().innerText()).replace(/\s+/g, ' ').trim();
const apiTask = async (id: number) =>
  (await call(getTask, apiEvent('GET', `/api/v1/scheduler/tasks/${id}`, { path: { task_id: String(id) } }))).body;
const shoot = async (page: Page, name: string) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
  expect(statSync(`${ARTIFACTS}/${name}.png`).size).toBeGreaterThan(10_000);
};

beforeAll(async () => {
  browser = await launchBrowser();
  context = await browser.newContext({ timezoneId: 'America/New_York' });
  server = await serveHandlerOverHttp(dashboard, 0);
  db = await createTargetDatabase('dashboard');
  await db.admin.unsafe(`
    create table customers (id int primary key, email text);
    create index customers_email on customers (email);
    create index customers_email_dup on customers (email);
    create table "${HOSTILE_TABLE}" (v text);`);
  connectionId = (await createTargetConnection(db.name, { name: `shop-${db.name}` })).id;
  tablesTaskId = (
    await createTaskVia({
      name: 'Nightly tables',
      task_type: 'table_analysis',
      connection_id: connectionId,
      cron_schedule: '0 3 * * *',
      timezone: 'Europe/Berlin',
      task_params: { analysis_target: 'tables' },
    })
  ).id;
  configTaskId = (
    await createTaskVia({
      name: 'Config drift',
      task_type: 'config_check',
      connection_id: connectionId,
      cron_schedule: '@hourly',
      task_params: { analysis_target: 'config' },
    })
  ).id;
  await reviewNow(configTaskId);
  // Three table reviews: clean of the planted problem, it appears, it persists.
  tableRuns.push(await reviewNow(tablesTaskId));
  await db.admin`create table orders_no_pk (id int, total numeric)`;
  tableRuns.push(await reviewNow(tablesTaskId));
  tableRuns.push(await reviewNow(tablesTaskId));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await db?.drop();
});

describe('the dashboard in Chromium', () => {
  it('lists the connection on the overview with its latest reviews, counts and trend', async () => {
    const page = await open('/dashboard');
    expect(await page.title()).toBe('Overview · pg-reviewer');
    const row = page.locator(`#connections tr[data-connection-id="${connectionId}"]`);
    expect(await row.getByRole('link', { name: `shop-${db.name}` }).getAttribute('href')).toBe(
      `/dashboard/connections/${connectionId}`,
    );
    const tables = row.locator('a.review[data-task-type=table_analysis]');
    expect(await tables.getAttribute('href')).toBe(`/dashboard/executions/${tableRuns[2].id}/report`);
    expect(await row.locator('a.review').count()).toBe(2);
    expect(await row.locator('svg.trend title').textContent()).toMatch(/^open findings per run: (\d+, ){2,}\d+$/);
    // Shown in the viewer's zone (New York here), the UTC value on hover.
    const time = row.locator('time').first();
    expect(await time.getAttribute('title')).toMatch(/^UTC: \d{4}-\d\d-\d\dT/);
    expect(await time.innerText()).not.toContain('UTC');
    await shoot(page, 'dashboard-overview');
    await page.setViewportSize({ width: 375, height: 800 });
    await shoot(page, 'dashboard-overview-375');
    await page.close();
  });

  it('dates a finding on the connection page from the run it appeared in, while it persists', async () => {
    const page = await open(`/dashboard/connections/${connectionId}`);
    const finding = page.locator(
      '#open-findings tr[data-check="tables.missing_primary_key"][data-object="public.orders_no_pk"]',
    );
    expect(await finding.locator('[data-field=first_seen] a').innerText()).toBe(`#${tableRuns[1].id}`);
    expect(await finding.locator('[data-field=runs]').innerText()).toBe('2');
    // A table there since the first run dates from it; its name stays text.
    const hostile = page.locator('#open-findings tr[data-check="tables.missing_primary_key"]', {
      hasText: HOSTILE_TABLE,
    });
    expect(await hostile.locator('[data-field=first_seen] a').innerText()).toBe(`#${tableRuns[0].id}`);
    expect(await hostile.locator('[data-field=runs]').innerText()).toBe('3');
    expect(await page.locator('img').count()).toBe(0);
    await finding.locator('summary').click();
    expect(await finding.locator('pre.sql code').innerText()).toContain('orders_no_pk');
    expect(await text(page, '#connection-tasks')).toContain('Nightly tables');
    expect(await text(page, '#connection-tasks')).toContain('Europe/Berlin');

    // Following the finding back to the run where it first appeared.
    await finding.locator('[data-field=first_seen] a').click();
    await page.waitForURL(`**/dashboard/executions/${tableRuns[1].id}/report`);
    expect(await page.locator('#changes [data-change=new]').innerText()).toContain('public.orders_no_pk');
    await page.close();
  });

  it('moves a fixed finding to the resolved list with when it first appeared, was last seen and was resolved', async () => {
    await db.admin`alter table orders_no_pk add primary key (id)`;
    tableRuns.push(await reviewNow(tablesTaskId));
    const page = await open(`/dashboard/connections/${connectionId}`);
    expect(
      await page
        .locator('#open-findings tr[data-check="tables.missing_primary_key"][data-object="public.orders_no_pk"]')
        .count(),
    ).toBe(0);
    const resolved = page.locator(
      '#resolved-findings tr[data-check="tables.missing_primary_key"][data-object="public.orders_no_pk"]',
    );
    expect(await resolved.locator('[data-field=first_seen] a').innerText()).toBe(`#${tableRuns[1].id}`);
    expect(await resolved.locator('[data-field=resolved] a').innerText()).toBe(`#${tableRuns[3].id}`);
    expect(await resolved.locator('td').nth(3).innerText()).toContain(`#${tableRuns[2].id}`);
    await shoot(page, 'dashboard-connection');
    await page.setViewportSize({ width: 375, height: 800 });
    await shoot(page, 'dashboard-connection-375');
    await page.close();
  });

  it('pauses, resumes and runs a task from the tasks page, and the API shows each change', async () => {
    const page = await open('/dashboard/tasks');
    const row = () => page.locator(`#tasks tr[data-task-id="${configTaskId}"]`);
    await row().getByRole('button', { name: 'Pause' }).click();
    await page.waitForLoadState();
    expect(await row().locator('[data-field=next_run]').innerText()).toBe('paused');
    expect(await apiTask(configTaskId)).toMatchObject({ is_active: false, next_run_at: null });

    await row().getByRole('button', { name: 'Resume' }).click();
    await page.waitForLoadState();
    const resumed = await apiTask(configTaskId);
    expect(resumed.is_active).toBe(true);
    expect(resumed.next_run_at).not.toBeNull();

    await shoot(page, 'dashboard-tasks');
    await row().getByRole('button', { name: 'Run now' }).click();
    await page.waitForLoadState();
    const runs = await call(
      listExecutions,
      apiEvent('GET', '/api/v1/scheduler/executions', { query: { task_id: String(configTaskId), limit: '1' } }),
    );
    expect(runs.body[0]).toMatchObject({ trigger: 'manual', status: 'queued' });
    expect(await row().locator('[data-field=last_status]').innerText()).toBe('queued');
    await page.setViewportSize({ width: 375, height: 800 });
    await shoot(page, 'dashboard-tasks-375');
    await page.close();
  });

  it('refuses a button press without the CSRF token, or with a wrong one, and changes nothing', async () => {
    const page = await open('/dashboard/tasks');
    const url = `${server.url}/dashboard/tasks/${configTaskId}/pause`;
    const missing = await page.request.post(url, { form: { back: '/dashboard/tasks' }, maxRedirects: 0 });
    expect(missing.status()).toBe(403);
    expect(await missing.text()).toContain('no valid security token');
    const wrong = await page.request.post(url, {
      form: { csrf: 'x'.repeat(43), back: '/dashboard/tasks' },
      maxRedirects: 0,
    });
    expect(wrong.status()).toBe(403);
    const token = await page.locator('input[name=csrf]').first().inputValue();
    const foreign = await page.request.post(url, {
      form: { csrf: token },
      headers: { origin: 'https://attacker.example' },
      maxRedirects: 0,
    });
    expect(foreign.status()).toBe(403);
    expect((await apiTask(configTaskId)).is_active).toBe(true);
    await page.close();
  });

  it('pages through the tasks with a cursor, by keyboard, keeping the filters', async () => {
    const page = await open(`/dashboard/tasks?connection_id=${connectionId}&limit=1`);
    const shownIds = () =>
      page.locator('#tasks tr[data-task-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-task-id')));
    expect(await shownIds()).toEqual([String(tablesTaskId)]);
    expect(await text(page, '.subtitle')).toContain('2 tasks match');

    // The next page by keyboard alone: tab to the link, press Enter.
    const next = page.getByRole('link', { name: 'Next →' });
    for (let i = 0; i < 40 && !(await next.evaluate((link) => link === document.activeElement)); i++)
      await page.keyboard.press('Tab');
    expect(await next.evaluate((link) => link === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForURL(/after_id=/);
    expect(await shownIds()).toEqual([String(configTaskId)]);
    const url = new URL(page.url());
    expect(Object.fromEntries(url.searchParams)).toEqual({
      connection_id: String(connectionId),
      limit: '1',
      after_id: String(tablesTaskId),
    });
    expect(await page.locator('input[name=connection_id]').inputValue()).toBe(String(connectionId));
    expect(await page.getByRole('link', { name: 'Next →' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'First page' }).getAttribute('href')).toBe(
      `/dashboard/tasks?connection_id=${connectionId}&limit=1`,
    );
    // A button on the second page comes back to the second page.
    expect(await page.locator('#tasks input[name=back]').first().inputValue()).toBe(`${url.pathname}${url.search}`);

    // Readable at 375 px: nothing wider than the screen.
    await page.setViewportSize({ width: 375, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await shoot(page, 'dashboard-tasks-page-2-375');

    const bad = await page.request.get(`${server.url}/dashboard/tasks?limit=0`);
    expect(bad.status()).toBe(400);
    expect(await bad.text()).toContain('limit must be between 1 and 1000');
    await page.close();
  });

  it('pages through the executions with the API filters and a cursor, linking to each report', async () => {
    const page = await open(`/dashboard/executions?connection_id=${connectionId}&task_type=table_analysis&limit=2`);
    const ids = await page
      .locator('#executions tr[data-execution-id]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-execution-id')));
    expect(ids).toEqual([tableRuns[3].id, tableRuns[2].id].map(String));
    await page.getByRole('link', { name: 'Older →' }).click();
    await page.waitForURL(/before_id=/);
    const older = await page
      .locator('#executions tr[data-execution-id]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-execution-id')));
    expect(older).toEqual([tableRuns[1].id, tableRuns[0].id].map(String));
    expect(await page.locator('#executions [data-field=status]').first().innerText()).toBe('completed');
    await shoot(page, 'dashboard-executions');
    await page.setViewportSize({ width: 375, height: 800 });
    await shoot(page, 'dashboard-executions-375');

    const bad = await page.request.get(`${server.url}/dashboard/executions?status_filter=done`);
    expect(bad.status()).toBe(400);
    expect(await bad.text()).toContain('status_filter must be one of');
    await page.close();
  });

  it('reached every page without a console error, a script error or a request elsewhere', () => {
    expect(problems).toEqual([]);
  });
});
