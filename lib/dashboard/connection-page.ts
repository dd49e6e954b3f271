import { getDb } from '../../db/client.js';
import { findConnection } from '../../db/queries/connections.js';
import { taskListRows } from '../../db/queries/dashboard.js';
import {
  openFindings,
  RESOLVED_WINDOW_DAYS,
  resolvedFindings,
  type FindingHistoryEntry,
} from '../findings/finding-history.js';
import { notFound } from '../http/errors.js';
import { html, type SafeHtml } from '../report/html.js';
import type { Access, DashboardResult } from './access.js';
import { page } from './layout.js';
import { taskTable } from './task-table.js';
import { timeTag } from './time.js';

export async function connectionPage(access: Access, connectionId: number): Promise<DashboardResult> {
  const db = getDb();
  const connection = await findConnection(db, connectionId);
  if (!connection) throw notFound(`Connection ${connectionId}`);
  const [open, resolved, tasks] = await Promise.all([
    openFindings(db, connectionId),
    resolvedFindings(db, connectionId),
    taskListRows(db, { connectionId }),
  ]);
  const back = `/dashboard/connections/${connectionId}`;
  return page(
    { title: connection.name, section: 'none', access },
    html`<h1>${connection.name}</h1>
      <p class="subtitle">
        ${connection.username}@${connection.host}:${connection.port}/${connection.database} ·
        <a href="/dashboard/executions?connection_id=${connectionId}">all executions</a> ·
        <a href="/api/v1/connections/${connectionId}/findings">as JSON</a>
      </p>
      <section id="open-findings">
        <h2>Open findings (${open.length})</h2>
        <p class="muted">
          From each task's latest completed run. <em>First seen</em> is the run where the finding appeared, followed
          back through each run's changes.
        </p>
        ${open.length === 0 ? html`<p>None.</p>` : findingTable(open, 'open')}
      </section>
      <section id="resolved-findings">
        <h2>Resolved in the last ${RESOLVED_WINDOW_DAYS} days (${resolved.length})</h2>
        ${resolved.length === 0 ? html`<p>None.</p>` : findingTable(resolved, 'resolved')}
      </section>
      <section id="connection-tasks">
        <h2>Tasks (${tasks.length})</h2>
        ${taskTable(tasks, access, back, false)}
      </section>`,
  );
}

function findingTable(findings: FindingHistoryEntry[], state: 'open' | 'resolved'): SafeHtml {
  return html`<div class="table-wrap">
    <table class="grid findings" data-state="${state}">
      <thead>
        <tr>
          <th scope="col">Finding</th>
          <th scope="col">Task</th>
          <th scope="col">First seen</th>
          <th scope="col">${state === 'open' ? 'Runs' : 'Last seen'}</th>
          ${state === 'resolved' && html`<th scope="col">Resolved</th>`}
        </tr>
      </thead>
      <tbody>
        ${findings.map((f) => findingRow(f, state))}
      </tbody>
    </table>
  </div>`;
}

function findingRow(f: FindingHistoryEntry, state: 'open' | 'resolved'): SafeHtml {
  return html`<tr class="sev-${f.severity}" data-check="${f.check}" data-object="${f.object ?? ''}">
    <td>
      <span class="badge sev-${f.severity}">${f.severity}</span
      >${f.title}${f.object && html`<br /><span class="object"><code>${f.object}</code></span>`}
      ${
        f.recommendation &&
        html`<details>
          <summary>Recommendation</summary>
          <pre class="sql"><code>${f.recommendation}</code></pre>
        </details>`
      }
    </td>
    <td>${f.task_name}<br /><span class="muted">${f.task_type}</span></td>
    <td class="nowrap" data-field="first_seen" data-label="First seen">
      <a href="/dashboard/executions/${f.first_seen_execution_id}/report">#${f.first_seen_execution_id}</a
      ><br />${timeTag(f.first_seen)}
    </td>
    ${
      state === 'open'
        ? html`<td class="num" data-field="runs" data-label="Runs">${f.runs}</td>`
        : html`<td class="nowrap" data-label="Last seen">
              <a href="/dashboard/executions/${f.last_seen_execution_id}/report">#${f.last_seen_execution_id}</a
              ><br />${timeTag(f.last_seen)}
            </td>
            <td class="nowrap" data-field="resolved" data-label="Resolved">
              <a href="/dashboard/executions/${f.resolved_execution_id}/report">#${f.resolved_execution_id}</a
              ><br />${timeTag(f.resolved_at)}
            </td>`
    }
  </tr>`;
}
