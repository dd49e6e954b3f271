/**
 * SQL shown in a finding (sessions, server logs, pg_stat_statements) helps find the application
 * behind a problem: enough to recognise the statement, never in full and never with secrets.
 */
export const QUERY_TEXT_CHARS = 500;

const stringLiteral = /(?:[EeBbXxUu]&?)?'(?:[^']|'')*'?|\$([A-Za-z_][A-Za-z0-9_]*)?\$[\s\S]*?(?:\$\1\$|$)/g;
const passwordHash = /(?:SCRAM-SHA-256\$[^\s'"]+|\bmd5[0-9a-f]{32}\b)/gi;

/**
 * A statement that mentions a password (ALTER ROLE ... PASSWORD, CREATE USER, a dblink or
 * postgres_fdw connection string) gets every string literal replaced, since the secret can sit in
 * any of them, and an unquoted `password=...` masked; password hashes are masked wherever they
 * appear. The one rule for every review that shows SQL: sessions, server logs, pg_stat_statements.
 */
export function redactSecrets(query: string): string {
  const text = query.replace(passwordHash, '***');
  if (!/pass(word)?/i.test(text)) return text;
  return text.replace(stringLiteral, "'***'").replace(/\b(password\s*=\s*)([^\s'";)]+)/gi, '$1***');
}

/** Redact first, then cut, so a cut can never leave half a secret behind. */
export function presentQuery(query: string | null | undefined, limit = QUERY_TEXT_CHARS): string | null {
  if (query === null || query === undefined) return null;
  const text = redactSecrets(query).replace(/\s+/g, ' ').trim();
  return text.length > limit ? `${text.slice(0, limit)}… (${text.length} characters, cut)` : text;
}
