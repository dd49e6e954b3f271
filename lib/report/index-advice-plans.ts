import type { Finding } from '../analyses/types.js';
import { html, type SafeHtml } from './html.js';
import { mdCode, mdFence, mdText } from './markdown.js';

/** One statement an index advice serves, with its generic plan today and with the index. */
interface AdvicePlan {
  queryid: string;
  query: string;
  calls: number | null;
  costBefore: number | null;
  costAfter: number | null;
  planBefore: string | null;
  planAfter: string | null;
}

/** Stored results outlive code changes: read the advice's statements defensively. */
function advicePlans(f: Finding): AdvicePlan[] {
  if (f.check !== 'queries.index_advice' || !Array.isArray(f.evidence.statements)) return [];
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  const number = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return (f.evidence.statements as Array<Record<string, unknown>>)
    .filter((s) => s && typeof s === 'object')
    .map((s) => ({
      queryid: String(s.queryid ?? '?'),
      query: text(s.query) ?? '',
      calls: number(s.calls),
      costBefore: number(s.cost_before),
      costAfter: number(s.cost_after),
      planBefore: text(s.plan_before),
      planAfter: text(s.plan_after),
    }));
}

const costLine = (p: AdvicePlan) =>
  `queryid ${p.queryid}${p.calls !== null ? `, ${p.calls} calls` : ''}${p.costBefore !== null && p.costAfter !== null ? `: planner cost ${p.costBefore} → ${p.costAfter}` : ''}`;

const afterNote = 'No plan with the index: the gain is an estimate (HypoPG is not installed).';

export function advicePlansHtml(f: Finding): SafeHtml | null {
  const plans = advicePlans(f);
  if (plans.length === 0) return null;
  return html`<div class="advice-plans">
    <p class="label">Statements it serves, with their plans before and after</p>
    ${plans.map(
      (p) =>
        html`<div class="advice-statement" data-queryid="${p.queryid}">
          <p>${costLine(p)}</p>
          <pre class="sql"><code>${p.query}</code></pre>
          <p class="label">Plan now</p>
          <pre class="plan plan-before">${p.planBefore ?? ''}</pre>
          <p class="label">Plan with the index</p>
          ${p.planAfter ? html`<pre class="plan plan-after">${p.planAfter}</pre>` : html`<p>${afterNote}</p>`}
        </div>`,
    )}
  </div>`;
}

export function advicePlansMarkdown(f: Finding): string | null {
  const plans = advicePlans(f);
  if (plans.length === 0) return null;
  const blocks = plans.map((p) =>
    [
      `- ${mdText(costLine(p))}: ${mdCode(p.query)}`,
      `  Plan now:\n\n${indent(mdFence(p.planBefore ?? ''))}`,
      p.planAfter ? `  Plan with the index:\n\n${indent(mdFence(p.planAfter))}` : `  ${mdText(afterNote)}`,
    ].join('\n\n'),
  );
  return `Statements it serves, with their plans before and after:\n\n${blocks.join('\n\n')}`;
}

const indent = (block: string) => block.replace(/^/gm, '  ');
