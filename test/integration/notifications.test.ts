import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as getExecution } from '../../functions/executions/get.js';
import { handler as executionReport } from '../../functions/executions/report.js';
import { handler as createChannel } from '../../functions/notifications/create-channel.js';
import { handler as testChannel } from '../../functions/notifications/test-channel.js';
import { handler as listDeliveries } from '../../functions/notifications/list-deliveries.js';
import { handler as tick } from '../../functions/scheduler/tick.js';
import { handler as runTask } from '../../functions/tasks/run.js';
import { apiEvent, call } from '../helpers/api.js';
import { createLocalConnection, createTargetConnection, createTaskVia } from '../helpers/factories.js';
import { startLambdaEndpoint } from '../helpers/lambda-endpoint.js';
import { query } from '../helpers/service-db.js';
import { blockKitProblems } from '../helpers/slack-block-kit.js';
import { createTargetDatabase, type TargetDatabase } from '../helpers/target-db.js';
import { verifyPgReviewerSignature } from '../helpers/verify-signature.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deliverNotifications } from '../../lib/notifications/deliver.js';
import { closedPort, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

// The receivers below listen on loopback: allowed explicitly, as a developer would for a local receiver.
process.env.NOTIFICATION_ALLOWED_NETWORKS = '127.0.0.1/32';
process.env.PUBLIC_BASE_URL = 'https://reviewer.example.com';
process.env.NOTIFICATION_TIMEOUT_SECONDS = '2';

let lambda: Awaited<ReturnType<typeof startLambdaEndpoint>>;
let receiver: WebhookReceiver;
let target: TargetDatabase;

beforeAll(async () => {
  lambda = await startLambdaEndpoint();
  receiver = await startWebhookReceiver();
  target = await createTargetDatabase('notify');
});
beforeEach(() => {
  receiver.requests.length = 0;
});
afterAll(async () => {
  await lambda.idle();
  await lambda.close();
  await receiver.stop();
  await target.drop();
});

async function targetConnection() {
  return createTargetConnection(target.name);
}

// The secret a receiver was set up with; webhook channels here use it unless a test brings its own.
const SECRET = 'receiver-secret-0123456789abcdef';

async function channel(body: Record<string, unknown>) {
  const withSecret = body.type === 'webhook' ? { secret: SECRET, ...body } : body;
  const response = await call(createChannel, apiEvent('POST', '/api/v1/notifications/channels', { body: withSecret }));
  expect(response.status).toBe(201);
  return response.body;
}

/** Runs the task through the API as a user would, and waits for the consumer (reviews, then notifications). */
async function runAndWait(taskId: number): Promise<number> {
  const response = await call(
    runTask,
    apiEvent('POST', `/api/v1/scheduler/tasks/${taskId}/run`, { path: { task_id: String(taskId) } }),
  );
  expect(response.status).toBe(200);
  await lambda.idle();
  return response.body.execution_id;
}

const deliveries = async (params: Record<string, string>) =>
  (await call(listDeliveries, apiEvent('GET', '/api/v1/notifications/deliveries', { query: params }))).body;
/** Lets time pass for the retry schedule: every pending delivery is due now. */
const makeRetriesDue = () =>
  query(sql`update notification_deliveries set next_attempt_at = now() where status = 'pending'`);

describe('webhook notifications of a table review', () => {
  it(
    'sends one signed finding.new for a planted problem, nothing for the same problem again, and ' +
      'finding.resolved once it is fixed',
    async () => {
      const connection = await targetConnection();
      const hooks = receiver.requests;
      const created = await channel({
        name: 'on-call',
        type: 'webhook',
        url: receiver.url,
        connection_ids: [connection.id],
      });
      expect(created).toMatchObject({
        type: 'webhook',
        url: `http://127.0.0.1:${receiver.port}/…`,
        has_secret: true,
        min_severity: 'warning',
      });
      expect(JSON.stringify(created)).not.toContain(SECRET);

      await target.admin`create table orders (id int primary key, total numeric)`;
      const task = await createTaskVia({
        name: 'Orders tables',
        task_type: 'table_analysis',
        connection_id: connection.id,
        cron_schedule: '0 2 * * *',
        task_params: { target_tables: ['public.orders'] },
      });
      await runAndWait(task.id);
      expect(hooks).toHaveLength(0);

      await target.admin`alter table orders drop constraint orders_pkey`;
      const planted = await runAndWait(task.id);
      expect(hooks).toHaveLength(1);
      const [message] = hooks;
      expect(verifyPgReviewerSignature(SECRET, message.body, String(message.headers['pg-reviewer-signature']))).toBe(
        true,
      );
      expect(
        verifyPgReviewerSignature(
          'whsec_some-other-secret-value',
          message.body,
          String(message.headers['pg-reviewer-signature']),
        ),
      ).toBe(false);
      expect(message.headers['pg-reviewer-event']).toBe('finding.new');
      expect(message.headers['idempotency-key']).toBe(message.json.id);
      expect(message.json).toMatchObject({
        version: 1,
        type: 'finding.new',
        execution: {
          id: planted,
          status: 'completed',
          report_url: `https://reviewer.example.com/api/v1/scheduler/executions/${planted}/report`,
        },
        task: { id: task.id, name: 'Orders tables', task_type: 'table_analysis' },
        connection: { id: connection.id, name: connection.name, database: target.name },
        findings_omitted: 0,
      });
      expect(message.json.findings).toEqual([
        expect.objectContaining({
          check: 'tables.missing_primary_key',
          object: 'public.orders',
          severity: 'warning',
          recommendation: expect.stringContaining('public.orders'),
        }),
      ]);

      await runAndWait(task.id);
      expect(hooks).toHaveLength(1);

      await target.admin`alter table orders add primary key (id)`;
      const fixed = await runAndWait(task.id);
      expect(hooks).toHaveLength(2);
      expect(hooks[1].json).toMatchObject({
        type: 'finding.resolved',
        execution: { id: fixed },
        findings: [{ check: 'tables.missing_primary_key', object: 'public.orders', detail: null }],
      });
      expect(verifyPgReviewerSignature(SECRET, hooks[1].body, String(hooks[1].headers['pg-reviewer-signature']))).toBe(
        true,
      );

      // The execution API shows what the run caused.
      const execution = await call(
        getExecution,
        apiEvent('GET', `/api/v1/scheduler/executions/${planted}`, { path: { execution_id: String(planted) } }),
      );
      expect(execution.body.notifications).toEqual([
        expect.objectContaining({
          event_id: message.json.id,
          event_type: 'finding.new',
          channel_id: created.id,
          channel_name: 'on-call',
          status: 'delivered',
          attempts: 1,
        }),
      ]);
      // So does its report, in both formats.
      const reportOf = (format: string) =>
        executionReport(
          apiEvent('GET', `/api/v1/scheduler/executions/${planted}/report`, {
            path: { execution_id: String(planted) },
            query: { format },
          }),
          {},
        );
      expect((await reportOf('md')).body).toMatch(
        /## Notifications\n\n\| Event \| Channel \| Status \| {2}\|\n.*\n\| finding\.new \| on-call \| delivered \| delivered .* after 1 attempt \|/,
      );
      expect((await reportOf('html')).body).toMatch(
        /<section id="notifications">.*<td>finding\.new<\/td>\s*<td>on-call<\/td>\s*<td>delivered<\/td>/s,
      );
    },
  );
});

describe('delivery when the receiver is away', () => {
  it('delivers a failed run later when the receiver was down for the first attempt, with every attempt recorded', async () => {
    const unreachable = await createLocalConnection({ port: await closedPort(), name: 'not listening' });
    const created = await channel({
      name: 'flaky receiver',
      type: 'webhook',
      url: receiver.url,
      connection_ids: [unreachable.id],
      secret: 'a-secret-of-the-receivers-choice',
    });
    const task = await createTaskVia({
      name: 'Check a dead server',
      task_type: 'config_check',
      connection_id: unreachable.id,
      cron_schedule: '0 2 * * *',
    });

    await receiver.stop();
    const executionId = await runAndWait(task.id);
    const [waiting] = await deliveries({ execution_id: String(executionId) });
    expect(waiting).toMatchObject({
      event_type: 'execution.failed',
      status: 'pending',
      attempts: 1,
      last_status_code: null,
    });
    expect(waiting.attempt_log[0].error).toMatch(/ECONNREFUSED/);
    // The first retry waits 30 s.
    const retryIn =
      new Date(waiting.next_attempt_at).getTime() - new Date(waiting.attempt_log[0].attempted_at).getTime();
    expect(retryIn).toBeGreaterThan(29_000);
    expect(retryIn).toBeLessThan(31_000);

    // Not due yet: the tick leaves it alone.
    await receiver.start();
    await tick({});
    expect(receiver.requests).toHaveLength(0);

    await makeRetriesDue();
    await tick({});
    expect(receiver.requests).toHaveLength(1);
    const [message] = receiver.requests;
    expect(message.json).toMatchObject({
      type: 'execution.failed',
      id: waiting.event_id,
      execution: { id: executionId, status: 'failed', error_message: expect.stringMatching(/refused/i) },
    });
    expect(
      verifyPgReviewerSignature(
        'a-secret-of-the-receivers-choice',
        message.body,
        String(message.headers['pg-reviewer-signature']),
      ),
    ).toBe(true);

    const [delivered] = await deliveries({ execution_id: String(executionId) });
    expect(delivered).toMatchObject({
      channel_id: created.id,
      status: 'delivered',
      attempts: 2,
      last_status_code: 200,
      last_error: null,
      next_attempt_at: null,
    });
    expect(delivered.attempt_log).toEqual([
      expect.objectContaining({ status_code: null, error: expect.stringMatching(/ECONNREFUSED/) }),
      expect.objectContaining({ status_code: 200, error: null }),
    ]);
  });

  it('tells of a run the tick fails because its consumer stopped responding, in that same tick', async () => {
    const connection = await createLocalConnection({ name: 'consumer died' });
    await channel({
      name: 'dead consumers',
      type: 'webhook',
      url: receiver.url,
      connection_ids: [connection.id],
      events: ['execution.failed'],
    });
    const task = await createTaskVia({
      name: 'Abandoned',
      task_type: 'config_check',
      connection_id: connection.id,
      cron_schedule: '0 2 * * *',
    });
    const [execution] = await query<{ id: string }>(sql`
      insert into task_executions (scheduled_task_id, connection_id, task_type, trigger, status, attempts, started_at, deadline_at)
      values (${task.id}, ${connection.id}, 'config_check', 'manual', 'running', 2, now() - interval '10 minutes', now() - interval '1 minute')
      returning id`);
    await tick({});
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0].json).toMatchObject({
      type: 'execution.failed',
      execution: {
        id: Number(execution.id),
        status: 'failed',
        error_message: expect.stringContaining('stopped responding'),
      },
    });
  });

  it('delivers exactly once, from the next tick, the event of an outcome whose events could not be queued when it was recorded', async () => {
    const unreachable = await createLocalConnection({ port: await closedPort(), name: 'events lost once' });
    await channel({ name: 'durable events', type: 'webhook', url: receiver.url, connection_ids: [unreachable.id] });
    const task = await createTaskVia({
      name: 'Outcome outlives its events',
      task_type: 'config_check',
      connection_id: unreachable.id,
      cron_schedule: '0 2 * * *',
    });
    // The first insert of events fails (a sequence is not rolled back with the failed statement).
    await query(sql`create sequence fail_events_once`);
    await query(
      sql.raw(`
      create function fail_events_once() returns trigger language plpgsql as $$
      begin
        if nextval('fail_events_once') = 1 then raise exception 'events table unavailable'; end if;
        return null;
      end $$`),
    );
    await query(
      sql`create trigger fail_events_once before insert on notification_deliveries for each statement execute function fail_events_once()`,
    );
    try {
      const executionId = await runAndWait(task.id);
      const execution = await call(
        getExecution,
        apiEvent('GET', `/api/v1/executions/${executionId}`, { path: { execution_id: String(executionId) } }),
      );
      expect(execution.body.status).toBe('failed');
      expect(await deliveries({ execution_id: String(executionId) })).toEqual([]);
      expect(receiver.requests).toHaveLength(0);

      await tick({});
      expect(receiver.requests).toHaveLength(1);
      expect(receiver.requests[0].json).toMatchObject({
        type: 'execution.failed',
        execution: { id: executionId, status: 'failed' },
      });
      const [delivered] = await deliveries({ execution_id: String(executionId) });
      expect(delivered).toMatchObject({ event_type: 'execution.failed', status: 'delivered', attempts: 1 });

      await tick({});
      expect(receiver.requests).toHaveLength(1);
      expect(await deliveries({ execution_id: String(executionId) })).toHaveLength(1);
      expect(await query(sql`select id from task_executions where notifications_pending`)).toEqual([]);
    } finally {
      await query(sql`drop trigger fail_events_once on notification_deliveries`);
      await query(sql`drop function fail_events_once()`);
      await query(sql`drop sequence fail_events_once`);
    }
  });

  it('gives a delivery up after its last attempt and lists it as failed', async () => {
    const unreachable = await createLocalConnection({ port: await closedPort(), name: 'not listening either' });
    const gone = `http://127.0.0.1:${await closedPort()}/hook`;
    const created = await channel({
      name: 'receiver never back',
      type: 'webhook',
      url: gone,
      connection_ids: [unreachable.id],
    });
    const task = await createTaskVia({
      name: 'Another dead server',
      task_type: 'config_check',
      connection_id: unreachable.id,
      cron_schedule: '0 2 * * *',
    });
    const executionId = await runAndWait(task.id);

    for (let attempt = 2; attempt <= 12; attempt++) {
      await makeRetriesDue();
      await tick({});
    }
    const failed = await deliveries({ status: 'failed' });
    expect(failed).toEqual([
      expect.objectContaining({
        channel_id: created.id,
        execution_id: executionId,
        event_type: 'execution.failed',
        status: 'failed',
        attempts: 12,
        next_attempt_at: null,
      }),
    ]);
    expect(failed[0].attempt_log).toHaveLength(12);
    expect(failed[0].last_error).toMatch(/ECONNREFUSED/);

    // Given up is final: later ticks do not try again.
    await makeRetriesDue();
    await tick({});
    expect((await deliveries({ status: 'failed' }))[0].attempts).toBe(12);
  });
});

