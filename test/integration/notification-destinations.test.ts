import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as createChannel } from '../../functions/notifications/create-channel.js';
import { handler as testChannel } from '../../functions/notifications/test-channel.js';
import { handler as updateChannel } from '../../functions/notifications/update-channel.js';
import { encryptSecret } from '../../lib/crypto/secret-box.js';
import { deliverNotifications } from '../../lib/notifications/deliver.js';
import { apiEvent, call } from '../helpers/api.js';
import { query } from '../helpers/service-db.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

// What a deployed stage has when NOTIFICATION_ALLOWED_NETWORKS is not set: no private network allowed.
process.env.NOTIFICATION_ALLOWED_NETWORKS = 'none';

let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
});
afterAll(() => receiver.stop());

const create = (body: Record<string, unknown>) =>
  call(
    createChannel,
    apiEvent('POST', '/api/v1/notifications/channels', {
      body: body.type === 'webhook' ? { secret: 'receiver-secret-0123456789', ...body } : body,
    }),
  );

/** A channel stored as if its URL had passed the check when saved (its name resolved elsewhere then). */
async function storedChannel(url: string): Promise<number> {
  const [row] = await query<{ id: number }>(sql`
    insert into notification_channels (name, type, url_encrypted, signing_secret_encrypted, events)
    values (${`stored ${Math.random()}`}, 'webhook', ${encryptSecret(url)}, ${encryptSecret('whsec_stored-secret-0123456789')}, '{execution.failed}')
    returning id`);
  return row.id;
}

async function pendingDelivery(channelId: number): Promise<number> {
  const payload = {
    version: 1,
    id: crypto.randomUUID(),
    type: 'execution.failed',
    created_at: new Date().toISOString(),
    execution: null,
    task: null,
    connection: null,
    summary: null,
    findings: [],
    findings_omitted: 0,
  };
  const [row] = await query<{ id: number }>(sql`
    insert into notification_deliveries (event_id, channel_id, event_type, payload) values (${payload.id}::uuid, ${channelId}, 'execution.failed', ${JSON.stringify(payload)}::jsonb) returning id`);
  return row.id;
}

const deliveryRow = async (id: number) =>
  (
    await query<{ status: string; attempts: number; last_error: string | null }>(
      sql`select status, attempts, last_error from notification_deliveries where id = ${id}`,
    )
  )[0];

describe('channel destinations on a deployed stage', () => {
  it('refuses the cloud metadata address, naming why', async () => {
    const response = await create({
      name: 'metadata',
      type: 'webhook',
      url: 'http://169.254.169.254/latest/meta-data/',
    });
    expect(response.status).toBe(400);
    expect(response.body.detail).toContain('169.254.169.254 is a link-local (cloud metadata) address');
    expect(response.body.errors).toEqual([{ path: 'url', message: expect.stringContaining('link-local') }]);
  });

  it('refuses loopback, private and IPv6 metadata addresses, by literal and by name', async () => {
    for (const url of [
      receiver.url,
      'https://localhost/hook',
      'https://10.1.2.3/hook',
      'https://192.168.0.10/hook',
      'https://[fd00:ec2::254]/',
      'https://[::ffff:127.0.0.1]/',
    ]) {
      const response = await create({ name: `private ${url}`, type: 'webhook', url });
      expect(response.status, url).toBe(400);
      expect(response.body.errors[0].path).toBe('url');
    }
  });

  it('refuses a URL that is not http or https, and a name that does not resolve', async () => {
    expect((await create({ name: 'file', type: 'webhook', url: 'file:///etc/passwd' })).body.errors[0]).toMatchObject({
      path: 'url',
      message: 'url must be an http or https URL',
    });
    const unresolvable = await create({
      name: 'nowhere',
      type: 'slack',
      url: 'https://no-such-host.invalid/services/x',
    });
    expect(unresolvable.status).toBe(400);
    expect(unresolvable.body.detail).toContain('could not be resolved');
  });

  it('checks again at delivery time: a stored channel whose name now resolves to loopback is not sent to', async () => {
    const channelId = await storedChannel(`http://localhost:${receiver.port}/hook`);
    const deliveryId = await pendingDelivery(channelId);
    await deliverNotifications({ budgetMs: 5000 });
    expect(receiver.requests).toHaveLength(0);
    expect(await deliveryRow(deliveryId)).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_error: expect.stringMatching(/^Refused: localhost resolves to .* loopback address/),
    });

    // The channel's test button is held to the same check.
    const tested = await call(
      testChannel,
      apiEvent('POST', `/api/v1/notifications/channels/${channelId}/test`, { path: { channel_id: String(channelId) } }),
    );
    expect(tested.body).toMatchObject({ ok: false, status_code: null, error: expect.stringContaining('loopback') });
    expect(receiver.requests).toHaveLength(0);
  });
});

describe('updating a channel', () => {
  it('holds a new URL to the same check', async () => {
    const channelId = await storedChannel('https://example.com/hook');
    const response = await call(
      updateChannel,
      apiEvent('PUT', `/api/v1/notifications/channels/${channelId}`, {
        path: { channel_id: String(channelId) },
        body: { url: 'http://169.254.169.254/' },
      }),
    );
    expect(response.status).toBe(400);
    expect(response.body.detail).toContain('link-local');
  });
});
