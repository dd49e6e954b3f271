import { BoundedTally, type Counted } from './bounded-tally.js';
import { countInto, emptyBreakdown, type Breakdown } from './breakdown.js';
import { detach, ENTRY_SEVERITIES, type LogEntry } from './log-entry.js';
import { normalizeError, normalizeQuery, truncate } from './normalize.js';
import {
  autovacuumTable,
  CONNECTION_FAILURE_LABELS,
  connectionFailure,
  errorGravity,
  isAutovacuumCancel,
  isCrashMessage,
  isDeadlock,
  isLockTimeout,
  isOutOfMemory,
  isArchiveFailure,
  isStatementTimeout,
  type ConnectionFailure,
} from './patterns.js';
import { AutovacuumRuns } from './autovacuum-runs.js';
import { Checkpoints } from './checkpoints.js';
import { LockWaits } from './lock-waits.js';
import { ProcessStates } from './process-states.js';
import { Sessions } from './sessions.js';
import { parseDuration, StatementStatsSketch } from './statement-stats.js';
import { MESSAGE_KEYS, MESSAGE_TEXT_CHARS, OBJECT_KEYS } from './thresholds.js';
import { QUERY_TEXT_CHARS } from '../query-text.js';

// Per-record breakdowns (databases, users, reasons) keep their largest few keys only.
const BREAKDOWN_KEYS = 20;

export interface Occurrences extends Counted {
  firstTime: string | null;
  lastTime: string | null;
  databases: Breakdown;
  /** Normalized statement of the first occurrence that had one. */
  statement: string | null;
}

export interface MessageTally extends Occurrences {
  message: string;
  severity: string;
  sqlstate: string | null;
  /** Set for storage faults and exhausted resources, whatever the count (see errorGravity). */
  gravity: 'critical' | 'warning' | null;
}

export interface TempFileTally extends Occurrences {
  bytes: number;
  maxBytes: number;
}

export interface ConnectionFailureTally extends Occurrences {
  user: string | null;
  host: string | null;
  kinds: Breakdown;
  reasons: Breakdown;
}

/** Failed logins from one host, or for one role, whatever the other side: what a password-guessing run looks like. */
export interface LoginAttempts extends Occurrences {
  users: Breakdown;
  hosts: Breakdown;
}

// Temporary files whose statement was never logged (no STATEMENT line, no duration line).
export const UNKNOWN_STATEMENT = '(statement not logged)';

export interface CheckpointWarnings extends Counted {
  minSecondsApart: number | null;
  firstTime: string | null;
  lastTime: string | null;
}

const PROBLEM_SEVERITIES = new Set(['WARNING', 'ERROR', 'FATAL', 'PANIC']);
const KNOWN_SEVERITIES = new Set<string>(ENTRY_SEVERITIES);

// The same raw message repeats verbatim; normalizing it once saves most of the regex work.
const NORMALIZED_CACHE_SIZE = 5_000;

/**
 * Everything the checks report, accumulated entry by entry: counters, bounded tallies and a
 * small heap of the slowest statements. Nothing here grows with the size of the log.
 */
