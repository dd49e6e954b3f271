import type { Check, CheckContext, Finding } from '../types.js';
import { catalogQuery, inScope, parseTargetTables, userSchema } from './scope.js';
import { LIST_CAP, noteTruncation } from '../finding-list.js';

const NOT_VALID_ID = 'tables.not_valid_constraint';
const DISABLED_TRIGGER_ID = 'tables.disabled_trigger';

/**
 * PgHero invalid_constraints: CHECK and FOREIGN KEY constraints added NOT VALID and never validated
 * (convalidated = false). New rows are checked, existing rows are not, and the planner cannot rely on
 * the constraint (e.g. for partition pruning by CHECK). Usually the unfinished half of a migration.
 */
export const notValidConstraints: Check = {
  id: NOT_VALID_ID,
  targets: ['tables'],
  async run(ctx: CheckContext): Promise<Finding[]> {
    const { sql } = ctx;
    const scope = parseTargetTables(ctx.params.target_tables);
    const rows = await catalogQuery(
      sql,
      (tx) => tx`
      select format('%I.%I.%I', n.nspname, t.relname, k.conname) as object,
             format('%I.%I', n.nspname, t.relname) as table_name,
             format('%I', k.conname) as constraint_name,
             case k.contype when 'f' then 'foreign key' when 'c' then 'check' else k.contype::text end as kind,
             pg_get_constraintdef(k.oid) as definition,
             count(*) over () as total
        from pg_constraint k
        join pg_class t on t.oid = k.conrelid
        join pg_namespace n on n.oid = t.relnamespace
       where not k.convalidated and k.conparentid = 0
         and ${userSchema(sql, sql`n.nspname`)}
         and ${inScope(sql, scope, sql`n.nspname`, sql`t.relname`)}
       order by 1
       limit ${LIST_CAP}`,
    );

    const findings = rows.map((r): Finding => ({
      check: NOT_VALID_ID,
      severity: 'warning',
      object: r.object,
      title: 'Constraint not validated',
      detail:
        `The ${r.kind} constraint ${r.constraint_name} on ${r.table_name} (${r.definition}) was added NOT ` +
        'VALID and never validated: rows written before it existed may violate it.',
      recommendation:
        `ALTER TABLE ${r.table_name} VALIDATE CONSTRAINT ${r.constraint_name};  -- takes only a SHARE UPDATE ` +
        'EXCLUSIVE lock',
      evidence: { table: r.table_name, constraint_type: r.kind, definition: r.definition },
    }));
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'constraints');
  },
};

/**
 * pgwatch reco_disabled_triggers: user triggers disabled with ALTER TABLE ... DISABLE TRIGGER
 * (tgenabled = 'D'), "temporarily disabled triggers might be forgotten about". Triggers set to fire
 * only on replicas or always ('R', 'A') are a deliberate replication setting and are not reported.
 */
export const disabledTriggers: Check = {
  id: DISABLED_TRIGGER_ID,
  targets: ['tables'],
  async run(ctx: CheckContext): Promise<Finding[]> {
    const { sql } = ctx;
    const scope = parseTargetTables(ctx.params.target_tables);
    const rows = await catalogQuery(
      sql,
      (tx) => tx`
      select format('%I.%I.%I', n.nspname, t.relname, g.tgname) as object,
             format('%I.%I', n.nspname, t.relname) as table_name,
             format('%I', g.tgname) as trigger_name,
             pg_get_triggerdef(g.oid) as definition,
             count(*) over () as total
        from pg_trigger g
        join pg_class t on t.oid = g.tgrelid
        join pg_namespace n on n.oid = t.relnamespace
       where g.tgenabled = 'D' and not g.tgisinternal
         and ${userSchema(sql, sql`n.nspname`)}
         and ${inScope(sql, scope, sql`n.nspname`, sql`t.relname`)}
       order by 1
       limit ${LIST_CAP}`,
    );

    const findings = rows.map((r): Finding => ({
      check: DISABLED_TRIGGER_ID,
      severity: 'warning',
      object: r.object,
      title: 'Disabled trigger',
      detail:
        `Trigger ${r.trigger_name} on ${r.table_name} is disabled: whatever it enforces or records (audit, ` +
        'denormalised data, validation) is silently skipped.',
      recommendation:
        `ALTER TABLE ${r.table_name} ENABLE TRIGGER ${r.trigger_name};  -- or DROP TRIGGER ${r.trigger_name} ` +
        `ON ${r.table_name}; if it is no longer needed`,
      evidence: { table: r.table_name, definition: r.definition },
    }));
    return noteTruncation(findings, Number(rows[0]?.total ?? 0), 'disabled triggers');
  },
};
