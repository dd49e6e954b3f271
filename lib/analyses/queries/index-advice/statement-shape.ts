/**
 * What a normalized statement from pg_stat_statements asks of its tables: the columns it filters
 * on with equality or a range, joins on and sorts by. The text is parsed by the PostgreSQL parser
 * the project already ships for custom_sql (libpg-query), never by patterns.
 */

export type UseKind = 'equality' | 'range' | 'join' | 'order';

export interface RelationRef {
  schema: string | null;
  name: string;
}

export interface ColumnUse {
  /** The relations of the statement's scope the column may belong to: one when qualified or alone in FROM. */
  relations: RelationRef[];
  column: string;
  kind: UseKind;
}

export interface StatementShape {
  /** The text as the planner will be given it (typed literals rewritten, no trailing semicolon). */
  text: string;
  paramCount: number;
  relations: RelationRef[];
  uses: ColumnUse[];
}

export type ShapeResult = { ok: true; shape: StatementShape } | { ok: false; reason: string };

type AstNode = Record<string, any>;

// Loaded on first use, like the custom_sql checker: the parser is a 1.7 MB WebAssembly module.
let parser: Promise<typeof import('libpg-query')> | undefined;

async function parseTree(text: string): Promise<AstNode[]> {
  parser ??= import('libpg-query');
  const { parse } = await parser;
  return ((await parse(text)).stmts ?? []).map((s: { stmt?: unknown }) => s.stmt as AstNode);
}

export async function readStatementShape(query: string): Promise<ShapeResult> {
  // pg_stat_statements keeps a typed literal's type name and replaces only the literal:
  // `timestamptz '2026-01-03'` is stored as `timestamptz $2`, which the server refuses to parse
  // (libpg-query accepts it, being made for normalized texts). The cast means the same.
  const text = rewriteTypedLiterals(query.trim().replace(/;\s*$/, ''));
  let tree: AstNode[];
  try {
    tree = await parseTree(text);
  } catch (error) {
    return { ok: false, reason: `its normalized text does not parse (${(error as Error).message})` };
  }
  if (tree.length !== 1) return { ok: false, reason: `its text holds ${tree.length} statements` };
  const [type] = Object.keys(tree[0]);
  if (!['SelectStmt', 'UpdateStmt', 'DeleteStmt'].includes(type))
    return { ok: false, reason: 'only SELECT, UPDATE and DELETE are planned for index advice' };
  return {
    ok: true,
    shape: { text, paramCount: maxParam(tree[0]), relations: relationsOf(tree[0]), uses: usesOf(tree[0]) },
  };
}

const typeNames = [
  'timestamp with time zone',
  'timestamp without time zone',
  'time with time zone',
  'time without time zone',
  'double precision',
  'timestamptz',
  'timestamp',
  'timetz',
  'time',
  'date',
  'interval',
  'numeric',
  'decimal',
  'bigint',
  'smallint',
  'integer',
  'int8',
  'int4',
  'int2',
  'int',
  'real',
  'float8',
  'float4',
  'boolean',
  'bool',
  'text',
  'varchar',
  'uuid',
  'jsonb',
  'json',
  'inet',
  'cidr',
  'macaddr',
  'bytea',
  'money',
  'xml',
];
const typedLiteral = new RegExp(`\\b(${typeNames.map((t) => t.replace(/ /g, '\\s+')).join('|')})\\s+\\$(\\d+)`, 'gi');

/** `timestamptz $2` → `$2::timestamptz`. A type name followed by a parameter is never valid SQL otherwise. */
export function rewriteTypedLiterals(text: string): string {
  return text.replace(typedLiteral, (_, type: string, n: string) => `$${n}::${type.replace(/\s+/g, ' ')}`);
}

/** Every node of a libpg-query tree as [type, body]: node types are the keys that start with a capital. */
function* nodesOf(value: unknown): Generator<[string, AstNode]> {
  if (Array.isArray(value)) {
    for (const item of value) yield* nodesOf(item);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    if (/^[A-Z]/.test(key) && child !== null && typeof child === 'object' && !Array.isArray(child))
      yield [key, child as AstNode];
    yield* nodesOf(child);
  }
}

function maxParam(tree: AstNode): number {
  let max = 0;
  for (const [type, body] of nodesOf(tree)) if (type === 'ParamRef') max = Math.max(max, Number(body.number ?? 0));
  return max;
}

function cteNames(tree: AstNode): Set<string> {
  const names = new Set<string>();
  for (const [type, body] of nodesOf(tree)) if (type === 'CommonTableExpr' && body.ctename) names.add(body.ctename);
  return names;
}

interface ScopedRelation extends RelationRef {
  alias: string | null;
}

/** A statement node's own FROM list: tables and joins, not subqueries (they are scopes of their own). */
function scopeOf(body: AstNode, ctes: Set<string>): ScopedRelation[] {
  const out: ScopedRelation[] = [];
  const visit = (node: AstNode | undefined) => {
    if (!node) return;
    if (node.RangeVar) {
      const rv = node.RangeVar;
      if (!rv.schemaname && ctes.has(rv.relname)) return;
      out.push({ schema: rv.schemaname ?? null, name: rv.relname, alias: rv.alias?.aliasname ?? null });
    } else if (node.JoinExpr) {
      visit(node.JoinExpr.larg);
      visit(node.JoinExpr.rarg);
    }
  };
  if (body.relation) visit({ RangeVar: body.relation });
  for (const item of [...(body.fromClause ?? []), ...(body.usingClause ?? [])]) visit(item);
  return out;
}

