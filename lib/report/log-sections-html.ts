import type { Finding } from '../analyses/types.js';
import { html, type SafeHtml } from './html.js';
import { logTables } from './log-tables.js';

/** The log review's tables (log-tables.ts) as HTML sections, between the summary and the findings. */
export function logSectionsHtml(findings: readonly Finding[]): SafeHtml[] {
  return logTables(findings).map(
    (t) =>
      html`<section id="${t.id}" class="log-section">
        <h2>${t.title}</h2>
        ${t.note && html`<p>${t.note}</p>`}
        <table class="data">
          <thead>
            <tr>
              ${t.header.map((h, i) => html`<th style="text-align:${t.align[i]}">${h}</th>`)}
            </tr>
          </thead>
          <tbody>
            ${t.rows.map(
              (row) =>
                html`<tr>
                  ${row.map((cell, i) => html`<td style="text-align:${t.align[i]}">${i === t.codeColumn ? html`<code>${cell}</code>` : cell}</td>`)}
                </tr>`,
            )}
          </tbody>
        </table>
      </section>`,
  );
}
