// What one read of pg_stat_statements gives the query checks, apart from the reading itself, so the
// snapshot kept between runs can use these types without importing the reader.

/**
 * One normalized statement of the reviewed database, summed over the roles (and top-level /
 * nested executions) that ran it, so that the queryid alone identifies it across runs.
 */
export interface StatementStats {
  /** queryid as text, or `hidden:<role>` for the statements of a role whose texts the reviewing role cannot see. */
  key: string;
  queryid: string | null;
  textHidden: boolean;
  /** Normalized text, cut to QUERY_TEXT_CHARS; null when hidden. */
  query: string | null;
  queryTruncated: boolean;
  roles: string[];
  /** pg_stat_statements entries summed into this statement. */
  entries: number;
  calls: number;
  totalMs: number;
  meanMs: number;
  maxMs: number;
  rows: number;
  sharedBlksHit: number;
  sharedBlksRead: number;
  tempBlksWritten: number;
  slow: boolean;
  rank: {
    totalTime: number;
    meanTime: number;
    calls: number;
    rows: number;
    tempWritten: number;
    sharedRead: number;
    slow: number | null;
  };
}

export interface StatementsRead {
  /**
   * Bounded: the heaviest SNAPSHOT_SIZE by total time, the top lists, the slow list and the previous snapshot's
   * statements.
   */
  statements: StatementStats[];
  /** Statements in this database after filtering, before the bound. */
  statementCount: number;
  allTotalMs: number;
  slowCount: number;
  hiddenEntries: number;
  hiddenRoles: string[];
  dbid: number;
  takenAt: string;
  /** pg_stat_statements_info (PG 14+): when the counters started, and how many entries were evicted. */
  statsReset: string | null;
  dealloc: number | null;
  readsAllStats: boolean;
}