function joinQuals(body: AstNode): AstNode[] {
  const quals: AstNode[] = [];
  const visit = (node: AstNode | undefined) => {
    if (!node?.JoinExpr) return;
    if (node.JoinExpr.quals) quals.push(node.JoinExpr.quals);
    visit(node.JoinExpr.larg);
    visit(node.JoinExpr.rarg);
  };
  for (const item of body.fromClause ?? []) visit(item);
  return quals;
}

function relationsOf(tree: AstNode): RelationRef[] {
  const ctes = cteNames(tree);
  const seen = new Map<string, RelationRef>();
  for (const [, body] of statementScopes(tree)) {
    for (const r of scopeOf(body, ctes)) seen.set(`${r.schema ?? ''}.${r.name}`, { schema: r.schema, name: r.name });
  }
  return [...seen.values()];
}

function* statementScopes(tree: AstNode): Generator<[string, AstNode]> {
  const [rootType, rootBody] = Object.entries(tree)[0];
  yield [rootType, rootBody];
  for (const [type, body] of nodesOf(rootBody))
    if (['SelectStmt', 'UpdateStmt', 'DeleteStmt'].includes(type)) yield [type, body];
}

function usesOf(tree: AstNode): ColumnUse[] {
  const ctes = cteNames(tree);
  const uses: ColumnUse[] = [];
  for (const [type, body] of statementScopes(tree)) {
    const scope = scopeOf(body, ctes);
    if (scope.length === 0) continue;
    const conjuncts = [...andTerms(body.whereClause), ...joinQuals(body).flatMap(andTerms)];
    for (const term of conjuncts) uses.push(...predicateUses(term, scope));
    if (type === 'SelectStmt') {
      for (const sort of body.sortClause ?? []) {
        const ref = columnOf(sort.SortBy?.node, scope);
        if (ref) uses.push({ ...ref, kind: 'order' });
      }
    }
  }
  return uses;
}

/** Only the AND-ed terms: a column under OR can use an index only through a BitmapOr, not a plain scan. */
function andTerms(node: AstNode | undefined): AstNode[] {
  if (!node) return [];
  if (node.BoolExpr?.boolop === 'AND_EXPR') return (node.BoolExpr.args as AstNode[]).flatMap(andTerms);
  return [node];
}

const equalityOps = new Set(['=']);
const rangeOps = new Set(['<', '>', '<=', '>=']);

function predicateUses(term: AstNode, scope: ScopedRelation[]): ColumnUse[] {
  const expr = term.A_Expr;
  if (!expr) return [];
  const op = expr.name?.[0]?.String?.sval;
  const left = columnOf(expr.lexpr, scope);
  const right = columnOf(expr.rexpr, scope);
  switch (expr.kind) {
    case 'AEXPR_OP':
      if (left && right && equalityOps.has(op))
        return [
          { ...left, kind: 'join' },
          { ...right, kind: 'join' },
        ];
      if (equalityOps.has(op) || rangeOps.has(op)) {
        const kind: UseKind = equalityOps.has(op) ? 'equality' : 'range';
        if (left && isValue(expr.rexpr)) return [{ ...left, kind }];
        if (right && isValue(expr.lexpr)) return [{ ...right, kind }];
      }
      return [];
    case 'AEXPR_IN':
    case 'AEXPR_OP_ANY':
      return left && op === '=' && isValue(expr.rexpr) ? [{ ...left, kind: 'equality' }] : [];
    case 'AEXPR_BETWEEN':
      return left && isValue(expr.rexpr) ? [{ ...left, kind: 'range' }] : [];
    default:
      return [];
  }
}

/**
 * A bare column reference resolved against the scope; an expression on a column needs an
 * expression index, which we do not propose.
 */
function columnOf(node: AstNode | undefined, scope: ScopedRelation[]): Omit<ColumnUse, 'kind'> | null {
  const fields = node?.ColumnRef?.fields as AstNode[] | undefined;
  if (!fields || fields.some((f) => !f.String)) return null;
  const names = fields.map((f) => f.String.sval as string);
  const column = names[names.length - 1];
  if (names.length === 1) return { relations: scope.map(({ schema, name }) => ({ schema, name })), column };
  const qualifier = names[names.length - 2];
  const schema = names.length >= 3 ? names[names.length - 3] : null;
  const match = scope.find((r) =>
    r.alias ? r.alias === qualifier && !schema : r.name === qualifier && (!schema || r.schema === schema),
  );
  return match ? { relations: [{ schema: match.schema, name: match.name }], column } : null;
}

/** A value the statement compares with: parameters, constants, casts and functions of them, no column. */
function isValue(node: AstNode | undefined): boolean {
  if (!node) return false;
  for (const [type] of nodesOf({ Root: node })) if (type === 'ColumnRef' || type === 'SubLink') return false;
  return true;
}