export class LogAggregate {
  entries = 0;
  firstTime: string | null = null;
  lastTime: string | null = null;
  readonly bySeverity: Record<string, number> = {};
  readonly bySqlstateClass = new BoundedTally<Counted>(OBJECT_KEYS);
  readonly errors = new BoundedTally<MessageTally>(MESSAGE_KEYS);
  readonly fatals = new BoundedTally<MessageTally>(MESSAGE_KEYS);
  readonly crashes = new BoundedTally<MessageTally>(OBJECT_KEYS);
  readonly deadlocks = new BoundedTally<Occurrences>(OBJECT_KEYS);
  readonly processes = new ProcessStates();
  readonly lockWaits = new LockWaits(this.processes);
  readonly sessions = new Sessions(this.processes);
  readonly checkpoints = new Checkpoints();
  readonly autovacuum = new AutovacuumRuns();
  readonly statements = new StatementStatsSketch();
  readonly warnings = new BoundedTally<MessageTally>(MESSAGE_KEYS);
  readonly archiveFailures = new BoundedTally<Occurrences>(OBJECT_KEYS);
  /** Temporary files by the statement that made them. */
  readonly tempFilesByStatement = new BoundedTally<TempFileTally>(OBJECT_KEYS);
  readonly loginFailuresByHost = new BoundedTally<LoginAttempts>(OBJECT_KEYS);
  readonly loginFailuresByUser = new BoundedTally<LoginAttempts>(OBJECT_KEYS);
  readonly statementTimeouts = new BoundedTally<Occurrences>(OBJECT_KEYS);
  readonly lockTimeouts = new BoundedTally<Occurrences>(OBJECT_KEYS);
  readonly outOfMemory = new BoundedTally<Occurrences>(OBJECT_KEYS);
  readonly tempFiles = new BoundedTally<TempFileTally>(OBJECT_KEYS);
  readonly autovacuumCancels = new BoundedTally<Occurrences>(OBJECT_KEYS);
  readonly authFailures = new BoundedTally<ConnectionFailureTally>(OBJECT_KEYS);
  readonly rejectedConnections = new BoundedTally<ConnectionFailureTally>(OBJECT_KEYS);
  readonly checkpointWarnings: CheckpointWarnings = {
    count: 0,
    minSecondsApart: null,
    firstTime: null,
    lastTime: null,
  };
  private normalizedCache = new Map<string, string>();
  private lastKeptTime: string | null = null;

  add(e: LogEntry): void {
    this.entries++;
    if (e.time) {
      this.firstTime ??= detach(e.time);
      this.lastTime = e.time;
    }
    const severity = KNOWN_SEVERITIES.has(e.severity) ? e.severity : 'OTHER';
    this.bySeverity[severity] = (this.bySeverity[severity] ?? 0) + 1;
    if (e.sqlstate && PROBLEM_SEVERITIES.has(severity))
      this.bySqlstateClass.bump(e.sqlstate.slice(0, 2), () => ({ count: 0 }));
    switch (severity) {
      case 'LOG':
        return this.onLog(e);
      case 'ERROR':
        return this.onError(e);
      case 'FATAL':
        return this.onFatal(e);
      case 'PANIC':
        return this.bumpMessage(this.crashes, e);
      case 'WARNING':
        if (isCrashMessage(e.message)) this.bumpMessage(this.crashes, e);
        else if (isArchiveFailure(e.message)) this.bumpEvent(this.archiveFailures, 'archive_command', e);
        else this.bumpMessage(this.warnings, e);
    }
  }

  /** Ends the scan: temporary files still waiting for their statement are counted without one. */
  finish(): void {
    for (const state of this.processes.all()) {
      for (const bytes of state.pendingTempFiles) this.tempFileOfStatement(UNKNOWN_STATEMENT, bytes, null);
      state.pendingTempFiles = [];
    }
    this.processes.pendingTempFiles = 0;
    for (const bytes of this.processes.orphanedTempFiles.splice(0))
      this.tempFileOfStatement(UNKNOWN_STATEMENT, bytes, null);
  }

  private onLog(e: LogEntry): void {
    const m = e.message;
    if (m.startsWith('duration: ')) this.onDuration(e);
    else if (m.startsWith('temporary file: ')) this.onTempFile(e);
    else if (m.startsWith('process ') && this.lockWaits.add(e)) return;
    else if (m.startsWith('checkpoints are occurring too frequently')) this.onCheckpointWarning(e);
    else if (this.checkpoints.add(e) || this.autovacuum.add(e) || this.sessions.add(e)) return;
    else if (isArchiveFailure(m)) this.bumpEvent(this.archiveFailures, 'archive_command', e);
    else if (isCrashMessage(m)) this.bumpMessage(this.crashes, e);
  }

