import { mkdirSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as report } from '../../functions/executions/report.js';
import type { ReviewResult } from '../../lib/analyses/types.js';
import { apiEvent } from '../helpers/api.js';
import { createTargetConnection, createTaskVia } from '../helpers/factories.js';
import { reviewNow } from '../helpers/review-now.js';
import { createTargetDatabase, targetAdmin, type TargetDatabase } from '../helpers/target-db.js';
import { launchBrowser } from '../helpers/browser.js';
import { withoutConsumerStarts } from '../helpers/environment.js';

// A planted-problem database on the target cluster, reviewed through the API by a monitoring role
// that cannot read sequences (so one check is not assessable), and the report rendered in
// Debian's Chromium: the assertions are about what a person sees on the page.

// The test drives the consumer itself.
withoutConsumerStarts();

const HOSTILE_TABLE = '<img src=x onerror=alert(1)>';

let db: TargetDatabase;
let browser: Browser;
const role = { username: `report_${randomBytes(4).toString('hex')}`, password: randomBytes(12).toString('hex') };
let connectionId: number;

async function fetchReport(id: number, format: 'html' | 'md'): Promise<string> {
  const response = await report(
    apiEvent('GET', `/api/v1/scheduler/executions/${id}/report`, {
      path: { execution_id: String(id) },
      query: { format },
    }),
    {},
  );
  expect(response.statusCode).toBe(200);
  return response.body!;
}

/**
 * A page with the report loaded; it fails the test if the page opens a dialog or asks for anything over the network.
 */
async function open(html: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on('dialog', (dialog) => {
    throw new Error(`the report opened a dialog: ${dialog.message()}`);
  });
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  await page.setContent(html, { waitUntil: 'load' });
  expect(requests).toEqual([]);
  return page;
}

const text = async (page: Page, selector: string) =>
  (await page.locator(selector).innerText()).replace(/\s+/g, ' ').trim();

beforeAll(async () => {
  browser = await launchBrowser();
  db = await createTargetDatabase('report');
  await db.admin.unsafe(`
    create table events_no_pk (id int not null, payload text);
    insert into events_no_pk select g, 'e' from generate_series(1, 500) g;
    create table customers (id int primary key, email text);
    insert into customers select g, 'c' || g || '@example.com' from generate_series(1, 100) g;
    create index customers_email on customers (email);
    create index customers_email_dup on customers (email);
    create table "${HOSTILE_TABLE}" (v text);
    create table tickets (id serial primary key);
    select setval('tickets_id_seq', 2147483647 - 100000000);
    create extension pg_stat_statements;
  `);
  const root = targetAdmin();
  await root.unsafe(`create role "${role.username}" login password '${role.password}' in role pg_monitor`);
  await root.end();

  connectionId = (
    await createTargetConnection(db.name, {
      name: `report-target-${db.name}`,
      username: role.username,
      password: role.password,
    })
  ).id;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await db?.drop();
  const root = targetAdmin();
  await root.unsafe(`drop role if exists "${role.username}"`);
  await root.end();
});

