/**
 * Functions a custom_sql statement may not call, wherever they appear in the statement.
 *
 * The statement runs in a READ ONLY transaction that is always rolled back, so the server itself
 * refuses table writes. This list is for what that does not stop: calls whose effects are not
 * transactional (signals, statistics resets, locks, sleeps), calls that read the server's own files,
 * and calls that run SQL text or open another connection the checker never sees (and that
 * connection is not read-only). Names are matched on the function name alone, schema ignored,
 * case-insensitively, so `public.DBLINK_EXEC(...)` is caught like `dblink_exec(...)`.
 * The same list is applied to what the statement really runs (catalog-fence.ts); the reviewing
 * role's privileges remain the last line of defence.
 */
interface BlockedFunctions {
  matches: RegExp;
  why: string;
}

const blockedFunctions: BlockedFunctions[] = [
  // dblink opens a second connection that is not read-only; the others run SQL given as text.
  { matches: /^dblink/, why: 'it opens another connection that is not read-only' },
  {
    matches: /^(crosstab|connectby$|xpath_table$|ts_stat$|ts_rewrite$)/,
    why: 'it runs SQL given as text, which cannot be checked',
  },
  // query_to_xml, table_to_xml, cursor_to_xml, schema_to_xml, database_to_xml and their *_xmlschema forms.
  { matches: /_to_xml/, why: 'it runs SQL given as text or dumps whole tables, schemas or databases' },

  {
    matches: /^(pg_read_file|pg_read_binary_file|pg_stat_file|pg_ls_|pg_logdir_ls$)/,
    why: "it reads the server's files or directories",
  },
  { matches: /^(pg_file_|lo_|loread$|lowrite$)/, why: "it reads or writes the server's files or large objects" },

  { matches: /^(pg_terminate_backend|pg_cancel_backend)$/, why: 'it signals other sessions' },
  {
    matches:
      /^(pg_reload_conf|pg_rotate_logfile.*|pg_promote|pg_wal_replay_(pause|resume)|pg_switch_(wal|xlog)|pg_create_restore_point|pg_(start|stop)_backup|pg_backup_(start|stop)|pg_log_backend_memory_contexts|pg_log_standby_snapshot|pg_logical_emit_message|pg_import_system_collations|pg_notify|pg_prewarm|pg_truncate_visibility_map)$/,
    why: 'it acts on the server rather than reading from it',
  },
  { matches: /^set_config$/, why: 'it changes settings' },

  // Session-level advisory locks outlive the transaction; sleeps hold a production connection for nothing.
  { matches: /^(pg_advisory|pg_try_advisory)/, why: 'it takes advisory locks' },
  { matches: /^pg_sleep/, why: 'it sleeps' },
  { matches: /^(nextval|setval)$/, why: 'it changes a sequence, which is not rolled back' },

  // Peeking a logical slot also acquires it, which blocks the real consumer while it runs.
  {
    matches:
      /^(pg_create_|pg_drop_|pg_copy_(physical|logical)_replication_slot$|pg_replication_slot_advance$|pg_logical_slot_|pg_replication_origin_)/,
    why: 'it creates, drops or consumes replication slots or origins',
  },

  // Resets are not transactional and destroy the history every other review relies on.
  { matches: /^pg_stat_reset|^pg_.*_reset$|^pg_wait_sampling_reset_profile$/, why: 'it resets statistics' },

  // Index maintenance writes the index outside the transaction's rollback.
  {
    matches: /^(gin_clean_pending_list|brin_summarize_new_values|brin_summarize_range|brin_desummarize_range)$/,
    why: 'it maintains an index, which a read-only transaction does not prevent',
  },
  {
    matches: /^(txid_current|pg_current_xact_id)$/,
    why: 'it assigns a transaction id, which is consumed even when rolled back',
  },
  // bt_index_check takes only an AccessShareLock; the parent check's ShareLock blocks every write to the table.
  { matches: /^bt_index_parent_check$/, why: 'it takes a ShareLock that blocks writes to the table' },
  // Extensions that reach outside the database: another session, the network, AWS services.
  { matches: /^pg_background_/, why: 'it runs SQL in a background session that is not read-only' },
  {
    matches: /^http(_(get|post|put|patch|delete|head|set_curlopt|reset_curlopt|list_curlopt))?$/,
    why: 'it sends HTTP requests',
  },
  { matches: /^aws_(lambda|s3|commons)\./, why: 'it calls an AWS service' },
];

/** Why the function may not be called, or null when it may; the schema, when known, is matched as `schema.name`. */
export function blockedFunctionReason(functionName: string, schema: string | null = null): string | null {
  const name = functionName.toLowerCase();
  const qualified = schema ? `${schema.toLowerCase()}.${name}` : name;
  const blocked = blockedFunctions.find((b) => b.matches.test(name) || b.matches.test(qualified));
  return blocked ? `Function ${qualified} is not allowed: ${blocked.why}` : null;
}