  private onDuration(e: LogEntry): void {
    const d = parseDuration(e.message);
    if (!d) return;
    const key = this.statements.add(e, d);
    if (!e.pid || key === null) return;
    // Only executes, and lines while some process has files waiting, need a process's state: most
    // duration lines skip the lookup. (A simple-protocol line after an execute of the same process
    // may thus leave that execute as its last; its temp files carry their own STATEMENT line anyway.)
    if (d.kind !== 'execute' && this.processes.pendingTempFiles === 0) return;
    const state = d.kind === 'execute' ? this.processes.get(e.pid) : this.processes.peek(e.pid);
    if (!state) return;
    const text = this.statements.textOf(key);
    // A temporary file logged before this line, with no statement of its own, was made by this statement.
    if (state.pendingTempFiles.length > 0) {
      for (const bytes of state.pendingTempFiles) this.tempFileOfStatement(text ?? UNKNOWN_STATEMENT, bytes, e.time);
      this.processes.pendingTempFiles -= state.pendingTempFiles.length;
      state.pendingTempFiles = [];
    }
    state.lastExecuteText = d.kind === 'execute' ? text : null;
  }

  private onError(e: LogEntry): void {
    if (isDeadlock(e)) this.bumpEvent(this.deadlocks, e.database, e);
    else if (isStatementTimeout(e)) this.bumpEvent(this.statementTimeouts, e.database, e);
    else if (isLockTimeout(e)) this.bumpEvent(this.lockTimeouts, e.database, e);
    else if (isAutovacuumCancel(e)) this.bumpEvent(this.autovacuumCancels, autovacuumTable(e), e);
    else if (isOutOfMemory(e)) this.bumpEvent(this.outOfMemory, e.database, e);
    else this.bumpMessage(this.errors, e);
  }

  private onFatal(e: LogEntry): void {
    // The process's "connection received" line names the client when the prefix has no %h.
    if (!e.host && e.pid) e.host = this.processes.peek(e.pid)?.host ?? null;
    const failure = connectionFailure(e);
    if (failure) this.onConnectionFailure(failure, e);
    else if (isCrashMessage(e.message)) this.bumpMessage(this.crashes, e);
    else if (isOutOfMemory(e)) this.bumpEvent(this.outOfMemory, e.database, e);
    else this.bumpMessage(this.fatals, e);
  }

  private onConnectionFailure(failure: ConnectionFailure, e: LogEntry): void {
    const tally =
      failure.kind === 'password' || failure.kind === 'authentication' ? this.authFailures : this.rejectedConnections;
    const key = `${failure.user ?? ''}@${failure.host ?? ''}`;
    const t = tally.upsert(key, () => ({
      ...occurrences(),
      user: detach(failure.user),
      host: detach(failure.host),
      kinds: emptyBreakdown(),
      reasons: emptyBreakdown(),
    }));
    this.touch(t, failure.database, e);
    countInto(
      t.kinds,
      failure.method ? `${failure.method} authentication failed` : CONNECTION_FAILURE_LABELS[failure.kind],
      BREAKDOWN_KEYS,
    );
    if (e.detail) countInto(t.reasons, truncate(this.normalize(e.detail), MESSAGE_TEXT_CHARS), BREAKDOWN_KEYS);
    if (tally === this.authFailures) {
      const user = failure.user ?? '?';
      const host = failure.host ?? '';
      const byHost = this.loginFailuresByHost.upsert(host, () => ({
        ...occurrences(),
        users: emptyBreakdown(),
        hosts: emptyBreakdown(),
      }));
      this.touch(byHost, failure.database, e);
      countInto(byHost.users, user, BREAKDOWN_KEYS);
      const byUser = this.loginFailuresByUser.upsert(user, () => ({
        ...occurrences(),
        users: emptyBreakdown(),
        hosts: emptyBreakdown(),
      }));
      this.touch(byUser, failure.database, e);
      if (host) countInto(byUser.hosts, host, BREAKDOWN_KEYS);
    }
  }

