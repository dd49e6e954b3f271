import { html, type SafeHtml } from '../report/html.js';

const WIDTH = 96;
const HEIGHT = 24;
const PAD = 3;

/**
 * Open findings over the last runs as a small inline line chart, oldest on the left; its title reads the values out.
 */
export function sparkline(points: readonly number[], label: string): SafeHtml | string {
  if (points.length === 0) return '—';
  const max = Math.max(...points, 1);
  const step = points.length > 1 ? (WIDTH - 2 * PAD) / (points.length - 1) : 0;
  const coordinates = points.map(
    (value, i) => [PAD + i * step, HEIGHT - PAD - (value / max) * (HEIGHT - 2 * PAD)] as const,
  );
  const polyline = coordinates.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  const [lastX, lastY] = coordinates[coordinates.length - 1];
  const description = `${label}: ${points.join(', ')}`;
  return html`<svg
    class="trend"
    role="img"
    aria-label="${description}"
    width="${WIDTH}"
    height="${HEIGHT}"
    viewBox="0 0 ${WIDTH} ${HEIGHT}"
  >
    <title>${description}</title>
    <polyline points="${polyline}" />
    <circle cx="${lastX.toFixed(1)}" cy="${lastY.toFixed(1)}" r="2.5" />
  </svg>`;
}
