import { html, type SafeHtml } from '../report/html.js';

/**
 * A moment as UTC text, which the page's script rewrites into the viewer's own time zone, keeping
 * the UTC value on hover; without the script it stays readable UTC.
 */
export function timeTag(value: string | Date | null | undefined): SafeHtml | string {
  if (!value) return '—';
  const iso = new Date(value).toISOString();
  const utc = `${iso.slice(0, 16).replace('T', ' ')} UTC`;
  return html`<time datetime="${iso}" title="${utc}">${utc}</time>`;
}
