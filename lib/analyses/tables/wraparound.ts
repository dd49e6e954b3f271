import { formatCount } from '../format.js';
import type { Check, CheckContext, Finding, Severity } from '../types.js';
import { catalogQuery, inScope, parseTargetTables, userSchema } from './scope.js';
import { XID_AGE_CRITICAL, XID_AGE_WARNING, XID_FREEZE_MARGIN, XID_SHUTDOWN_POINT } from './thresholds.js';
import { LIST_CAP, noteTruncation } from '../finding-list.js';

const TABLE_ID = 'tables.xid_wraparound';
const DATABASE_ID = 'tables.database_xid_wraparound';

/**
 * check_postgres txn_wraparound: critical from age 1.4 billion. PgHero's overview: warning once fewer
 * than 1.5 billion transactions are left before the shutdown point. PgHero autovacuum_danger:
 * informational within 2 million transactions of autovacuum_freeze_max_age (the forced, anti-wraparound
 * vacuum is about to start). Returns null when the age is unremarkable.
 */
export function wraparoundSeverity(age: number, freezeMaxAge: number): Severity | null {
  if (age >= XID_AGE_CRITICAL) return 'critical';
  if (age >= XID_AGE_WARNING) return 'warning';
  if (age >= freezeMaxAge - XID_FREEZE_MARGIN) return 'info';
  return null;
}

interface AgeRow {
  object: string;
  age: unknown;
  freeze_max_age: unknown;
  /** Rows before the list cap, on the per-table queries. */
  total?: unknown;
}

interface GradedAge {
  object: string;
  age: number;
  freezeMaxAge: number;
  severity: Severity;
}

/** The rows whose age is remarkable, each turned into its finding. */
function gradeAges(rows: readonly AgeRow[], toFinding: (graded: GradedAge) => Finding): Finding[] {
  return rows.flatMap((r) => {
    const age = Number(r.age);
    const freezeMaxAge = Number(r.freeze_max_age);
    const severity = wraparoundSeverity(age, freezeMaxAge);
    return severity ? [toFinding({ object: r.object, age, freezeMaxAge, severity })] : [];
  });
}

const xidEvidence = ({ age, freezeMaxAge }: GradedAge) => ({
  value: age,
  xid_age: age,
  autovacuum_freeze_max_age: freezeMaxAge,
  transactions_left: XID_SHUTDOWN_POINT - age,
});

const mxidEvidence = ({ age, freezeMaxAge }: GradedAge) => ({
  value: age,
  mxid_age: age,
  autovacuum_multixact_freeze_max_age: freezeMaxAge,
  multixacts_left: XID_SHUTDOWN_POINT - age,
});

function describe(
  object: string,
  kind: 'table' | 'database',
  age: number,
  freezeMaxAge: number,
  severity: Severity,
): string {
  const left = XID_SHUTDOWN_POINT - age;
  const base =
    `The oldest unfrozen transaction ID in ${kind} ${object} is ${formatCount(age)} transactions old ` +
    `(autovacuum_freeze_max_age ${formatCount(freezeMaxAge)}); about ${formatCount(left)} transactions remain ` +
    'before PostgreSQL stops accepting writes to prevent wraparound.';
  if (severity === 'info') return `${base} An anti-wraparound autovacuum is due or running.`;
  return (
    `${base} Anti-wraparound vacuuming is not keeping up: find what blocks it (long transactions, prepared ` +
    'transactions, replication slots, autovacuum cancelled by locks) and freeze it manually.'
  );
}

/**
 * Per table: age(relfrozenxid) of the table or its TOAST table, whichever is older (as PgHero does),
 * against the table's own autovacuum_freeze_max_age (a storage parameter can only lower the server's).
 */