  private onTempFile(e: LogEntry): void {
    const size = Number(/, size (\d+)/.exec(e.message)?.[1] ?? 0);
    const t = this.tempFiles.upsert(e.database ?? '', () => ({ ...occurrences(), bytes: 0, maxBytes: 0 }));
    this.touch(t, e.database, e);
    t.bytes += size;
    // The statement behind a file: its STATEMENT line (simple protocol, or still executing);
    // else the execute the same process logged just before (an extended-protocol portal's files
    // are removed at its close, after its duration line); else the duration line that follows.
    const state = e.pid ? this.processes.get(e.pid) : undefined;
    const statement = e.statement
      ? detach(truncate(normalizeQuery(e.statement), QUERY_TEXT_CHARS))
      : (state?.lastExecuteText ?? null);
    if (statement) this.tempFileOfStatement(statement, size, e.time);
    else if (state) {
      state.pendingTempFiles.push(size);
      this.processes.pendingTempFiles++;
    } else this.tempFileOfStatement(UNKNOWN_STATEMENT, size, e.time);
    // Keep the statement behind the largest file: the one a DBA would tune first.
    if (size > t.maxBytes) {
      t.maxBytes = size;
      if (statement) t.statement = statement;
    }
  }

  private tempFileOfStatement(statement: string, bytes: number, time: string | null): void {
    const t = this.tempFilesByStatement.upsert(statement, () => ({
      ...occurrences(),
      statement,
      bytes: 0,
      maxBytes: 0,
    }));
    t.count++;
    t.bytes += bytes;
    t.maxBytes = Math.max(t.maxBytes, bytes);
    const kept = this.keptTime(time);
    t.firstTime ??= kept;
    t.lastTime = kept ?? t.lastTime;
  }

  private onCheckpointWarning(e: LogEntry): void {
    const c = this.checkpointWarnings;
    c.count++;
    c.firstTime ??= detach(e.time);
    c.lastTime = detach(e.time) ?? c.lastTime;
    const apart = Number(/\((\d+) seconds? apart\)/.exec(e.message)?.[1]);
    if (Number.isFinite(apart))
      c.minSecondsApart = c.minSecondsApart === null ? apart : Math.min(c.minSecondsApart, apart);
  }

  private bumpEvent(tally: BoundedTally<Occurrences>, key: string | null, e: LogEntry): void {
    this.touch(
      tally.upsert(key ?? '', () => occurrences()),
      e.database,
      e,
    );
  }

  private bumpMessage(tally: BoundedTally<MessageTally>, e: LogEntry): void {
    const message = detach(truncate(this.normalize(e.message), MESSAGE_TEXT_CHARS));
    const t = tally.upsert(`${e.severity}\u0000${message}`, () => ({
      ...occurrences(),
      message,
      severity: e.severity,
      sqlstate: e.sqlstate,
      gravity: errorGravity(e),
    }));
    this.touch(t, e.database, e);
  }

  private touch(t: Occurrences, database: string | null, e: LogEntry): void {
    t.count++;
    const time = this.keptTime(e.time);
    t.firstTime ??= time;
    t.lastTime = time ?? t.lastTime;
    if (database) countInto(t.databases, database, BREAKDOWN_KEYS);
    if (t.statement === null && e.statement)
      t.statement = detach(truncate(normalizeQuery(e.statement), QUERY_TEXT_CHARS));
  }

  /**
   * A time to keep in a tally, as a string of its own (detach): one copy serves every tally an
   * entry touches and the entries after it with the same time, instead of a copy per tally.
   */
  private keptTime(time: string | null): string | null {
    if (time !== this.lastKeptTime) this.lastKeptTime = detach(time);
    return this.lastKeptTime;
  }

  private normalize(text: string): string {
    let normalized = this.normalizedCache.get(text);
    if (normalized === undefined) {
      if (this.normalizedCache.size >= NORMALIZED_CACHE_SIZE) this.normalizedCache = new Map();
      normalized = detach(normalizeError(text));
      this.normalizedCache.set(detach(text), normalized);
    }
    return normalized;
  }
}

function occurrences(): Occurrences {
  return { count: 0, firstTime: null, lastTime: null, databases: emptyBreakdown(), statement: null };
}
