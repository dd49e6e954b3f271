// Added to the report's stylesheet (lib/report/report-style.ts): navigation, tables, buttons and dark mode.
export const dashboardStyle = `
main { max-width: 1180px; }
a { color: var(--info); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline: 3px solid var(--info); outline-offset: 2px; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 12px; top: 12px; background: #fff; padding: 6px 10px; z-index: 1; }
nav.top { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 18px; padding: 10px 20px; border-bottom: 1px solid var(--line); background: var(--muted-bg); }
nav.top .brand { font-weight: 700; margin-right: 8px; }
nav.top a { text-decoration: none; padding: 4px 0; }
nav.top a[aria-current=page] { font-weight: 700; border-bottom: 2px solid var(--info); }
nav.top form { margin-left: auto; }
.table-wrap { overflow-x: auto; margin: 8px 0 16px; }
table.grid { border-collapse: collapse; width: 100%; font-size: 14px; }
table.grid th, table.grid td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
table.grid th { font-size: 13px; color: var(--muted); font-weight: 600; white-space: nowrap; }
table.grid td.num { text-align: right; font-variant-numeric: tabular-nums; }
.nowrap { white-space: nowrap; }
.pill { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; font-weight: 700; border: 1px solid var(--sev, var(--line)); color: var(--sev, var(--muted)); margin: 1px 2px 1px 0; white-space: nowrap; }
.status-completed { color: var(--ok); } .status-failed { color: var(--critical); font-weight: 700; } .status-queued, .status-running { color: var(--info); } .status-skipped, .status-cancelled { color: var(--muted); }
.review { white-space: nowrap; }
.muted { color: var(--muted); }
.actions { display: flex; flex-wrap: wrap; gap: 6px; }
button, .button { font: inherit; font-size: 13px; padding: 4px 10px; border: 1px solid var(--line); border-radius: 6px; background: #fff; color: inherit; cursor: pointer; }
button.primary { background: var(--info); border-color: var(--info); color: #fff; }
form.filters { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: end; margin: 12px 0; }
form.filters label, form.sign-in label { display: flex; flex-direction: column; font-size: 13px; color: var(--muted); gap: 2px; }
input, select { font: inherit; font-size: 14px; padding: 4px 6px; border: 1px solid var(--line); border-radius: 6px; background: #fff; color: inherit; }
form.sign-in { display: flex; flex-direction: column; gap: 12px; max-width: 420px; }
.notice { padding: 10px 14px; border-radius: 6px; border-left: 4px solid var(--info); background: var(--info-bg); margin: 12px 0; }
.notice.error { border-color: var(--critical); background: var(--critical-bg); }
svg.trend { vertical-align: middle; }
svg.trend polyline { fill: none; stroke: var(--info); stroke-width: 1.5; }
svg.trend circle { fill: var(--info); }
.pager { display: flex; gap: 16px; margin: 8px 0; }
@media (max-width: 600px) {
  main { padding: 16px 12px 32px; }
  h1 { font-size: 22px; }
  /* Rows become cards: one cell per line, labelled where the value does not say what it is. */
  table.grid thead { display: none; }
  table.grid tr { display: block; padding: 8px 0; border-bottom: 1px solid var(--line); }
  table.grid td { display: block; border: 0; padding: 2px 0; text-align: left; }
  table.grid td.num { text-align: left; }
  table.grid td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-size: 13px; }
}
@media (prefers-color-scheme: dark) {
  :root { --critical: #f97066; --critical-bg: #3a1512; --warning: #fdb022; --warning-bg: #35260a; --info: #84caff; --info-bg: #102a43; --muted: #98a2b3; --muted-bg: #1d2939; --line: #344054; --ok: #47cd89; }
  body { background: #0c111d; color: #f2f4f7; }
  .object code, pre.evidence, table.data th, table.data td { color: #f2f4f7; }
  .finding, .na-item { background: linear-gradient(90deg, var(--sev-bg), #0c111d 240px); }
  button, .button, input, select, .skip:focus { background: #161b26; }
  .badge { color: #0c111d; }
  button.primary { color: #0c111d; }
}
`;
