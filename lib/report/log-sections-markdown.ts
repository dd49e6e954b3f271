import type { Finding } from '../analyses/types.js';
import { mdCode, mdParagraph, mdTable, mdText } from './markdown.js';
import { logTables } from './log-tables.js';

/** The log review's tables (log-tables.ts) as Markdown sections, between the summary and the findings. */
export function logSectionsMarkdown(findings: readonly Finding[]): string | null {
  const sections = logTables(findings).map((t) => {
    const rows = t.rows.map((row) =>
      row.map((cell, i) =>
        i === t.codeColumn ? mdCode(cell.length > 100 ? `${cell.slice(0, 99)}…` : cell, true) : mdText(cell),
      ),
    );
    return [`## ${mdText(t.title)}`, t.note ? mdParagraph(t.note) : null, mdTable(t.header.map(mdText), t.align, rows)]
      .filter((p): p is string => p !== null)
      .join('\n\n');
  });
  return sections.length > 0 ? sections.join('\n\n') : null;
}