describe('slack channels', () => {
  it('sends a Block Kit message that Slack accepts, naming the findings with their recommendations', async () => {
    const connection = await targetConnection();
    await target.admin.unsafe(
      Array.from({ length: 60 }, (_, i) => `create table keyless_${String(i).padStart(2, '0')} (v text);`).join('\n'),
    );
    const slack = await startWebhookReceiver('/services/T000/B000/XXXX');
    // As Slack does: a message it cannot draw is refused with 400 invalid_blocks.
    slack.respond = (request) =>
      blockKitProblems(request.json).length === 0
        ? { status: 200, body: 'ok' }
        : { status: 400, body: 'invalid_blocks' };
    try {
      await channel({
        name: 'slack #db',
        type: 'slack',
        url: slack.url,
        connection_ids: [connection.id],
        events: ['finding.new'],
      });
      const task = await createTaskVia({
        name: 'All tables',
        task_type: 'table_analysis',
        connection_id: connection.id,
        cron_schedule: '0 2 * * *',
      });
      const executionId = await runAndWait(task.id);

      expect(slack.requests).toHaveLength(1);
      const [message] = slack.requests;
      expect(blockKitProblems(message.json)).toEqual([]);
      expect(message.headers['pg-reviewer-signature']).toBeUndefined();
      expect(message.json.blocks[0].text.text).toMatch(/new findings · /);
      const texts = message.json.blocks.map((b: any) => b.text?.text ?? b.elements?.[0]?.text ?? '').join('\n');
      expect(texts).toContain('ALTER TABLE public.keyless_00');
      expect(texts).toContain(`All tables`);
      expect(texts).toContain(`<https://reviewer.example.com/api/v1/scheduler/executions/${executionId}/report|`);
      expect(texts).toMatch(/…and \d+ more in the report/);
      const [delivery] = await deliveries({ execution_id: String(executionId) });
      expect(delivery).toMatchObject({ status: 'delivered', last_status_code: 200 });
    } finally {
      await slack.stop();
    }
  });
});

