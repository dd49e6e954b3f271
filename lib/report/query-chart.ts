import { html, type SafeHtml } from './html.js';
import type { QueryBar } from './report-sections.js';
import { formatMs } from '../analyses/format.js';

// Fixed geometry in a viewBox: the chart scales with the page and needs no script or library.
const WIDTH = 760;
// 12px monospace is about 7.2px a character: "#10 " and 26 characters fit the label column.
const LABEL_WIDTH = 240;
const LABEL_CHARS = 26;
const VALUE_WIDTH = 130;
const ROW = 26;
const BAR = 16;

const shorten = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export function barValueText(bar: QueryBar): string {
  return `${formatMs(bar.totalMs)}${bar.percent === null ? '' : ` · ${bar.percent}%`}`;
}

/** Horizontal bars of total time per statement, longest first; each bar's tooltip holds the statement text. */
export function queryChart(bars: readonly QueryBar[]): SafeHtml {
  const max = Math.max(...bars.map((b) => b.totalMs));
  const span = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const height = bars.length * ROW + 4;
  return html`<svg
    class="chart"
    viewBox="0 0 ${WIDTH} ${height}"
    width="${WIDTH}"
    height="${height}"
    role="img"
    aria-label="Top statements by total time"
  >
    ${bars.map((bar, i) => {
      const y = i * ROW + 2;
      const width = Math.max(2, Math.round((bar.totalMs / max) * span));
      const text = bar.query ? `${bar.label}: ${bar.query.replace(/\s+/g, ' ')}` : bar.label;
      return html`<g class="bar" data-rank="${bar.rank}" data-total-ms="${bar.totalMs}"
        ><title>#${bar.rank} ${text} (${barValueText(bar)}${bar.calls === null ? '' : `, ${bar.calls} calls`})</title
        ><text class="bar-label" x="0" y="${y + BAR - 3}"
          >#${bar.rank} ${shorten(bar.query ?? bar.label, LABEL_CHARS)}</text
        ><rect x="${LABEL_WIDTH}" y="${y}" width="${width}" height="${BAR}" rx="2"></rect
        ><text class="bar-value" x="${LABEL_WIDTH + width + 6}" y="${y + BAR - 3}">${barValueText(bar)}</text></g
      > `;
    })}
  </svg>`;
}
