import { formatCount, quoteIdent } from '../format.js';
import type postgres from 'postgres';
import { NotAssessableError, type Check, type CheckContext, type Finding, type Severity } from '../types.js';
import { catalogQuery, inScope, parseTargetTables, userSchema } from './scope.js';
import { SEQUENCE_CRITICAL, SEQUENCE_WARNING } from './thresholds.js';
import { LIST_CAP, noteTruncation } from '../finding-list.js';

const CHECK_ID = 'tables.sequence_exhaustion';

interface SequenceRow {
  object: string;
  sequence_type: string;
  cycles: boolean;
  column_name: string | null;
  table_name: string | null;
  attname: string | null;
  column_type: string | null;
  increment: number;
  last_value: string;
  usable_limit: string;
  limited_by_column: boolean;
  used: number;
}

/** PgHero sequence_danger: critical above 90% used; warning above 75%, ahead of check_postgres's 85%. */
export function sequenceSeverity(usedFraction: number): Severity | null {
  if (usedFraction > SEQUENCE_CRITICAL) return 'critical';
  if (usedFraction > SEQUENCE_WARNING) return 'warning';
  return null;
}

/**
 * Every sequence with the column it feeds (serial and identity columns through pg_depend, and any
 * column whose DEFAULT calls nextval on it). The usable range ends at the sequence's own limit or at
 * the limit of the narrowest integer column it feeds, whichever comes first: an int4 column fed by a
 * bigint sequence fails at 2^31 - 1. Usage counts values handed out, as check_postgres does.
 * One row: how many sequences there are and how many the role cannot read (with their schemas),
 * how many are past the warning level, and the worst LIST_CAP of those as JSON objects.
 */
function sequenceUsageQuery(
  sql: postgres.ISql,
  scope: ReturnType<typeof parseTargetTables>,
): postgres.PendingQuery<postgres.Row[]> {
  return sql`
    with fed as (
      -- Starting from pg_sequence keeps the pg_depend lookups to sequences (not every index column).
      select s.seqrelid as seqid, d.refobjid as relid, d.refobjsubid as attnum
        from pg_sequence s
        join pg_depend d on d.classid = 'pg_class'::regclass and d.objid = s.seqrelid
       where d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i') and d.refobjsubid > 0
      union
      select s.seqrelid, ad.adrelid, ad.adnum
        from pg_sequence s
        join pg_depend d on d.refclassid = 'pg_class'::regclass and d.refobjid = s.seqrelid and d.classid = 'pg_attrdef'::regclass
        join pg_attrdef ad on ad.oid = d.objid
    ),
    columns as (
      select f.seqid, format('%I.%I.%I', tn.nspname, t.relname, a.attname) as column_name,
             format('%I.%I', tn.nspname, t.relname) as table_name, format('%I', a.attname) as attname,
             format_type(a.atttypid, a.atttypmod) as column_type,
             case a.atttypid when 'int2'::regtype then 32767::numeric when 'int4'::regtype then 2147483647::numeric
                             when 'int8'::regtype then 9223372036854775807::numeric end as type_max,
             case a.atttypid when 'int2'::regtype then -32768::numeric when 'int4'::regtype then -2147483648::numeric
                             when 'int8'::regtype then -9223372036854775808::numeric end as type_min,
             ${inScope(sql, scope, sql`tn.nspname`, sql`t.relname`)} as in_scope
        from fed f
        join pg_class t on t.oid = f.relid
        join pg_namespace tn on tn.oid = t.relnamespace
        join pg_attribute a on a.attrelid = f.relid and a.attnum = f.attnum and not a.attisdropped
    ),
    narrowest as (
      -- Of the columns a sequence feeds, the one that overflows first in the sequence's direction.
      select distinct on (c.seqid) c.*
        from columns c
        join pg_sequence s on s.seqrelid = c.seqid
       order by c.seqid, case when s.seqincrement > 0 then c.type_max else -c.type_min end nulls last, c.column_name
    ),
    sequences as (
      select s.seqrelid, n.nspname, format('%I.%I', n.nspname, c.relname) as object,
             format_type(s.seqtypid, null) as sequence_type, s.seqincrement::numeric as increment, s.seqcycle as cycles,
             s.seqmin::numeric as seq_min, s.seqmax::numeric as seq_max,
             has_sequence_privilege(c.oid, 'SELECT,USAGE') as readable,
             col.column_name, col.table_name, col.attname, col.column_type,
             case when s.seqincrement > 0 then least(s.seqmax::numeric, coalesce(col.type_max, s.seqmax::numeric))
                  else greatest(s.seqmin::numeric, coalesce(col.type_min, s.seqmin::numeric)) end as usable_limit,
             case when s.seqincrement > 0 then coalesce(col.type_max < s.seqmax, false)
                  else coalesce(col.type_min > s.seqmin, false) end as limited_by_column
        from pg_sequence s
        join pg_class c on c.oid = s.seqrelid
        join pg_namespace n on n.oid = c.relnamespace
        left join narrowest col on col.seqid = s.seqrelid
       where ${userSchema(sql, sql`n.nspname`)}
         and ${scope ? sql`coalesce(col.in_scope, false)` : sql`true`}
    ),
    positioned as (
      select sequences.*,
             -- pg_sequence_last_value raises an error without privileges: only ask for readable ones
             case when readable then pg_sequence_last_value(seqrelid)::numeric end as last_value
        from sequences
    ),
    measured as (
      select positioned.*,
             case when increment > 0 then (last_value - seq_min + 1) / (usable_limit - seq_min + 1)
                  else (seq_max - last_value + 1) / (seq_max - usable_limit + 1) end::float8 as used
        from positioned
    ),
    found as (
      select object, sequence_type, cycles, column_name, table_name, attname, column_type, increment,
             last_value::text as last_value, usable_limit::text as usable_limit, limited_by_column, used
        from measured
       where used > ${SEQUENCE_WARNING}
    )
    select (select count(*) from sequences)::int as sequences,
           (select count(*) from sequences where not readable)::int as unreadable,
           (select string_agg(distinct format('%I', nspname), ', ') from sequences where not readable) as unreadable_schemas,
           (select count(*) from found)::int as total,
           coalesce((select json_agg(f order by f.used desc, f.object)
                       from (select * from found order by used desc, object limit ${LIST_CAP}) f), '[]') as rows`;
}

