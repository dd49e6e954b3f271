// Inline so the page is one self-contained file: it can be saved, mailed or opened offline.
export const reportStyle = `
:root { --critical: #b42318; --critical-bg: #fef3f2; --warning: #b54708; --warning-bg: #fffaeb;
  --info: #175cd3; --info-bg: #eff8ff; --muted: #475467; --muted-bg: #f2f4f7; --line: #d0d5dd; --ok: #067647; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #101828; background: #fff; }
main { max-width: 980px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 32px 0 12px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 17px; margin: 24px 0 8px; }
h4 { font-size: 15px; margin: 0; display: inline; }
code, pre { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
p { margin: 6px 0; }
.subtitle { color: var(--muted); margin: 0 0 12px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0; color: var(--muted); font-size: 14px; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.status { padding: 12px 16px; border-radius: 6px; border-left: 4px solid var(--muted); background: var(--muted-bg); margin: 16px 0; }
.status-failed { border-color: var(--critical); background: var(--critical-bg); }
.counts { display: flex; flex-wrap: wrap; gap: 12px; list-style: none; padding: 0; margin: 0; }
.count { min-width: 150px; padding: 10px 16px; border-radius: 8px; border: 1px solid var(--line); border-top-width: 4px; }
.count .n { display: block; font-size: 28px; font-weight: 700; line-height: 1.1; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 700; text-transform: uppercase; letter-spacing: .03em; vertical-align: 2px; margin-right: 6px; }
.sev-critical { --sev: var(--critical); --sev-bg: var(--critical-bg); }
.sev-warning { --sev: var(--warning); --sev-bg: var(--warning-bg); }
.sev-info { --sev: var(--info); --sev-bg: var(--info-bg); }
.sev-na { --sev: var(--muted); --sev-bg: var(--muted-bg); }
.count, .badge { border-color: var(--sev); }
.count .n { color: var(--sev); }
.badge { color: #fff; background: var(--sev); }
.family-counts { font-weight: 400; color: var(--muted); font-size: 14px; margin-left: 8px; }
.finding, .na-item { border: 1px solid var(--line); border-left: 4px solid var(--sev); border-radius: 6px; padding: 12px 16px; margin: 10px 0; background: linear-gradient(90deg, var(--sev-bg), #fff 240px); }
.object { color: var(--muted); font-size: 14px; }
.object code { color: #101828; background: var(--muted-bg); padding: 0 4px; border-radius: 3px; }
.label { font-weight: 600; font-size: 13px; color: var(--muted); margin-top: 10px; }
pre { margin: 4px 0; padding: 10px 12px; background: #0c111d; color: #f2f4f7; border-radius: 6px; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
/* One click selects the whole statement, ready to copy. */
pre.sql code { user-select: all; -webkit-user-select: all; }
details { margin-top: 8px; font-size: 14px; }
summary { cursor: pointer; color: var(--muted); }
pre.evidence { background: var(--muted-bg); color: #101828; }
.error { color: var(--critical); font-size: 14px; }
.changes ul { margin: 4px 0 12px; padding-left: 20px; }
.change-new { color: var(--critical); } .change-resolved { color: var(--ok); } .change-worsened { color: var(--warning); }
/* Never drawn larger than its viewBox, so labels keep the size the geometry was measured for. */
.chart { width: 100%; max-width: 760px; height: auto; }
.chart .bar-label { font: 12px ui-monospace, Menlo, Consolas, monospace; fill: #101828; }
.chart .bar-value { font-size: 12px; fill: var(--muted); }
.chart rect { fill: var(--info); }
table.data { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
table.data th, table.data td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
table.data th small { font-weight: 400; color: var(--muted); }
.null { color: var(--muted); font-style: italic; }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; border-top: 1px solid var(--line); padding-top: 8px; }
@media print { .finding, .na-item { break-inside: avoid; } pre { white-space: pre-wrap; } }
`;
