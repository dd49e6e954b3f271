import { splitIdentifier } from '../table-names.js';

/**
 * target_tables narrows the review to statements whose text names one of the tables.
 *
 * This is a text match, not a parse: a name is found where it stands as a whole word
 * (so "orders" does not match "orders_archive"), case-insensitively, with or without
 * double quotes. "sales.orders" matches "sales.orders" and a bare "orders", but not
 * "other.orders"; a bare "orders" matches it in any schema. A column, alias or CTE with
 * the same name also matches, and statements hidden from the reviewing role cannot match.
 * The patterns are PostgreSQL regular expressions, evaluated by the server with `~*`.
 */
export function tablePatterns(targetTables: string[] | undefined): string[] | null {
  if (!targetTables || targetTables.length === 0) return null;
  return targetTables.map((name) => {
    const parts = splitIdentifier(name);
    const table = quotable(parts[parts.length - 1]);
    if (parts.length === 1) return `${START}${table}${END}`;
    const schema = quotable(parts[0]);
    // The bare name may not follow a dot (or dot-quote): that would be another schema's table.
    return `${START}${schema}\\s*\\.\\s*${table}${END}|(?<![\\w$."])${table}${END}`;
  });
}

// Identifier characters in PostgreSQL are letters, digits, _ and $; a name starts and ends where they stop.
const START = '(?<![\\w$])';
const END = '(?![\\w$])';

const quotable = (part: string) => `"?${escapeRegex(part)}"?`;

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
