import { ATTACHED_LABELS, ENTRY_SEVERITIES } from './log-entry.js';

/** What a capture group of the line pattern holds. */
export type PrefixField = 'time' | 'user' | 'database' | 'host' | 'application' | 'sqlstate' | 'severity' | 'pid';

export interface LinePattern {
  regex: RegExp;
  /** fields[i] names capture group i + 1. */
  fields: PrefixField[];
  /** The capture group holding the severity or attached-line label. */
  labelGroup: number;
}

interface Escape {
  pattern: string;
  field: PrefixField | null;
}

const TIMESTAMP = '\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}';
// %Z of log_timezone: "UTC", "CET", "+03", "-0330".
const ZONE = '(?: [A-Za-z0-9+\\-:]+)?';

// log_line_prefix escapes (PostgreSQL docs, "What to Log"), as pgBadger's
// build_log_line_prefix_regex maps them, loosened where names may hold any non-space character.
const ESCAPES: Record<string, Escape> = {
  a: { pattern: '.*?', field: 'application' },
  u: { pattern: '\\S*?', field: 'user' },
  d: { pattern: '\\S*?', field: 'database' },
  r: { pattern: '[^\\s(]*', field: 'host' }, // host(port): the port is matched after the group
  h: { pattern: '\\S*', field: 'host' },
  b: { pattern: '.*?', field: null },
  p: { pattern: '\\d+', field: 'pid' },
  P: { pattern: '\\d*', field: null },
  t: { pattern: `${TIMESTAMP}${ZONE}`, field: 'time' },
  m: { pattern: `${TIMESTAMP}\\.\\d+${ZONE}`, field: 'time' },
  n: { pattern: '\\d+\\.\\d+', field: 'time' },
  i: { pattern: '.*?', field: null },
  e: { pattern: '[0-9A-Z]{5}', field: 'sqlstate' },
  c: { pattern: '[0-9a-f]+\\.[0-9a-f]+', field: null },
  l: { pattern: '\\d+', field: null },
  s: { pattern: `${TIMESTAMP}${ZONE}`, field: null },
  v: { pattern: '\\S*', field: null },
  x: { pattern: '\\d*', field: null },
  Q: { pattern: '-?\\d+', field: null },
};

const LABELS = [...ENTRY_SEVERITIES, ...ATTACHED_LABELS].join('|');
// "ERROR:  " then, with log_error_verbosity = verbose, "42P01: " before the message.
const SEVERITY_TAIL = `(${LABELS}):  (?:([0-9A-Z]{5}): )?`;

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A regex that recognises the first line of each entry written with this log_line_prefix and
 * captures the fields a review needs. The part after %q is optional: the server writes it only
 * for session processes.
 */
export function buildLinePattern(prefix: string): LinePattern {
  const fields: PrefixField[] = [];
  const q = prefix.indexOf('%q');
  const before = compilePrefix(q === -1 ? prefix : prefix.slice(0, q), fields);
  const after = q === -1 ? '' : compilePrefix(prefix.slice(q + 2), fields);
  fields.push('severity', 'sqlstate');
  const source = `^${before}${after ? `(?:${after})?` : ''}${SEVERITY_TAIL}`;
  return { regex: new RegExp(source), fields, labelGroup: fields.length - 1 };
}

/**
 * For lines written with a prefix other than the current one (log_line_prefix was changed):
 * anything, then the severity label. Slower and blind to the prefix fields, so only used after
 * the real prefix stopped matching.
 */
export function fallbackLinePattern(): LinePattern {
  return { regex: new RegExp(`^(?:.*?[\\s\\]:>])?${SEVERITY_TAIL}`), fields: ['severity', 'sqlstate'], labelGroup: 1 };
}

function compilePrefix(prefix: string, fields: PrefixField[]): string {
  let source = '';
  let last = 0;
  const escape = /%(-?\d+)?(.)/g;
  for (let m = escape.exec(prefix); m; m = escape.exec(prefix)) {
    source += escapeRegex(prefix.slice(last, m.index));
    last = escape.lastIndex;
    const letter = m[2];
    if (letter === '%') {
      source += '%';
      continue;
    }
    const known = ESCAPES[letter] ?? { pattern: '.*?', field: null };
    let piece = known.field ? `(${known.pattern})` : `(?:${known.pattern})`;
    if (known.field) fields.push(known.field);
    if (letter === 'r') piece += '(?:\\(\\d+\\))?';
    // Padded escapes (%-10u, %10p) are filled with spaces to the width.
    if (m[1]) piece = `\\s*${piece}\\s*`;
    source += piece;
  }
  return source + escapeRegex(prefix.slice(last));
}
