import { beforeAll, describe, expect, it } from 'vitest';
import { handler as consumer } from '../../functions/scheduler/consumer.js';
import { handler as report } from '../../functions/executions/report.js';
import { handler as queueTask } from '../../functions/tasks/queue.js';
import { apiEvent, call } from '../helpers/api.js';
import { createLocalConnection, createTaskVia, customSqlTask } from '../helpers/factories.js';
import { withoutConsumerStarts } from '../helpers/environment.js';
import { clearQueue } from '../helpers/queue.js';

// The test drives the consumer itself.
withoutConsumerStarts();

let connectionId: number;
beforeAll(async () => {
  connectionId = (await createLocalConnection()).id;
});

const reportEvent = (id: number | string, query?: Record<string, string>) =>
  apiEvent('GET', `/api/v1/scheduler/executions/${id}/report`, { path: { execution_id: String(id) }, query });

async function fetchReport(id: number, format?: 'html' | 'md') {
  const result = await report(reportEvent(id, format ? { format } : undefined), {});
  return { status: result.statusCode, headers: result.headers ?? {}, body: result.body ?? '' };
}

async function queueExecution(task: Record<string, unknown>): Promise<number> {
  const created = await createTaskVia(task);
  const queued = await call(
    queueTask,
    apiEvent('POST', `/api/v1/scheduler/tasks/${created.id}/queue`, { path: { task_id: String(created.id) } }),
  );
  return queued.body.execution_id;
}

/** The page's text as a reader sees it, tags removed and entities decoded; enough to assert on words. */
const visibleText = (page: string) =>
  page
    .replace(/<style>[\s\S]*?<\/style>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

describe('GET /scheduler/executions/{id}/report', () => {
  it('shows a custom_sql result as a table, with values from the database escaped, as HTML and as Markdown', async () => {
    await clearQueue();
    const id = await queueExecution(
      customSqlTask(connectionId, {
        name: 'Report <b>escaping</b>',
        task_params: {
          custom_sql: `select '<script>alert(1)</script>' as "<th>", 'a|b' as pipe, null::int as missing, 42 as answer`,
          analysis_target: 'security',
        },
      }),
    );
    expect(await consumer({})).toMatchObject({ completed: 1 });

    const page = await fetchReport(id);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).not.toMatch(/<script|<b>/);
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).toContain('<th>&lt;th&gt; <small>text</small></th>');
    expect(page.body).toContain('<td class="null">NULL</td><td>42</td>');
    const text = visibleText(page.body);
    expect(text).toContain(`Review #${id}: Report <b>escaping</b>`);
    expect(text).toContain('Query result 1 row.');
    expect(text).toContain('Changes since the previous run This is the first completed run of this task');
    // No external assets: nothing on the page points anywhere.
    expect(page.body).not.toMatch(/\b(src|href)=|url\(|@import/);

    const md = await fetchReport(id, 'md');
    expect(md.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(md.body).toContain(`# Review #${id}: Report \\<b\\>escaping\\</b\\>`);
    expect(md.body).toContain('| \\<th\\> | pipe | missing | answer |');
    expect(md.body).toContain('| \\<script\\>alert(1)\\</script\\> | a\\|b | *NULL* | 42 |');
    // Every < from the database is backslash-escaped, so no viewer renders it as a tag.
    expect(md.body).not.toMatch(/(^|[^\\])</m);
  });

  it('gives a failed execution a page that says why it failed', async () => {
    const unreachable = await createLocalConnection({ port: 1, name: `report-unreachable-${Date.now()}` });
    await clearQueue();
    const id = await queueExecution(customSqlTask(unreachable.id, { name: 'Nightly check' }));
    expect(await consumer({})).toMatchObject({ failed: 1 });

    const page = await fetchReport(id);
    expect(page.status).toBe(200);
    const text = visibleText(page.body);
    expect(text).toContain('Status failed');
    expect(text).toMatch(/The review failed: Could not connect to the target database: connection refused/);
    expect(text).not.toContain('Summary');

    const md = await fetchReport(id, 'md');
    expect(md.body).toMatch(/^> The review failed: Could not connect to the target database: connection refused/m);
    expect(md.body).toContain('| Status | failed |');
  });

  it('gives a queued execution a page that says it has not run yet', async () => {
    await clearQueue();
    const id = await queueExecution(customSqlTask(connectionId, { name: 'Still waiting' }));
    const text = visibleText((await fetchReport(id)).body);
    expect(text).toContain('Status queued');
    expect(text).toContain('Waiting in the queue: the review has not started yet');
    await clearQueue();
  });

  it('answers 404 with the JSON error for an unknown execution, and 400 for an unknown format or id', async () => {
    const missing = await call(report, reportEvent(987654321));
    expect(missing).toMatchObject({ status: 404, body: { detail: 'Execution 987654321 not found' } });
    expect(missing.headers['content-type']).toBe('application/json; charset=utf-8');

    const format = await call(report, reportEvent(1, { format: 'pdf' }));
    expect(format).toMatchObject({
      status: 400,
      body: { errors: [{ path: 'format', message: 'format must be html or md' }] },
    });
    expect((await call(report, reportEvent('abc'))).status).toBe(400);
  });
});
