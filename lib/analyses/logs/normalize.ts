import { createHash } from 'node:crypto';
import { redactSecrets } from '../query-text.js';

/**
 * Error message normalization, after pgBadger's normalize_error: identifiers, values, positions,
 * PIDs, transaction ids and WAL positions are replaced so that one problem is one key.
 * Numbers left after those rules are replaced too (but signal numbers and exit codes), so a
 * message is never keyed by a value.
 */
export function normalizeError(message: string): string {
  let m = message;
  m = m.replace(/ at character \d+[\s\S]*/, '');
  m = m.replace(/(byte sequence for encoding).*/, '$1');
  m = m.replace(/"[^"]+"/g, '"..."');
  m = m.replace(/""\.\.\.""/g, '"..."');
  m = m.replace(/'(?:[^']|'')*'/g, "'...'");
  m = m.replace(/\([^)]+\)/g, '(...)');
  m = m.replace(/column .* does not exist/, 'column "..." does not exist');
  m = m.replace(/(database system was.* at (?:log time )?).*/, '$1 ...');
  m = m.replace(/[0-9A-F]{24}/g, '...');
  m = m.replace(/( for)? PID \d+/, '');
  m = m.replace(/ TIMELINE \d+/, ' TIMELINE n');
  m = m.replace(/ [0-9A-F]+\/[0-9A-F]+ /, ' x/x ');
  m = m.replace(/(transaction|relation|database|process) \d+/g, '$1 ...');
  m = m.replace(/after \d+\.\d+/, 'after ...');
  m = m.replace(/cannot drop ([^\s]+) [^\s]+ /, 'cannot drop $1 ... ');
  m = m.replace(/\[[^\]]+\]/g, '...');
  m = m.replace(/(character with byte sequence) .* (in encoding)/, '$1 ... $2');
  m = m.replace(/(invalid input syntax for [^:]+:).*/, '$1 ...');
  m = m.replace(/character (.*?) of encoding/, 'character ... of encoding');
  m = m.replace(/on page \d+ of relation/, 'on page ... of relation');
  m = m.replace(/(side location conflict at ).*/, '$1 ...');
  m = m.replace(/(permission denied for [^\s]+) .*/, '$1 ...');
  m = m.replace(/(database) (?:.*)? (must be vacuumed within) \d+ (transactions)/, '$1 "..." $2 ... $3');
  // Signal numbers and exit codes tell one crash from another (9: killed, 11: segfault).
  m = m.replace(/(?<!signal |exit code )\b\d+(?:\.\d+)?\b/g, '...');
  return m.replace(/\s+/g, ' ').trim();
}

/**
 * Statement normalization, after pgBadger's normalize_query: comments and literals removed,
 * case folded outside quoted identifiers, numbers and bind parameters replaced by ?, IN lists
 * collapsed, whitespace squeezed. The result never holds a literal value.
 */
export function normalizeQuery(query: string): string {
  let q = redactSecrets(query);
  q = q.replace(/\/\*[\s\S]*?\*\//g, ' ');
  q = q.replace(/\$([A-Za-z_][A-Za-z0-9_]*)?\$[\s\S]*?\$\1?\$/g, '?');
  q = q.replace(/[eEbBxXuU]?&?'(?:[^'\\]|''|\\.)*'/g, '?');
  q = q.replace(/--[^\n]*/g, ' ');
  // Quoted identifiers keep their case and their digits; everything else is folded and scrubbed.
  q = q
    .split(/("(?:[^"]|"")*")/)
    .map((part, i) => (i % 2 === 1 ? part : scrubUnquoted(part)))
    .join('');
  // "checkpoint;" and "checkpoint" are the same statement: a trailing terminator is not part of it.
  q = q
    .replace(/[\s;]+$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  q = q.replace(/\bin\s*\(\s*\?(?:\s*,\s*\?)*\s*\)/g, 'in (...)');
  q = q.replace(/\bvalues\s*\([^()]*\)(?:\s*,\s*\([^()]*\))+/g, 'values (...)');
  return q;
}

function scrubUnquoted(part: string): string {
  return part
    .toLowerCase()
    .replace(/\$\d+/g, '?')
    .replace(/(^|[^a-z0-9_$])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/g, '$1?')
    .replace(/(^|[^a-z0-9_$])0x[0-9a-f]+/g, '$1?');
}

/** A short, stable key for a normalized text: the same text gives the same key on every run. */
export function shortHash(text: string): string {
  return createHash('sha1').update(text).digest('hex').slice(0, 12);
}

export function truncate(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars - 1)}…` : text;
}
