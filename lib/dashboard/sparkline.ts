import { escapeHtml, SafeHtml } from '../report/html.js';

const WIDTH = 96;
const HEIGHT = 24;
const PAD = 3;

/**
 * Open findings over the last runs as a small inline line chart, oldest on the left; its title reads the values out
 * (the accessible name of an SVG image, and the tooltip). Built as one string: the overview draws a thousand of them.
 */
export function sparkline(points: readonly number[], label: string): SafeHtml | string {
  if (points.length === 0) return '—';
  let max = 1;
  for (const value of points) if (value > max) max = value;
  const step = points.length > 1 ? (WIDTH - 2 * PAD) / (points.length - 1) : 0;
  let polyline = '';
  let x = '';
  let y = '';
  for (let i = 0; i < points.length; i++) {
    x = (PAD + i * step).toFixed(1);
    y = (HEIGHT - PAD - (points[i] / max) * (HEIGHT - 2 * PAD)).toFixed(1);
    polyline += `${i > 0 ? ' ' : ''}${x},${y}`;
  }
  return new SafeHtml(
    `<svg class="trend" role="img" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">` +
      `<title>${escapeHtml(label)}: ${points.join(', ')}</title><polyline points="${polyline}" />` +
      `<circle cx="${x}" cy="${y}" r="2.5" /></svg>`,
  );
}
