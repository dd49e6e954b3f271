import { createHash } from 'node:crypto';
import { blockedFunctionReason } from './blocked-functions.js';
import { TooDeeplyNestedError, nodesOf, stringsOf, unwrap, type AstNode } from './parse-tree.js';
import { statementName } from './statement-name.js';
import { namesIn, type StatementNames } from './statement-names.js';

/** `select` covers SELECT, WITH, VALUES and TABLE: what a cursor can be declared for. */
export type ReadStatementKind = 'select' | 'show' | 'explain';

/** `names`: what the statement names, for the check of what it would run in the database (catalog-fence.ts). */
export type CustomSqlVerdict =
  { ok: true; kind: ReadStatementKind; names: StatementNames } | { ok: false; reason: string };

/**
 * Decides whether a custom_sql statement may run against a reviewed database: exactly one read
 * statement (SELECT, WITH without data-modifying parts, VALUES, TABLE, SHOW, or EXPLAIN of one of
 * those without ANALYZE) that calls none of the blocked functions. The text is parsed by the
 * PostgreSQL parser itself (libpg-query), so comments, quoting and nesting cannot hide anything.
 * Used when a task is saved (400 with the reason) and again right before the statement runs, where
 * the names it returns are also looked up in the reviewed database: a view or a function can hide
 * what this text-only check cannot see.
 */
export async function checkCustomSql(text: string): Promise<CustomSqlVerdict> {
  // Keyed by a digest: a text may be 100 kB, and a thousand of them would be kept.
  const key = createHash('sha256').update(text).digest('base64');
  const known = verdicts.get(key);
  if (known) return known;
  const verdict = await decide(text);
  if (verdicts.size >= keptVerdicts) verdicts.delete(verdicts.keys().next().value as string);
  verdicts.set(key, verdict);
  return verdict;
}

// The verdict depends on the text alone, and a task runs the same text every time: parsing it
// again cost ~5% of a small execution's consumer CPU. The rules live in this code, so a kept
// verdict is never older than the rules the process runs with.
const keptVerdicts = 1000;
const verdicts = new Map<string, CustomSqlVerdict>();

async function decide(text: string): Promise<CustomSqlVerdict> {
  if (text.trim() === '') return refuse('The statement is empty');

  let statements: AstNode[];
  try {
    statements = (await parseStatements(text)).map((s) => s.stmt as AstNode);
  } catch (error) {
    // The parser (or reading its JSON tree) runs out of stack somewhere past 5,000 nested terms.
    if (error instanceof RangeError) return refuse(new TooDeeplyNestedError().message);
    // Only the parser's verdict refuses the statement; a parser that failed to load is our fault, not the task's.
    if (!isSyntaxError(error)) throw error;
    return refuse(syntaxErrorReason(error));
  }
  if (statements.length !== 1) return refuse(`Exactly one statement is allowed; found ${statements.length}`);

  let nodes: Array<[string, AstNode]>;
  try {
    nodes = nodesOf(statements[0]);
  } catch (error) {
    if (error instanceof TooDeeplyNestedError) return refuse(error.message);
    throw error;
  }
  const reason = topLevelReason(statements[0]) ?? nestedReason(nodes);
  return reason ? refuse(reason) : { ok: true, kind: kindOf(statements[0]), names: namesIn(nodes) };
}

// Loaded on first use: the parser compiles a 1.7 MB WebAssembly module, which only custom_sql tasks need.
let parser: Promise<typeof import('libpg-query')> | undefined;

async function parseStatements(text: string): Promise<Array<{ stmt?: unknown }>> {
  parser ??= import('libpg-query');
  const { parse } = await parser;
  return (await parse(text)).stmts ?? [];
}

function kindOf(statement: AstNode): ReadStatementKind {
  const [type] = unwrap(statement);
  return type === 'SelectStmt' ? 'select' : type === 'VariableShowStmt' ? 'show' : 'explain';
}

function topLevelReason(statement: AstNode): string | null {
  const [type, body] = unwrap(statement);
  if (type === 'SelectStmt' || type === 'VariableShowStmt') return null;
  if (type !== 'ExplainStmt') return `Only read statements are allowed; found ${statementName(type, body)}`;

  const options = (body.options as AstNode[] | undefined) ?? [];
  // Refused even as ANALYZE false: one rule that needs no reading of option values.
  if (options.some((o) => (o.DefElem as AstNode | undefined)?.defname === 'analyze')) {
    return 'EXPLAIN ANALYZE executes the statement and is not allowed';
  }
  const [explainedType, explainedBody] = unwrap(body.query as AstNode);
  if (explainedType !== 'SelectStmt')
    return `EXPLAIN is allowed only for a read statement; found ${statementName(explainedType, explainedBody)}`;
  return null;
}

/** Every node of the tree: subqueries, CTEs, FROM-clause functions, expressions in any position. */
function nestedReason(nodes: Array<[string, AstNode]>): string | null {
  for (const [type, body] of nodes) {
    if (['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt'].includes(type)) {
      return `Only read statements are allowed; found ${statementName(type, body)} in a WITH clause`;
    }
    if (type === 'SelectStmt' && body.intoClause) return 'SELECT INTO creates a table and is not allowed';
    if (type === 'SelectStmt' && Array.isArray(body.lockingClause) && body.lockingClause.length > 0) {
      return `SELECT ... ${lockingClauseName(body.lockingClause[0] as AstNode)} locks rows and is not allowed`;
    }
    // The statement is run with no parameter values, so $1 could only fail at run time.
    if (type === 'ParamRef')
      return `Parameters such as $${body.number ?? 1} are not supported; write the value into the statement`;
    if (type === 'FuncCall') {
      const parts = stringsOf(body.funcname);
      const reason = blockedFunctionReason(
        parts[parts.length - 1] ?? '',
        parts.length > 1 ? parts[parts.length - 2] : null,
      );
      if (reason) return reason;
    }
  }
  return null;
}

function lockingClauseName(clause: AstNode): string {
  const strength = (clause.LockingClause as AstNode | undefined)?.strength;
  const names: Record<string, string> = {
    LCS_FORUPDATE: 'FOR UPDATE',
    LCS_FORNOKEYUPDATE: 'FOR NO KEY UPDATE',
    LCS_FORSHARE: 'FOR SHARE',
    LCS_FORKEYSHARE: 'FOR KEY SHARE',
  };
  return names[String(strength)] ?? 'FOR UPDATE';
}

interface ParserError extends Error {
  sqlDetails: { cursorPosition?: number };
}

function isSyntaxError(error: unknown): error is ParserError {
  return error instanceof Error && typeof (error as Partial<ParserError>).sqlDetails === 'object';
}

/** The parser's own message and position; PostgreSQL counts characters from 1, libpg-query from 0. */
function syntaxErrorReason(error: ParserError): string {
  const position = error.sqlDetails.cursorPosition;
  return position === undefined
    ? `The statement does not parse: ${error.message}`
    : `The statement does not parse: ${error.message} at character ${position + 1}`;
}

function refuse(reason: string): CustomSqlVerdict {
  return { ok: false, reason };
}
