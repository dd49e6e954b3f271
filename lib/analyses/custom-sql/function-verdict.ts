import { blockedFunctionReason } from './blocked-functions.js';

/** A function as the reviewed database's catalog describes it. */
export interface CatalogFunction {
  schema: string;
  name: string;
  /** pg_proc.provolatile: i(mmutable), s(table), v(olatile). */
  volatility: string;
  language: string;
  /** The extension the function belongs to, if any. */
  extension: string | null;
}

// Extensions whose functions only read (or compute): their volatile functions are statistics and
// page readers. Anything else (dblink, pg_background, http, aws_lambda, aws_s3, hypopg, ...) is
// refused until someone has read it and added it here.
const readOnlyExtensions = new Set([
  ...[
    'pg_stat_statements',
    'pg_buffercache',
    'pgstattuple',
    'pg_visibility',
    'pg_freespacemap',
    'pageinspect',
    'pg_walinspect',
  ],
  ...[
    'amcheck',
    'pg_stat_kcache',
    'pg_qualstats',
    'pg_wait_sampling',
    'pg_trgm',
    'btree_gin',
    'btree_gist',
    'citext',
    'hstore',
  ],
  ...[
    'ltree',
    'cube',
    'earthdistance',
    'fuzzystrmatch',
    'intarray',
    'isn',
    'unaccent',
    'uuid-ossp',
    'pgcrypto',
    'tablefunc',
    'plpgsql',
  ],
]);

// Volatile built-ins that only read: clocks, random numbers, sizes, statistics, WAL positions and
// the server's state. Volatile built-ins not matched here (nextval, lo_*, pg_notify ...) are refused.
const harmlessVolatileBuiltins: RegExp[] = [
  /^(random|random_normal|clock_timestamp|timeofday|gen_random_uuid|current_query|currval|lastval)$/,
  /^pg_stat_get_|^pg_stat_have_stats$|^pg_stat_clear_snapshot$/,
  /^pg_(relation|table|indexes|total_relation|database|tablespace)_size$/,
  /^pg_(current|last)_wal_|^pg_last_xact_replay_timestamp$|^pg_is_in_recovery$|^pg_is_wal_replay_paused$|^pg_get_wal_replay_pause_state$/,
  /^pg_control_(checkpoint|init|recovery|system)$/,
  /^pg_(blocking_pids|safe_snapshot_blocking_pids|lock_status|prepared_xact|notification_queue_usage|jit_available|current_logfile)$/,
  /^pg_(get_backend_memory_contexts|get_shmem_allocations|get_multixact_members|get_wal_resource_managers|get_wait_events)$/,
  /^pg_(hba_file_rules|ident_file_mappings|show_all_file_settings|show_replication_origin_status|sequence_last_value)$/,
  /^pg_(partition_tree|partition_ancestors|collation_actual_version|database_collation_actual_version|last_committed_xact)$/,
  /^(pg_xact_commit_timestamp|pg_xact_commit_timestamp_origin|pg_xact_status|txid_status)$/,
  // TABLESAMPLE methods.
  /^(bernoulli|system)$/,
];

const systemSchemas = new Set(['pg_catalog', 'information_schema']);

/**
 * Why a function the statement would run may not run, or null. Built-ins and read-only extensions'
 * functions are judged by name and volatility; a user's SQL function by its body (checked by the
 * caller); any other user function is refused, whatever its volatility label: a function in
 * PL/pgSQL or C labelled STABLE can still call dblink_exec, and its body is not visible to a check.
 */
export function refusedFunctionReason(fn: CatalogFunction): string | null {
  const qualified = `${fn.schema}.${fn.name}`;
  const blocked = blockedFunctionReason(fn.name, fn.schema);
  if (blocked) return blocked;
  if (fn.extension !== null) {
    return readOnlyExtensions.has(fn.extension)
      ? null
      : `Function ${qualified} is not allowed: it belongs to the extension ${fn.extension}, which is not known ` +
          'to be read-only';
  }
  if (systemSchemas.has(fn.schema)) {
    if (fn.volatility !== 'v' || harmlessVolatileBuiltins.some((pattern) => pattern.test(fn.name))) return null;
    return `Function ${qualified} is not allowed: it is volatile and not one of the built-ins known to only read`;
  }
  if (fn.language === 'sql') return null;
  return (
    `Function ${qualified} is not allowed: it is written in ${fn.language}, whose body cannot be checked; only ` +
    `built-in functions, read-only extensions' functions and SQL functions are run`
  );
}
