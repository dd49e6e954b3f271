import type { DeliveryResponse } from '../notifications/deliveries.js';
import { html, type SafeHtml } from './html.js';
import { mdTable, mdText } from './markdown.js';

/** The notifications a run caused, one line each: what, to which channel, and how its delivery stands. */
const rows = (items: DeliveryResponse[]) =>
  items.map((n) => ({
    event: n.event_type,
    channel: n.channel_name,
    status: n.status,
    detail:
      n.status === 'delivered'
        ? `delivered ${n.delivered_at} after ${n.attempts} attempt${n.attempts === 1 ? '' : 's'}`
        : n.status === 'pending'
          ? `${n.attempts} attempt${n.attempts === 1 ? '' : 's'} so far${n.next_attempt_at ? `, next at ${n.next_attempt_at}` : ''}${n.last_error ? `; last error: ${n.last_error}` : ''}`
          : `given up after ${n.attempts} attempts; last error: ${n.last_error ?? `status ${n.last_status_code}`}`,
  }));

export function notificationsHtml(items: DeliveryResponse[] = []): SafeHtml | null {
  if (items.length === 0) return null;
  return html`<section id="notifications">
    <h2>Notifications</h2>
    <table class="data">
      <thead>
        <tr>
          <th>Event</th>
          <th>Channel</th>
          <th>Status</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${rows(items).map(
          (r) =>
            html`<tr data-status="${r.status}">
              <td>${r.event}</td>
              <td>${r.channel}</td>
              <td>${r.status}</td>
              <td>${r.detail}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

export function notificationsMarkdown(items: DeliveryResponse[] = []): string | null {
  if (items.length === 0) return null;
  const table = mdTable(
    ['Event', 'Channel', 'Status', ''],
    ['left', 'left', 'left', 'left'],
    rows(items).map((r) => [mdText(r.event), mdText(r.channel), mdText(r.status), mdText(r.detail)]),
  );
  return `## Notifications\n\n${table}`;
}
