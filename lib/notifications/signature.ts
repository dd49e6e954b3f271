import { createHmac } from 'node:crypto';

export const SIGNATURE_HEADER = 'pg-reviewer-signature';

const hmac = (secret: string, timestamp: number, body: string) =>
  createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, as Stripe signs its webhooks: the
 * timestamp is signed with the body, so a receiver that refuses old timestamps cannot be replayed to.
 */
export function signBody(secret: string, body: string, now: Date): string {
  const timestamp = Math.floor(now.getTime() / 1000);
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}