describe('the report of a table_analysis review, in Chromium', () => {
  let first: { id: number; result: ReviewResult };
  let second: { id: number; result: ReviewResult };

  beforeAll(async () => {
    const task = await createTaskVia({
      name: 'Nightly tables review',
      task_type: 'table_analysis',
      connection_id: connectionId,
      cron_schedule: '0 3 * * *',
      task_params: { analysis_target: 'tables' },
    });
    first = await reviewNow(task.id);
    // Between the runs one problem is fixed and another appears.
    await db.admin`alter table events_no_pk add primary key (id)`;
    await db.admin`create index customers_email_again on customers (email)`;
    second = await reviewNow(task.id);
  }, 120_000);

  it('shows the severity counts of the review, in the severity colours', async () => {
    const page = await open(await fetchReport(second.id, 'html'));
    expect(await page.title()).toBe(`Review #${second.id}: Nightly tables review`);
    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).innerText())
      .toBe(`Review #${second.id}: Nightly tables review`);
    const { summary } = second.result;
    expect(summary.warning).toBeGreaterThanOrEqual(2);
    expect(summary.not_assessable).toBeGreaterThanOrEqual(1);
    expect(await text(page, '#summary [data-severity=critical]')).toBe(`${summary.critical} critical`);
    expect(await text(page, '#summary [data-severity=warning]')).toBe(`${summary.warning} warning`);
    expect(await text(page, '#summary [data-severity=info]')).toBe(`${summary.info} info`);
    expect(await text(page, '#summary [data-severity=not_assessable]')).toBe(
      `${summary.not_assessable} not assessable`,
    );

    const colour = (selector: string) =>
      page
        .locator(selector)
        .first()
        .evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(await colour('.finding.sev-warning .badge')).toBe('rgb(181, 71, 8)');
    expect(await colour('.finding.sev-info .badge')).toBe('rgb(23, 92, 211)');
    await page.close();
  });

  it('shows a finding with its recommendation in a code block that one click selects for copying', async () => {
    const page = await open(await fetchReport(second.id, 'html'));
    const expected = second.result.findings.find(
      (f) => f.check === 'tables.duplicate_index' && f.object === 'public.customers_email_again',
    );
    expect(expected?.recommendation).toBe('DROP INDEX CONCURRENTLY public.customers_email_again;');

    const family = page.locator('section.family', { has: page.getByRole('heading', { name: /^Tables and indexes/ }) });
    const article = family.locator('article.finding', { hasText: 'public.customers_email_again' });
    await expect.poll(() => article.getByRole('heading', { level: 4 }).innerText()).toBe(expected!.title);
    expect(await article.locator('.badge').innerText()).toMatch(/^warning$/i);
    const code = article.locator('pre.sql code');
    expect(await code.isVisible()).toBe(true);
    expect(await code.innerText()).toBe('DROP INDEX CONCURRENTLY public.customers_email_again;');
    expect(await code.evaluate((el) => getComputedStyle(el).fontFamily)).toMatch(/monospace/);
    await code.click();
    expect(await page.evaluate(() => window.getSelection()?.toString())).toBe(
      'DROP INDEX CONCURRENTLY public.customers_email_again;',
    );
    await page.close();
  });

  it('shows identifiers from the reviewed database as text, never as markup', async () => {
    const page = await open(await fetchReport(second.id, 'html'));
    const hostile = page.locator('article.finding[data-check="tables.missing_primary_key"]', {
      hasText: HOSTILE_TABLE,
    });
    expect(await hostile.locator('.object code').innerText()).toBe(`public."${HOSTILE_TABLE}"`);
    expect(await page.locator('img').count()).toBe(0);
    await page.close();
  });

  it('lists the check it could not run with the grant that would enable it', async () => {
    const page = await open(await fetchReport(second.id, 'html'));
    const grant = `GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role.username};`;
    expect(second.result.not_assessable).toContainEqual(
      expect.objectContaining({ check: 'tables.sequence_exhaustion', enable: grant }),
    );
    const section = page.locator('#not-assessable');
    expect(await section.getByRole('heading', { level: 2 }).innerText()).toBe('Not assessable');
    const entry = section.locator('article', { hasText: 'tables.sequence_exhaustion' });
    expect(await entry.locator('p').first().innerText()).toContain('cannot be read');
    expect(await entry.locator('pre.sql code').innerText()).toBe(grant);
    await page.close();
  });

  it('shows what changed since the previous run, and saves a screenshot of the whole page', async () => {
    const page = await open(await fetchReport(second.id, 'html'));
    const changes = page.locator('#changes');
    expect(await changes.getByRole('heading', { level: 2 }).innerText()).toBe(`Changes since execution #${first.id}`);
    const item = (kind: string, object: string) =>
      page.locator(`#changes [data-change=${kind}] li`, { hasText: object }).innerText();
    expect(await item('resolved', 'public.events_no_pk')).toMatch(
      /^WARNING\s*Table has no primary key public\.events_no_pk$/,
    );
    expect(await item('new', 'public.customers_email_again')).toMatch(
      /^WARNING\s*Duplicate index public\.customers_email_again$/,
    );

    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/report.png', fullPage: true });
    expect(statSync('test-artifacts/report.png').size).toBeGreaterThan(20_000);
    await page.close();
  });

  it('gives the same review as Markdown, with the SQL in fenced blocks and database text escaped', async () => {
    const md = await fetchReport(second.id, 'md');
    const { summary } = second.result;
    expect(md).toContain(`# Review #${second.id}: Nightly tables review`);
    expect(md).toContain(`| ${summary.critical} | ${summary.warning} | ${summary.info} | ${summary.not_assessable} |`);
    const duplicate = second.result.findings.find((f) => f.object === 'public.customers_email_again')!;
    expect(md).toContain(`#### WARNING: ${duplicate.title}`);
    expect(md).toContain('```sql\nDROP INDEX CONCURRENTLY public.customers_email_again;\n```');
    expect(md).toContain(`## Changes since execution #${first.id}`);
    expect(md).toMatch(/### Resolved \(\d+\)\n\n[^#]*`public\.events_no_pk`/);
    expect(md).toContain(`\`\`\`sql\nGRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role.username};\n\`\`\``);
    // In a code span the name is shown literally, and Markdown viewers never treat it as HTML.
    expect(md).toContain(`\`public."${HOSTILE_TABLE}"\``);
  });
});

