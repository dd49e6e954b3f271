import type { LogEntry } from './log-entry.js';

/**
 * Message texts the checks recognise. Messages are matched in English (lc_messages 'C' or 'en',
 * as pgBadger requires); where the SQLSTATE is known it is used first, since it does not depend
 * on the language.
 */

// Signs that the server crashed or restarted after a crash (postmaster.c, xlog.c messages).
const CRASH_MESSAGES = [
  /terminated by signal \d+/, // server process (PID 123) was terminated by signal 9: Killed
  /^server process \(PID \d+\) was terminated/, // ... by exception 0xC0000005 on Windows
  /^database system was interrupted/,
  /^database system was not properly shut down/,
  /^all server processes terminated; reinitializing/,
  /^the database system is in recovery mode$/,
  /^terminating connection because of crash of another server process$/,
];

export function isCrashMessage(message: string): boolean {
  return CRASH_MESSAGES.some((pattern) => pattern.test(message));
}

// FATALs that follow an operator's action or a configured timeout rather than a fault.
const ROUTINE_FATALS = [
  /^terminating connection due to administrator command$/,
  /^terminating (?:autovacuum process|background worker ".*"|logical replication worker) due to administrator command$/,
  /^terminating connection due to idle-(?:in-transaction|session) timeout$/,
  /^canceling authentication due to timeout$/,
  /^the database system is (?:starting up|shutting down|not yet accepting connections|not accepting connections)$/,
  /^connection to client lost$/,
];

export function isRoutineFatal(message: string): boolean {
  return ROUTINE_FATALS.some((pattern) => pattern.test(message));
}

export const isDeadlock = (e: LogEntry) => e.sqlstate === '40P01' || e.message.startsWith('deadlock detected');
export const isStatementTimeout = (e: LogEntry) => e.message === 'canceling statement due to statement timeout';
export const isLockTimeout = (e: LogEntry) => e.message === 'canceling statement due to lock timeout';
export const isAutovacuumCancel = (e: LogEntry) => e.message.startsWith('canceling autovacuum task');
// pgarch.c: "archive command failed with exit code 1", "... was terminated by signal 9",
// and after three failures in a row "archiving write-ahead log file "..." failed too many times".
export const isArchiveFailure = (message: string) =>
  message.startsWith('archive command ') ||
  (message.startsWith('archiving write-ahead log file') && message.includes('failed')) ||
  message.startsWith('archive module ');
export const isOutOfMemory = (e: LogEntry) => e.sqlstate === '53200' || e.message.startsWith('out of memory');

/** The table named in an autovacuum entry's CONTEXT: "automatic vacuum of table "db.schema.table"". */
export function autovacuumTable(e: LogEntry): string | null {
  return /automatic (?:vacuum|analyze) of table "([^"]+)"/.exec(e.context ?? '')?.[1] ?? null;
}

// Errors whose cause is damaged data, failing storage or a full disk: never the application's fault.
const STORAGE_FAULTS =
  /could not (?:read|write) block|invalid page in block|unexpected zero page|missing chunk number|found xmin \d+ from before relfrozenxid|could not access status of transaction|No space left on device/;

/**
 * How grave an ERROR or FATAL is by its SQLSTATE class (PostgreSQL Appendix A, the table pgBadger
 * reports errors by): XX internal error (includes data_corrupted, index_corrupted) and 58 system
 * error (I/O) are critical, as is 53100 disk_full; other class 53 insufficient resources is a warning.
 */
// The server refusing new transactions to avoid wraparound (SQLSTATE 54000), or warning that it soon will
// (varsup.c, multixact.c): writes stop for the whole database until a VACUUM freezes it.
export const WRAPAROUND_PRESSURE = /to avoid wraparound data loss|must be vacuumed (?:within|before) /;

export function errorGravity(e: LogEntry): 'critical' | 'warning' | null {
  const state = e.sqlstate ?? '';
  if (
    state.startsWith('XX') ||
    state.startsWith('58') ||
    state === '53100' ||
    STORAGE_FAULTS.test(e.message) ||
    WRAPAROUND_PRESSURE.test(e.message)
  )
    return 'critical';
  if (
    state.startsWith('53') ||
    /^sorry, too many clients already|^remaining connection slots are reserved/.test(e.message)
  )
    return 'warning';
  return null;
}

export type ConnectionFailureKind =
  'password' | 'authentication' | 'no_hba_entry' | 'hba_reject' | 'unknown_role' | 'unknown_database';

export const CONNECTION_FAILURE_LABELS: Record<ConnectionFailureKind, string> = {
  password: 'password authentication failed',
  authentication: 'authentication failed',
  no_hba_entry: 'no pg_hba.conf entry',
  hba_reject: 'rejected by pg_hba.conf',
  unknown_role: 'role does not exist',
  unknown_database: 'database does not exist',
};

export interface ConnectionFailure {
  kind: ConnectionFailureKind;
  /** The method for `authentication` failures: Ident, Peer, LDAP, RADIUS, certificate ... */
  method: string | null;
  user: string | null;
  host: string | null;
  database: string | null;
}

/** A FATAL that refused a connection at authentication or authorization (class 28 and 3D000). */
export function connectionFailure(e: LogEntry): ConnectionFailure | null {
  const m = e.message;
  const base = { method: null, user: e.user, host: e.host, database: e.database };
  let r = /^password authentication failed for user "(.*)"$/.exec(m);
  if (r) return { ...base, kind: 'password', user: r[1] };
  r = /^(\S+) authentication failed for user "(.*)"$/.exec(m);
  if (r) return { ...base, kind: 'authentication', method: r[1], user: r[2] };
  r =
    /^no pg_hba\.conf entry for (?:replication connection from )?host "([^"]*)", user "([^"]*)"(?:, database "([^"]*)")?/.exec(
      m,
    );
  if (r) return { ...base, kind: 'no_hba_entry', host: r[1], user: r[2], database: r[3] ?? e.database };
  r =
    /^pg_hba\.conf rejects (?:replication )?connection for host "([^"]*)", user "([^"]*)"(?:, database "([^"]*)")?/.exec(
      m,
    );
  if (r) return { ...base, kind: 'hba_reject', host: r[1], user: r[2], database: r[3] ?? e.database };
  r = /^role "(.*)" does not exist$/.exec(m);
  if (r) return { ...base, kind: 'unknown_role', user: r[1] };
  r = /^database "(.*)" does not exist$/.exec(m);
  if (r) return { ...base, kind: 'unknown_database', database: r[1] };
  if (e.sqlstate === '28P01') return { ...base, kind: 'password' };
  if (e.sqlstate?.startsWith('28')) return { ...base, kind: 'authentication' };
  return null;
}
