import type { Finding, NotAssessable, ReviewResult } from '../analyses/types.js';
import { html, SafeHtml } from './html.js';
import { advicePlansHtml } from './index-advice-plans.js';
import { logSectionsHtml } from './log-sections-html.js';
import { queryChart } from './query-chart.js';
import { notificationsHtml } from './notifications-section.js';
import type { ReportData } from './report-data.js';
import {
  DATA_ROWS_SHOWN,
  groupFindings,
  headerFacts,
  reportTitle,
  severities,
  severityCounts,
  statusNote,
  topQueryBars,
  typeLine,
  type FindingGroup,
} from './report-sections.js';
import { reportStyle } from './report-style.js';

/**
 * Nothing on the page may load or run anything: no scripts, no external assets. The same policy is
 * sent as a response header too; the meta tag keeps it when the page is saved and reopened.
 */
export const REPORT_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

// The stylesheet is a constant of ours; escaping it would break selectors like `a > b`.
const style = new SafeHtml(reportStyle);

export function renderHtml(data: ReportData): string {
  const result = data.result;
  const note = statusNote(data);
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}" />
        <title>${reportTitle(data)}</title>
        <style>
          ${style}
        </style>
      </head>
      <body>
        <main>
          ${header(data, result)}
          ${note && html`<section class="status status-${data.status}" id="status"><p>${note}</p></section>`}
          ${result && [summary(result), changes(result), topQueries(result), logSectionsHtml(result.findings), findings(result), notAssessable(result.not_assessable), customSqlData(result)]}
          ${notificationsHtml(data.notifications)} ${footer(result)}
        </main>
      </body>
    </html> `.value;
}

function header(data: ReportData, result: ReviewResult | null): SafeHtml {
  const facts = headerFacts(data, result);
  return html`<header>
    <h1>${reportTitle(data)}</h1>
    <p class="subtitle">
      ${typeLine(data, result)}${data.database && html` of database <strong>${data.database}</strong>`}
    </p>
    <dl class="facts">
      ${facts
        .filter(([, value]) => value !== null)
        .map(
          ([name, value]) =>
            html`<dt>${name}</dt>
              <dd>${value}</dd>`,
        )}
    </dl>
  </header>`;
}

function summary(result: ReviewResult): SafeHtml {
  const counts = severityCounts(result.findings);
  return html`<section id="summary">
    <h2>Summary</h2>
    <ul class="counts">
      ${severities.map((s) => html`<li class="count sev-${s}" data-severity="${s}"><span class="n">${counts[s]}</span> ${s}</li>`)}
      <li class="count sev-na" data-severity="not_assessable">
        <span class="n">${result.not_assessable.length}</span> not assessable
      </li>
    </ul>
  </section>`;
}

function changes(result: ReviewResult): SafeHtml {
  const c = result.changes;
  if (c.previous_execution_id === null) {
    return html`<section id="changes" class="changes">
      <h2>Changes since the previous run</h2>
      <p>This is the first completed run of this task: there is nothing to compare with yet.</p>
    </section>`;
  }
  const ref = (f: { check: string; object: string | null; severity: string; title: string }, extra?: string) =>
    html`<li>
      <span class="badge sev-${f.severity}">${f.severity}</span
      >${f.title}${f.object && html` <code>${f.object}</code>`}${extra && html` (${extra})`}
    </li>`;
  const list = (kind: string, title: string, items: SafeHtml[]) =>
    html`<h3 class="change-${kind}">${title} (${items.length})</h3>
      ${
        items.length
          ? html`<ul data-change="${kind}">
              ${items}
            </ul>`
          : html`<p>None.</p>`
      }`;
  return html`<section id="changes" class="changes">
    <h2>Changes since execution #${c.previous_execution_id}</h2>
    ${list(
      'new',
      'New',
      c.new.map((f) => ref(f)),
    )}
    ${list(
      'worsened',
      'Worsened',
      c.worsened.map((f) => ref(f, f.reason)),
    )}
    ${list(
      'resolved',
      'Resolved',
      c.resolved.map((f) => ref(f)),
    )}
  </section>`;
}

function topQueries(result: ReviewResult): SafeHtml | null {
  const bars = topQueryBars(result.findings);
  if (bars.length === 0) return null;
  return html`<section id="top-queries">
    <h2>Top statements by total time</h2>
    <p>
      Total execution time per normalized statement as pg_stat_statements counts it; hover a bar for the statement text.
    </p>
    ${queryChart(bars)}
  </section>`;
}

function findings(result: ReviewResult): SafeHtml {
  if (result.findings.length === 0)
    return html`<section id="findings">
      <h2>Findings</h2>
      <p>No findings: every check that ran found nothing to report.</p>
    </section>`;
  return html`<section id="findings">
    <h2>Findings</h2>
    ${groupFindings(result.findings).map(family)}
  </section>`;
}

function family(group: FindingGroup): SafeHtml {
  const counts = severities
    .filter((s) => group.counts[s] > 0)
    .map((s) => `${group.counts[s]} ${s}`)
    .join(' · ');
  return html`<section class="family" data-family="${group.family}">
    <h3>${group.title}<span class="family-counts">${counts}</span></h3>
    ${group.findings.map(finding)}
  </section>`;
}

function finding(f: Finding): SafeHtml {
  return html`<article class="finding sev-${f.severity}" data-check="${f.check}">
    <header>
      <span class="badge sev-${f.severity}">${f.severity}</span>
      <h4>${f.title}</h4>
    </header>
    <p class="object">${f.object && html`<code>${f.object}</code> · `}${f.check}</p>
    <p class="detail">${f.detail}</p>
    ${
      f.recommendation &&
      html`<p class="label">Recommendation</p>
        ${sqlBlock(f.recommendation)}`
    }
    ${advicePlansHtml(f)}
    ${
      Object.keys(f.evidence).length > 0 &&
      html`<details>
        <summary>Evidence</summary>
        <pre class="evidence">${JSON.stringify(f.evidence, null, 2)}</pre>
      </details>`
    }
  </article>`;
}

const sqlBlock = (text: string) => html`<pre class="sql"><code>${text}</code></pre>`;

function notAssessable(items: NotAssessable[]): SafeHtml | null {
  if (items.length === 0) return null;
  return html`<section id="not-assessable">
    <h2>Not assessable</h2>
    <p>These checks could not run with the reviewing role's privileges or the server's settings.</p>
    ${items.map(
      (n) =>
        html`<article class="na-item sev-na" data-check="${n.check}">
          <h4>${(n.checks ?? [n.check]).join(', ')}</h4>
          <p>${n.reason}</p>
          ${
            n.enable
              ? html`<p class="label">To enable it</p>
                  ${sqlBlock(n.enable)}`
              : html`<p class="label">No grant or setting enables it.</p>`
          }
          ${n.error && html`<p class="error">${n.error}</p>`}
        </article>`,
    )}
  </section>`;
}

function customSqlData(result: ReviewResult): SafeHtml | null {
  const data = result.data;
  if (!data) return null;
  const rows = data.rows.slice(0, DATA_ROWS_SHOWN);
  const more =
    data.row_count > rows.length
      ? ` The first ${rows.length} of ${data.row_count} rows are shown; the execution's JSON has them all.`
      : '';
  return html`<section id="data">
    <h2>Query result</h2>
    <p>
      ${data.row_count} row${data.row_count === 1 ? '' : 's'}${data.truncated ? ' (stopped at max_rows)' : ''}.${more}
    </p>
    <table class="data">
      <thead>
        <tr>
          ${data.columns.map((c) => html`<th>${c.name} <small>${c.type}</small></th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (row) =>
            html`<tr>
              ${row.map(cell)}
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

function cell(value: unknown): SafeHtml {
  if (value === null || value === undefined) return html`<td class="null">NULL</td>`;
  return html`<td>${typeof value === 'object' ? JSON.stringify(value) : String(value)}</td>`;
}

function footer(result: ReviewResult | null): SafeHtml {
  const server = result?.server;
  return html`<footer>
    ${server?.version && html`<p>${server.version}, reviewed as ${server.current_user}${server.is_superuser ? ' (superuser)' : ''}${server.in_recovery ? ', a standby' : ''}.</p>`}
    <p>pg-reviewer report. The same data as JSON: GET /api/v1/scheduler/executions/{id}.</p>
  </footer>`;
}