describe('the report of a query_analysis review, in Chromium', () => {
  let review: { id: number; result: ReviewResult };

  beforeAll(async () => {
    for (let i = 0; i < 40; i++) await db.admin`select pg_sleep(0.02)`;
    for (let i = 0; i < 30; i++) await db.admin`select count(*) from customers where id > ${i}`;
    const task = await createTaskVia({
      name: 'Query review',
      task_type: 'query_analysis',
      connection_id: connectionId,
      cron_schedule: '0 4 * * *',
      task_params: { analysis_target: 'queries' },
    });
    review = await reviewNow(task.id);
  }, 120_000);

  it('draws the top statements by total time as bars, the heaviest first and longest', async () => {
    const top = review.result.findings.filter((f) => f.check === 'queries.top_total_time');
    expect(top.length).toBeGreaterThanOrEqual(2);
    expect(top[0].evidence.query).toBe('select pg_sleep($1)');

    const page = await open(await fetchReport(review.id, 'html'));
    const section = page.locator('#top-queries');
    expect(await section.getByRole('heading', { level: 2 }).innerText()).toBe('Top statements by total time');
    const bars = section.locator('svg.chart g.bar');
    expect(await bars.count()).toBe(top.length);
    expect(await bars.first().locator('text.bar-label').textContent()).toBe('#1 select pg_sleep($1)');
    expect(await bars.first().locator('title').textContent()).toContain(
      `queryid ${top[0].evidence.queryid}: select pg_sleep($1)`,
    );
    const widths = await section
      .locator('svg.chart rect')
      .evaluateAll((rects) => rects.map((r) => r.getBoundingClientRect().width));
    expect(widths[0]).toBe(Math.max(...widths));
    expect(widths[0]).toBeGreaterThan(widths[widths.length - 1]);

    await section.screenshot({ path: 'test-artifacts/report-queries.png' });
    await page.close();
  });

  it('gives the chart as a table with text bars in Markdown', async () => {
    const md = await fetchReport(review.id, 'md');
    expect(md).toContain('## Top statements by total time');
    expect(md).toMatch(/\| 1 \| `select pg_sleep\(\$1\)` \| [\d.]+ (s|ms) · [\d.]+% \| █{20} \|/);
  });
});
