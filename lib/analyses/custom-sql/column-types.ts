import type postgres from 'postgres';
import { valueKindOf, type ValueFormat } from './serialize-value.js';

export interface ColumnType {
  /** pg_type name as a DBA reads it: "int8", "timestamptz", "int4[]", or the domain's own name. */
  name: string;
  format: ValueFormat;
}

interface TypeRow {
  oid: number;
  name: string;
  base_name: string;
  element_name: string | null;
}

/**
 * Names and serialization rules for the result's type OIDs, looked up in one query per run.
 * Domains (even over domains) are followed to their base type, so a domain over int8 stays exact.
 * Arrays are read element by element only for standard arrays with ',' as delimiter; box[] (';')
 * and int2vector/oidvector (space-separated) keep the server's text.
 */
export async function describeColumnTypes(
  sql: postgres.Sql | postgres.TransactionSql | postgres.ReservedSql,
  oids: number[],
): Promise<Map<number, ColumnType>> {
  const types = new Map<number, ColumnType>();
  for (const oid of oids) {
    const known = builtInTypes.get(oid);
    if (known) types.set(oid, known);
  }
  const distinct = [...new Set(oids)].filter((oid) => !types.has(oid));
  if (distinct.length === 0) return types;
  // Sent as an array literal: OIDs above 2^31 do not fit the int4[] postgres.js would infer from numbers.
  const oidArrayLiteral = `{${distinct.join(',')}}`;
  const rows = await sql<TypeRow[]>`
    with recursive resolved(oid, base) as (
      select t.oid, t.oid from pg_type t where t.oid = any(${oidArrayLiteral}::oid[])
      union all
      select r.oid, t.typbasetype from resolved r join pg_type t on t.oid = r.base where t.typtype = 'd'
    )
    select r.oid,
           case when e.oid is not null and c.typname = '_' || e.typname then e.typname || '[]' else c.typname end as name,
           b.typname as base_name,
           case when be.typdelim = ',' and b.typname = '_' || be.typname then be.typname end as element_name
    from resolved r
    join pg_type c on c.oid = r.oid
    join pg_type b on b.oid = r.base and b.typtype <> 'd'
    left join pg_type e on e.oid = c.typelem and c.typcategory = 'A'
    left join pg_type be on be.oid = b.typelem and b.typcategory = 'A'`;

  for (const row of rows) {
    const format: ValueFormat = row.element_name
      ? { kind: 'text', element: valueKindOf(row.element_name) }
      : { kind: valueKindOf(row.base_name) };
    const type = { name: row.name, format };
    types.set(row.oid, type);
    if (row.oid < FIRST_NORMAL_OBJECT_ID) builtInTypes.set(row.oid, type);
  }
  return types;
}

// Types below this OID are built into PostgreSQL (initdb's fixed catalog entries) and mean the same
// on every server, so their description is kept for the life of the process; user types are looked
// up on every run, since a type of that OID may differ between databases.
const FIRST_NORMAL_OBJECT_ID = 16384;
const builtInTypes = new Map<number, ColumnType>();

/** A type the lookup did not return (dropped mid-run, or a pseudo-type): its OID as name, value as text. */
export function unknownColumnType(oid: number): ColumnType {
  return { name: String(oid), format: { kind: 'text' } };
}
