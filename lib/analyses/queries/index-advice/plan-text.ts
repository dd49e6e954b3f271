import { PLAN_LINES } from './thresholds.js';
import type { PlanNode } from './generic-plan.js';

const detailFields = ['Index Cond', 'Recheck Cond', 'Filter', 'Hash Cond', 'Merge Cond', 'Join Filter', 'Sort Key'];

/** A plan as EXPLAIN's text format writes it, from the JSON one, cut at PLAN_LINES lines. */
export function planText(plan: PlanNode): string {
  const lines: string[] = [];
  const visit = (node: PlanNode, depth: number) => {
    const indent = depth === 0 ? '' : `${'      '.repeat(depth - 1)}  ->  `;
    const on = node['Index Name']
      ? ` using ${node['Index Name']} on ${node['Relation Name'] ?? '?'}`
      : node['Relation Name']
        ? ` on ${node['Relation Name']}${node.Alias && node.Alias !== node['Relation Name'] ? ` ${node.Alias}` : ''}`
        : '';
    const direction = node['Scan Direction'] === 'Backward' ? ' Backward' : '';
    lines.push(
      `${indent}${node['Node Type']}${direction}${on}  (cost=${fixed(node['Startup Cost'])}..${fixed(node['Total Cost'])} ` +
        `rows=${node['Plan Rows'] ?? '?'})`,
    );
    const pad = `${' '.repeat(indent.length + (depth === 0 ? 2 : 4))}`;
    for (const field of detailFields) {
      const value = node[field];
      if (value !== undefined) lines.push(`${pad}${field}: ${Array.isArray(value) ? value.join(', ') : String(value)}`);
    }
    for (const child of node.Plans ?? []) visit(child, depth + 1);
  };
  visit(plan, 0);
  return lines.length > PLAN_LINES
    ? [...lines.slice(0, PLAN_LINES), `… ${lines.length - PLAN_LINES} more lines`].join('\n')
    : lines.join('\n');
}

const fixed = (n: unknown) => (typeof n === 'number' ? n.toFixed(2) : '?');