export const tableWraparound: Check = {
  id: TABLE_ID,
  targets: ['tables'],
  async run(ctx: CheckContext): Promise<Finding[]> {
    const { sql } = ctx;
    const scope = parseTargetTables(ctx.params.target_tables);
    const serverFreezeMaxAge = sql`current_setting('autovacuum_freeze_max_age')::float8`;
    const rows = await catalogQuery(
      sql,
      (tx) => tx<AgeRow[]>`
      select object, age, freeze_max_age, count(*) over () as total
        from (select format('%I.%I', n.nspname, c.relname) as object,
                     greatest(age(c.relfrozenxid), age(t.relfrozenxid))::float8 as age,
                     least(${serverFreezeMaxAge},
                           coalesce((select option_value::float8 from pg_options_to_table(c.reloptions)
                                      where option_name = 'autovacuum_freeze_max_age'), ${serverFreezeMaxAge})) as freeze_max_age
                from pg_class c
                join pg_namespace n on n.oid = c.relnamespace
                left join pg_class t on t.oid = c.reltoastrelid
               where c.relkind in ('r', 'm')
                 and ${userSchema(sql, sql`n.nspname`)}
                 and ${inScope(sql, scope, sql`n.nspname`, sql`c.relname`)}) ages
       where age >= least(freeze_max_age - ${XID_FREEZE_MARGIN}, ${XID_AGE_WARNING})
       order by age desc, object
       limit ${LIST_CAP}`,
    );

    const findings = gradeAges(rows, (graded) => ({
      check: TABLE_ID,
      severity: graded.severity,
      object: graded.object,
      title: graded.severity === 'info' ? 'Anti-wraparound vacuum due' : 'Table approaching transaction ID wraparound',
      detail: describe(graded.object, 'table', graded.age, graded.freezeMaxAge, graded.severity),
      recommendation: `VACUUM (FREEZE, VERBOSE) ${graded.object};`,
      evidence: xidEvidence(graded),
    }));
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'tables');
  },
};

/**
 * Per database (all databases that accept connections, as check_postgres txn_wraparound reads them):
 * age(datfrozenxid). Wraparound protection stops writes to the whole cluster, so every database counts.
 */
export const databaseWraparound: Check = {
  id: DATABASE_ID,
  targets: ['tables'],
  async run(ctx: CheckContext): Promise<Finding[]> {
    const { sql } = ctx;
    const rows = await catalogQuery(
      sql,
      (tx) => tx<AgeRow[]>`
      select datname as object, age(datfrozenxid)::float8 as age,
             current_setting('autovacuum_freeze_max_age')::float8 as freeze_max_age
        from pg_database
       where datallowconn
         and age(datfrozenxid) >= least(current_setting('autovacuum_freeze_max_age')::float8 - ${XID_FREEZE_MARGIN}, ${XID_AGE_WARNING})
       order by age desc, datname
       limit ${LIST_CAP}`,
    );

    return gradeAges(rows, (graded) => ({
      check: DATABASE_ID,
      severity: graded.severity,
      object: graded.object,
      title:
        graded.severity === 'info'
          ? 'Database-wide anti-wraparound vacuum due'
          : 'Database approaching transaction ID wraparound',
      detail: describe(graded.object, 'database', graded.age, graded.freezeMaxAge, graded.severity),
      recommendation:
        `Connect to ${graded.object} and run VACUUM (FREEZE, VERBOSE) on its oldest tables (ORDER BY ` +
        `age(relfrozenxid) DESC), or vacuumdb --freeze --jobs=N ${graded.object}`,
      evidence: xidEvidence(graded),
    }));
  },
};

const MXID_TABLE_ID = 'tables.mxid_wraparound';
const MXID_DATABASE_ID = 'tables.database_mxid_wraparound';

/**
 * Multixact IDs (row locks shared by several transactions, foreign-key checks) wrap around like
 * transaction IDs and stop writes the same way, at the same 2^31 distance; they are frozen on their
 * own schedule, autovacuum_multixact_freeze_max_age. Graded with the transaction-ID thresholds.
 */
