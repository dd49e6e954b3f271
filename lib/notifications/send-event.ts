import type { ChannelType } from '../../db/schema/index.js';
import { decryptSecret } from '../crypto/secret-box.js';
import { env } from '../env.js';
import type { EventDocument } from './event-document.js';
import { postJson, type PostResult } from './post-json.js';
import { SIGNATURE_HEADER, signBody } from './signature.js';
import { slackMessage } from './slack-message.js';

export interface ChannelSecrets {
  type: ChannelType;
  urlEncrypted: string;
  signingSecretEncrypted: string | null;
}

/**
 * Sends one event to one channel: the event document itself to a webhook, signed; a Block Kit
 * message to Slack. Every request names the event, and its id is the idempotency key a receiver
 * drops repeats by (a retry after a lost answer sends the same id).
 */
export async function sendEvent(channel: ChannelSecrets, event: EventDocument, now = new Date()): Promise<PostResult> {
  const body = JSON.stringify(channel.type === 'slack' ? slackMessage(event) : event);
  const headers: Record<string, string> = {
    'user-agent': 'pg-reviewer-notifications',
    'pg-reviewer-event': event.type,
    'pg-reviewer-event-id': event.id,
    'idempotency-key': event.id,
  };
  if (channel.type === 'webhook' && channel.signingSecretEncrypted)
    headers[SIGNATURE_HEADER] = signBody(decryptSecret(channel.signingSecretEncrypted), body, now);
  return postJson(
    new URL(decryptSecret(channel.urlEncrypted)),
    body,
    headers,
    env().NOTIFICATION_TIMEOUT_SECONDS * 1000,
  );
}
