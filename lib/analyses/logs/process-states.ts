import type { LockWaitKey } from './lock-waits.js';

/** What is remembered about one server process between its log entries. */
export interface ProcessState {
  /** From its "connection received: host=..." line, for entries whose prefix has no %h. */
  host: string | null;
  /** Normalized text of the statement its last duration line ran through the extended protocol (execute). */
  lastExecuteText: string | null;
  /**
   * Bytes of temporary files logged with no statement and no execute before them, waiting for the
   * duration line that follows.
   */
  pendingTempFiles: number[];
  /** Its lock wait logged as "still waiting" and not yet "acquired". */
  lockWait: { key: LockWaitKey; loggedMs: number } | null;
}

// Processes come and go; past this many the oldest-started is forgotten (a process that was
// never seen to disconnect, e.g. because its lines were before the window read).
const TRACKED_PROCESSES = 10_000;

/** Per-process state, keyed by PID, bounded in size. */
export class ProcessStates {
  private readonly states = new Map<string, ProcessState>();
  /** Temporary files waiting for their statement, over all processes. */
  pendingTempFiles = 0;
  /** Sizes of waiting files whose process ended before a statement line came: no statement is known. */
  readonly orphanedTempFiles: number[] = [];

  get(pid: string): ProcessState {
    let state = this.states.get(pid);
    if (!state) {
      if (this.states.size >= TRACKED_PROCESSES) this.forget(this.states.keys().next().value as string);
      state = { host: null, lastExecuteText: null, pendingTempFiles: [], lockWait: null };
      this.states.set(pid, state);
    }
    return state;
  }

  peek(pid: string | null): ProcessState | undefined {
    return pid === null ? undefined : this.states.get(pid);
  }

  /** The process ended (or its PID was reused): its files still waiting keep no statement. */
  forget(pid: string): void {
    const state = this.states.get(pid);
    if (!state) return;
    this.states.delete(pid);
    this.pendingTempFiles -= state.pendingTempFiles.length;
    // Bounded by the files logged between two finish() calls of one scan, each a number.
    for (const bytes of state.pendingTempFiles) this.orphanedTempFiles.push(bytes);
  }

  all(): IterableIterator<ProcessState> {
    return this.states.values();
  }
}