function describeMultixact(
  object: string,
  kind: 'table' | 'database',
  age: number,
  freezeMaxAge: number,
  severity: Severity,
): string {
  const base =
    `The oldest multixact ID in ${kind} ${object} is ${formatCount(age)} multixacts old ` +
    `(autovacuum_multixact_freeze_max_age ${formatCount(freezeMaxAge)}); about ${formatCount(XID_SHUTDOWN_POINT - age)} ` +
    'remain before PostgreSQL stops accepting writes to prevent multixact wraparound.';
  if (severity === 'info') return `${base} An anti-wraparound autovacuum is due or running.`;
  return (
    `${base} Vacuuming is not keeping up: find what blocks it (long transactions, prepared transactions, ` +
    'replication slots) and freeze it manually.'
  );
}

export const tableMultixactWraparound: Check = {
  id: MXID_TABLE_ID,
  targets: ['tables'],
  async run(ctx: CheckContext): Promise<Finding[]> {
    const { sql } = ctx;
    const scope = parseTargetTables(ctx.params.target_tables);
    const rows = await catalogQuery(
      sql,
      (tx) => tx<AgeRow[]>`
      select object, age, freeze_max_age, count(*) over () as total
        from (select format('%I.%I', n.nspname, c.relname) as object, mxid_age(c.relminmxid)::float8 as age,
                     current_setting('autovacuum_multixact_freeze_max_age')::float8 as freeze_max_age
                from pg_class c
                join pg_namespace n on n.oid = c.relnamespace
               where c.relkind in ('r', 'm')
                 and ${userSchema(sql, sql`n.nspname`)}
                 and ${inScope(sql, scope, sql`n.nspname`, sql`c.relname`)}) ages
       where age >= least(freeze_max_age - ${XID_FREEZE_MARGIN}, ${XID_AGE_WARNING})
       order by age desc, object
       limit ${LIST_CAP}`,
    );
    const findings = gradeAges(rows, (graded) => ({
      check: MXID_TABLE_ID,
      severity: graded.severity,
      object: graded.object,
      title:
        graded.severity === 'info'
          ? 'Anti-wraparound vacuum (multixacts) due'
          : 'Table approaching multixact ID wraparound',
      detail: describeMultixact(graded.object, 'table', graded.age, graded.freezeMaxAge, graded.severity),
      recommendation: `VACUUM (FREEZE, VERBOSE) ${graded.object};`,
      evidence: mxidEvidence(graded),
    }));
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'tables');
  },
};

export const databaseMultixactWraparound: Check = {
  id: MXID_DATABASE_ID,
  targets: ['tables'],
  async run(ctx: CheckContext): Promise<Finding[]> {
    const rows = await catalogQuery(
      ctx.sql,
      (tx) => tx<AgeRow[]>`
      select datname as object, mxid_age(datminmxid)::float8 as age,
             current_setting('autovacuum_multixact_freeze_max_age')::float8 as freeze_max_age
        from pg_database
       where datallowconn
         and mxid_age(datminmxid) >= least(current_setting('autovacuum_multixact_freeze_max_age')::float8 - ${XID_FREEZE_MARGIN}, ${XID_AGE_WARNING})
       order by age desc, datname
       limit ${LIST_CAP}`,
    );
    return gradeAges(rows, (graded) => ({
      check: MXID_DATABASE_ID,
      severity: graded.severity,
      object: graded.object,
      title:
        graded.severity === 'info'
          ? 'Database-wide anti-wraparound vacuum (multixacts) due'
          : 'Database approaching multixact ID wraparound',
      detail: describeMultixact(graded.object, 'database', graded.age, graded.freezeMaxAge, graded.severity),
      recommendation:
        `Connect to ${graded.object} and run VACUUM (FREEZE, VERBOSE) on the tables with the oldest relminmxid ` +
        `(ORDER BY mxid_age(relminmxid) DESC), or vacuumdb --freeze --jobs=N ${graded.object}`,
      evidence: mxidEvidence(graded),
    }));
  },
};