describe('creating a channel', () => {
  const create = (body: Record<string, unknown>) =>
    call(createChannel, apiEvent('POST', '/api/v1/notifications/channels', { body }));

  it('asks a webhook channel for the secret its receiver verifies with, and refuses one for Slack', async () => {
    const missing = await create({ name: 'unsigned', type: 'webhook', url: receiver.url });
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([
      { path: 'secret', message: expect.stringContaining('needs a signing secret') },
    ]);
    const slack = await create({ name: 'signed slack', type: 'slack', url: receiver.url, secret: SECRET });
    expect(slack.status).toBe(400);
    expect(slack.body.errors[0].path).toBe('secret');
  });

  it('refuses unknown event types and fields by name, and empty scopes', async () => {
    const response = await create({
      name: 'bad rule',
      type: 'slack',
      url: receiver.url,
      events: ['finding.lost'],
      min_severity: 'urgent',
      connection_ids: [],
      colour: 'red',
    });
    expect(response.status).toBe(400);
    expect(response.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'colour',
      'connection_ids',
      'events.0',
      'min_severity',
    ]);
  });
});

describe('the test button and unhelpful receivers', () => {
  const test = async (channelId: number) =>
    (
      await call(
        testChannel,
        apiEvent('POST', `/api/v1/notifications/channels/${channelId}/test`, {
          path: { channel_id: String(channelId) },
        }),
      )
    ).body;

  it('sends a signed test message and reports what the receiver answered', async () => {
    const created = await channel({ name: 'test button', type: 'webhook', url: receiver.url, is_active: false });
    expect(await test(created.id)).toMatchObject({ ok: true, status_code: 200, error: null });
    const [message] = receiver.requests;
    expect(message.json).toMatchObject({ version: 1, type: 'test', findings: [] });
    expect(verifyPgReviewerSignature(SECRET, message.body, String(message.headers['pg-reviewer-signature']))).toBe(
      true,
    );

    receiver.respond = () => ({ status: 410, body: 'this hook was removed' });
    try {
      expect(await test(created.id)).toMatchObject({
        ok: false,
        status_code: 410,
        error: 'the receiver answered 410: this hook was removed',
      });
      receiver.respond = () => ({ status: 302, body: '' });
      expect(await test(created.id)).toMatchObject({
        ok: false,
        status_code: 302,
        error: 'redirects are not followed',
      });
    } finally {
      receiver.respond = () => ({ status: 200, body: 'ok' });
    }
  });

  it('gives a receiver that never answers its timeout, not more', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    try {
      const created = await channel({
        name: 'silent',
        type: 'webhook',
        url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/hook`,
      });
      const result = await test(created.id);
      expect(result).toMatchObject({ ok: false, status_code: null, error: 'No answer within 2 s' });
      expect(result.duration_ms).toBeGreaterThanOrEqual(1900);
      expect(result.duration_ms).toBeLessThan(5000);
    } finally {
      silent.closeAllConnections();
      await new Promise((done) => silent.close(done));
    }
  });

  it('sends a delivery once when the consumer and the tick send at the same time', async () => {
    const created = await channel({
      name: 'raced receiver',
      type: 'webhook',
      url: receiver.url,
      connection_ids: [999_999],
    });
    const eventId = crypto.randomUUID();
    const document = {
      version: 1,
      id: eventId,
      type: 'execution.failed',
      created_at: new Date().toISOString(),
      execution: null,
      task: null,
      connection: null,
      summary: null,
      findings: [],
      findings_omitted: 0,
    };
    await query(
      sql`insert into notification_deliveries (event_id, channel_id, event_type, payload) values (${eventId}::uuid, ${created.id}, 'execution.failed', ${JSON.stringify(document)}::jsonb)`,
    );
    // A slow receiver keeps every sender busy at the same time.
    receiver.delayMs = 500;
    try {
      await Promise.all([deliverNotifications({ budgetMs: 5000 }), deliverNotifications({ budgetMs: 5000 }), tick({})]);
    } finally {
      receiver.delayMs = 0;
    }
    expect(receiver.requests.map((r) => r.json.id)).toEqual([eventId]);
    const [delivery] = await deliveries({ channel_id: String(created.id) });
    expect(delivery).toMatchObject({ event_id: eventId, status: 'delivered', attempts: 1 });
  });
});

describe('delivery history', () => {
  it('is deleted by the tick after the retention period, except deliveries still pending', async () => {
    const created = await channel({
      name: 'history',
      type: 'webhook',
      url: receiver.url,
      connection_ids: [999_998],
      is_active: false,
    });
    const insert = async (status: string, daysAgo: number) => {
      const eventId = crypto.randomUUID();
      const [row] = await query<{ id: string }>(sql`
        insert into notification_deliveries (event_id, channel_id, event_type, payload, status, created_at)
        values (${eventId}::uuid, ${created.id}, 'execution.failed', '{}'::jsonb, ${status}, now() - make_interval(days => ${daysAgo})) returning id`);
      await query(sql`insert into notification_attempts (delivery_id, duration_ms) values (${row.id}, 5)`);
      return Number(row.id);
    };
    const old = [await insert('delivered', 91), await insert('failed', 91)];
    const kept = [await insert('pending', 91), await insert('delivered', 89)];
    await tick({});
    const left = await query<{ id: string }>(
      sql`select id from notification_deliveries where channel_id = ${created.id} order by id`,
    );
    expect(left.map((r) => Number(r.id))).toEqual(kept);
    const orphanAttempts = await query(
      sql`select 1 from notification_attempts where delivery_id = any(${`{${old.join(',')}}`}::bigint[])`,
    );
    expect(orphanAttempts).toHaveLength(0);
  });
});
