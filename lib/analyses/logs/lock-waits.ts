import { detach, type LogEntry } from './log-entry.js';
import type { ProcessStates } from './process-states.js';

export type LockWaitKey = string;

export interface LockWaitGroup {
  database: string | null;
  /** Lock mode: ShareLock, AccessExclusiveLock ... */
  mode: string;
  /** What was locked: transaction, relation, tuple, advisory lock ... */
  object: string;
  /** Relation named in the entry's CONTEXT, or the relation OID the lock tag gives. */
  relation: string | null;
  waits: number;
  /** Waits whose "acquired" line was read: their duration is the real one. */
  acquired: number;
  totalMs: number;
  maxMs: number;
  firstTime: string | null;
  lastTime: string | null;
}

// "process 123 still waiting for ShareLock on transaction 456 after 1000.123 ms"
// "process 123 acquired ShareLock on transaction 456 after 1661.2 ms" (proc.c, log_lock_waits)
const LOCK_LINE = /^process (\d+) (still waiting for|acquired) (\w+) on (.+?) after (\d+(?:\.\d+)?) ms/;
// "while updating tuple (0,1) in relation "accounts"" (CONTEXT of row-level waits)
const CONTEXT_RELATION = /in relation "([^"]+)"/;
const TAG_RELATION = /relation (\d+) of database (\d+)/;

// Distinct (database, mode, object, relation) groups kept; a log with more is unusual.
const GROUPS = 1_000;

/**
 * Lock waits reported by log_lock_waits with their real durations: a wait is logged once as
 * "still waiting" when it passes deadlock_timeout and again as "acquired" when it ends, with the
 * full wait. The acquired figure replaces the still-waiting one; a wait never acquired (its
 * transaction was cancelled, deadlocked or still waiting when the log was read) keeps the last
 * logged figure, a lower bound. pgBadger counts the acquired lines only.
 */
export class LockWaits {
  private readonly groups = new Map<LockWaitKey, LockWaitGroup>();
  groupsNotKept = 0;

  constructor(private readonly processes: ProcessStates) {}

  /** Reads a LOG entry; false when it is not a lock wait line. */
  add(e: LogEntry): boolean {
    const m = LOCK_LINE.exec(e.message);
    if (!m) return false;
    const [, pid, verb, mode, tag, msText] = m;
    const ms = Number(msText);
    const state = this.processes.get(pid);
    const pending = state.lockWait;
    if (verb === 'acquired' && pending) {
      const group = this.groups.get(pending.key);
      if (group) {
        group.totalMs += ms - pending.loggedMs;
        group.maxMs = Math.max(group.maxMs, ms);
        group.acquired++;
        group.lastTime = detach(e.time) ?? group.lastTime;
      }
      state.lockWait = null;
      return true;
    }
    const object = /^[a-z ]+?(?= \d| \(|$| \[)/.exec(tag)?.[0] ?? tag.split(' ')[0];
    const relation = CONTEXT_RELATION.exec(e.context ?? '')?.[1] ?? relationOid(tag);
    const key = `${e.database ?? ''}\u0000${mode}\u0000${object}\u0000${relation ?? ''}`;
    let group = this.groups.get(key);
    if (!group) {
      if (this.groups.size >= GROUPS) {
        this.groupsNotKept++;
        return true;
      }
      group = {
        database: detach(e.database),
        mode: detach(mode),
        object: detach(object),
        relation: detach(relation),
        waits: 0,
        acquired: 0,
        totalMs: 0,
        maxMs: 0,
        firstTime: detach(e.time),
        lastTime: null,
      };
      this.groups.set(detach(key), group);
    }
    group.lastTime = detach(e.time) ?? group.lastTime;
    if (verb === 'acquired') {
      // Its "still waiting" line was before the window read: the acquired line alone is the wait.
      group.waits++;
      group.acquired++;
      group.totalMs += ms;
      group.maxMs = Math.max(group.maxMs, ms);
      return true;
    }
    group.waits++;
    group.totalMs += ms;
    group.maxMs = Math.max(group.maxMs, ms);
    state.lockWait = { key, loggedMs: ms };
    return true;
  }

  /** Groups, most total wait first. */
  ranked(): LockWaitGroup[] {
    return [...this.groups.values()].sort((a, b) => b.totalMs - a.totalMs);
  }
}

function relationOid(tag: string): string | null {
  const m = TAG_RELATION.exec(tag);
  return m ? `relation OID ${m[1]}` : null;
}
