import { MAX_CANDIDATES, MAX_EQUALITY_SELECTIVITY, MAX_INDEX_COLUMNS, MIN_TABLE_ROWS } from './thresholds.js';
import { equalitySelectivity, relationKey, type TableFacts } from './table-facts.js';
import type { ColumnUse, StatementShape } from './statement-shape.js';

/** A statement of the workload with its weight: calls and time in the window advice is computed over. */
export interface WorkloadStatement {
  queryid: string;
  query: string;
  calls: number;
  totalMs: number;
  shape: StatementShape;
}

export interface Candidate {
  table: TableFacts;
  columns: string[];
  /** The statements it was built for; the planner decides which of them it really serves. */
  statements: WorkloadStatement[];
  /** Equality columns among `columns`, for the estimate when the planner cannot verify. */
  equalityColumns: string[];
  rangeColumns: string[];
}

export interface CandidateSkips {
  /** Tables the reviewing role may not read: no statistics, no plan. */
  unreadableTables: Set<string>;
  tinyTables: Set<string>;
  lowSelectivityColumns: Set<string>;
  alreadyIndexed: Set<string>;
  /** Candidates left out by MAX_CANDIDATES. */
  overCap: number;
}

interface TableUse {
  table: TableFacts;
  equality: string[];
  range: string[];
  order: string[];
}

/**
 * Candidate btree indexes from what the statements filter, join and sort on: equality columns
 * first (a btree serves them in any order), then one range column or the sort columns, at most
 * MAX_INDEX_COLUMNS. One index whose leading columns serve several statements replaces the
 * narrower ones (consolidation), and nothing an existing index already leads with is proposed.
 */
export function buildCandidates(
  statements: WorkloadStatement[],
  tables: Map<string, TableFacts>,
): { candidates: Candidate[]; skips: CandidateSkips } {
  const skips: CandidateSkips = {
    unreadableTables: new Set(),
    tinyTables: new Set(),
    lowSelectivityColumns: new Set(),
    alreadyIndexed: new Set(),
    overCap: 0,
  };
  const perStatement = statements.map((s) => ({ statement: s, uses: tableUses(s.shape.uses, tables) }));

  // Columns filtered on by more statements lead, so one index serves them all.
  const popularity = new Map<string, number>();
  for (const { uses } of perStatement) {
    for (const use of uses)
      for (const c of use.equality)
        popularity.set(`${use.table.oid}.${c}`, (popularity.get(`${use.table.oid}.${c}`) ?? 0) + 1);
  }

  const byColumns = new Map<string, Candidate>();
  for (const { statement, uses } of perStatement) {
    for (const use of uses) {
      const { table } = use;
      // Size and indexes are in the catalog for every role; pg_stats and plans need SELECT.
      if (table.rows < MIN_TABLE_ROWS) {
        skips.tinyTables.add(table.qualified);
        continue;
      }
      const equality = use.equality
        .filter((c) => {
          const selectivity = table.readable ? equalitySelectivity(table, c) : null;
          const selective = selectivity === null || selectivity <= MAX_EQUALITY_SELECTIVITY;
          if (!selective) skips.lowSelectivityColumns.add(`${table.qualified}.${c}`);
          return selective;
        })
        .sort(
          (a, b) =>
            (popularity.get(`${table.oid}.${b}`) ?? 0) - (popularity.get(`${table.oid}.${a}`) ?? 0) ||
            (equalitySelectivity(table, a) ?? 1) - (equalitySelectivity(table, b) ?? 1) ||
            a.localeCompare(b),
        );
      const tail = use.range.length > 0 ? use.range.slice(0, 1) : use.order.filter((c) => !equality.includes(c));
      const columns = [...equality, ...tail].slice(0, MAX_INDEX_COLUMNS);
      if (columns.length === 0) continue;
      if (leadsAnIndex(table, columns)) {
        skips.alreadyIndexed.add(`${table.qualified}(${columns.join(', ')})`);
        continue;
      }
      if (!table.readable) {
        skips.unreadableTables.add(table.qualified);
        continue;
      }
      const key = `${table.oid}:${columns.join(',')}`;
      const candidate = byColumns.get(key) ?? {
        table,
        columns,
        statements: [],
        equalityColumns: columns.filter((c) => equality.includes(c)),
        rangeColumns: columns.filter((c) => use.range.includes(c)),
      };
      if (!candidate.statements.includes(statement)) candidate.statements.push(statement);
      byColumns.set(key, candidate);
    }
  }

  const consolidated = consolidate([...byColumns.values()]);
  consolidated.sort((a, b) => weight(b) - weight(a) || a.table.qualified.localeCompare(b.table.qualified));
  skips.overCap = Math.max(0, consolidated.length - MAX_CANDIDATES);
  return { candidates: consolidated.slice(0, MAX_CANDIDATES), skips };
}

export const weight = (c: Candidate) => c.statements.reduce((sum, s) => sum + s.totalMs, 0);

function tableUses(uses: ColumnUse[], tables: Map<string, TableFacts>): TableUse[] {
  const byTable = new Map<number, TableUse>();
  for (const use of uses) {
    // An unqualified column in a join belongs to the one table that has it.
    const owners = use.relations
      .map((r) => tables.get(relationKey(r)))
      .filter((t): t is TableFacts => t !== undefined && t.columns.has(use.column));
    if (owners.length !== 1) continue;
    const table = owners[0];
    const entry = byTable.get(table.oid) ?? { table, equality: [], range: [], order: [] };
    const list =
      use.kind === 'equality' || use.kind === 'join'
        ? entry.equality
        : use.kind === 'range'
          ? entry.range
          : entry.order;
    if (!list.includes(use.column)) list.push(use.column);
    byTable.set(table.oid, entry);
  }
  for (const entry of byTable.values()) entry.range = entry.range.filter((c) => !entry.equality.includes(c));
  return [...byTable.values()];
}

/** An existing valid btree already leads with the candidate's first column, or with all its columns. */
function leadsAnIndex(table: TableFacts, columns: string[]): boolean {
  return table.indexes.some((index) => index.usable && index.columns[0] === columns[0]);
}

/** A candidate whose columns lead a wider candidate on the same table is served by that one. */
function consolidate(candidates: Candidate[]): Candidate[] {
  const widestFirst = [...candidates].sort((a, b) => b.columns.length - a.columns.length);
  const kept: Candidate[] = [];
  for (const candidate of widestFirst) {
    const wider = kept.find(
      (k) => k.table.oid === candidate.table.oid && candidate.columns.every((c, i) => k.columns[i] === c),
    );
    if (!wider) {
      kept.push({ ...candidate, statements: [...candidate.statements] });
      continue;
    }
    for (const s of candidate.statements) if (!wider.statements.includes(s)) wider.statements.push(s);
  }
  return kept;
}