/**
 * Sequences (and the integer columns they feed) close to running out. Reading a sequence's position
 * needs SELECT or USAGE on it; sequences the role cannot read are counted, and when none of the
 * readable ones is in danger the check reports itself not assessable with the GRANT that would fix it.
 */
export const sequenceExhaustion: Check = {
  id: CHECK_ID,
  targets: ['tables'],
  async run(ctx: CheckContext): Promise<Finding[]> {
    const scope = parseTargetTables(ctx.params.target_tables);
    const [result] = await catalogQuery(ctx.sql, (tx) => sequenceUsageQuery(tx, scope));
    const rows = result.rows as SequenceRow[];
    const unreadable = Number(result.unreadable);

    const grant = `GRANT SELECT ON ALL SEQUENCES IN SCHEMA ${result.unreadable_schemas} TO ${quoteIdent(ctx.server.current_user)};`;
    if (rows.length === 0 && unreadable > 0) {
      throw new NotAssessableError(
        `${unreadable} of ${result.sequences} sequences cannot be read by ${ctx.server.current_user} ` +
          `(reading a sequence's position needs SELECT or USAGE on it)`,
        grant,
      );
    }

    const findings = rows.flatMap((r): Finding[] => {
      const used = Number(r.used);
      const severity = sequenceSeverity(used);
      if (!severity) return [];
      const remaining = (Number(r.usable_limit) - Number(r.last_value)) / Number(r.increment);
      const feeds = r.column_name ? ` feeding ${r.column_name} (${r.column_type})` : '';
      const fix: string[] = [];
      if (r.column_name && r.column_type && ['smallint', 'integer'].includes(r.column_type)) {
        fix.push(
          `ALTER TABLE ${r.table_name} ALTER COLUMN ${r.attname} TYPE bigint;  -- rewrites the table under an ` +
            'ACCESS EXCLUSIVE lock',
        );
      }
      if (r.sequence_type !== 'bigint') fix.push(`ALTER SEQUENCE ${r.object} AS bigint;`);
      if (fix.length === 0)
        fix.push(
          `-- ${r.object} and its column are already bigint: review its INCREMENT (${r.increment}) and the key ` +
            'design',
        );
      return [
        {
          check: CHECK_ID,
          severity,
          object: r.object,
          title: 'Sequence close to exhaustion',
          detail:
            `Sequence ${r.object} (${r.sequence_type})${feeds} has used ${(used * 100).toFixed(1)}% of its ` +
            `range: last value ${r.last_value}, limit ${r.usable_limit}${r.limited_by_column ? ' (set by the column type)' : ''}, ` +
            `about ${formatCount(remaining)} values left.` +
            (r.cycles && !r.limited_by_column
              ? ' It is set to CYCLE: instead of failing it will restart and hand out values already used.'
              : ' When it runs out, every INSERT that needs a value fails.') +
            (unreadable > 0 ? ` ${unreadable} other sequences could not be read (${grant}).` : ''),
          recommendation: fix.join('\n'),
          evidence: {
            value: Number(used.toFixed(6)),
            used_fraction: Number(used.toFixed(6)),
            last_value: String(r.last_value),
            usable_limit: String(r.usable_limit),
            values_left: Math.floor(remaining),
            sequence_type: r.sequence_type,
            column: r.column_name,
            column_type: r.column_type,
            cycles: r.cycles,
            unreadable_sequences: unreadable,
          },
        },
      ];
    });
    return noteTruncation(findings, Number(result.total), 'sequences');
  },
};
