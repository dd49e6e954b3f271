import type postgres from 'postgres';
import type { Candidate } from './candidates.js';
import { ADVICE_MARK } from './generic-plan.js';
import { quoteName } from './table-facts.js';

export interface HypoPG {
  schema: string;
  version: string;
  /** hypopg_hide_index arrived in HypoPG 1.4. */
  canHideIndexes: boolean;
}

/** HypoPG where it is installed in the reviewed database and the reviewing role may call it. */
export async function findHypoPG(sql: postgres.Sql): Promise<HypoPG | null> {
  const [row] = await sql`
    /* pg-reviewer index advice */ select n.nspname as schema, e.extversion as version,
           exists (select 1 from pg_proc p where p.pronamespace = n.oid and p.proname = 'hypopg_hide_index') as can_hide,
           has_function_privilege(format('%I.hypopg_create_index(text)', n.nspname), 'EXECUTE') as may_create
      from pg_extension e join pg_namespace n on n.oid = e.extnamespace
     where e.extname = 'hypopg'`;
  if (!row || !row.may_create) return null;
  return { schema: row.schema, version: row.version, canHideIndexes: row.can_hide };
}

export interface HypotheticalIndex {
  indexrelid: number;
  /** As plans name it: `<indexrelid>btree_...`. */
  name: string;
  sizeBytes: number | null;
}

/**
 * A hypothetical index lives in this session's memory only: nothing is written, and it works in a
 * read-only transaction and on a standby. It also outlives the transaction, so callers reset.
 */
export async function createHypothetical(
  sql: postgres.Sql,
  hypopg: HypoPG,
  candidate: Candidate,
): Promise<HypotheticalIndex> {
  const ddl = `create index on ${candidate.table.qualified} (${candidate.columns.map(quoteName).join(', ')})`;
  const schema = quoteName(hypopg.schema);
  const [row] = await sql.unsafe(
    `${ADVICE_MARK} select indexrelid::int8 as indexrelid, indexname from ${schema}.hypopg_create_index($1)`,
    [ddl],
  );
  let sizeBytes: number | null = null;
  try {
    const [size] = await sql.unsafe(`${ADVICE_MARK} select ${schema}.hypopg_relation_size($1::oid)::int8 as bytes`, [
      row.indexrelid,
    ]);
    sizeBytes = Number(size.bytes);
  } catch {
    // Older HypoPG versions have no size estimate; the finding then estimates from pg_stats.
  }
  return { indexrelid: Number(row.indexrelid), name: row.indexname, sizeBytes };
}

export async function resetHypothetical(sql: postgres.Sql, hypopg: HypoPG): Promise<void> {
  await sql.unsafe(`${ADVICE_MARK} select ${quoteName(hypopg.schema)}.hypopg_reset()`);
}
