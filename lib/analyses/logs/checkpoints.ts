import { detach, type LogEntry } from './log-entry.js';

export type CheckpointCause = 'time' | 'wal' | 'requested' | 'shutdown' | 'end-of-recovery';

// "checkpoint starting: immediate force wait" — the flags name why (xlog.c LogCheckpointStart):
// "time" checkpoint_timeout, "wal" (before PG 10 "xlog") max_wal_size, "shutdown", "end-of-recovery";
// with none of those it was requested (CHECKPOINT, CREATE DATABASE, a base backup).
const STARTING = /^(?:checkpoint|restartpoint) starting:(.*)/;
// "checkpoint complete: wrote 38 buffers (0.1%); 0 WAL file(s) added, 0 removed, 0 recycled;
//  write=4.160 s, sync=0.096 s, total=4.338 s; sync files=29, longest=0.018 s, average=0.003 s; ..."
const COMPLETE =
  /^(?:checkpoint|restartpoint) complete: wrote (\d+) buffers .*?write=([\d.]+) s, sync=([\d.]+) s, total=([\d.]+) s/;

export interface CheckpointStats {
  started: Record<CheckpointCause, number>;
  completed: number;
  buffersWritten: number;
  writeSeconds: number;
  syncSeconds: number;
  maxWriteSeconds: number;
  maxSyncSeconds: number;
  maxTotalSeconds: number;
  /** When the longest sync happened: a slow fsync is a storage problem worth placing in time. */
  maxSyncAt: string | null;
  firstTime: string | null;
  lastTime: string | null;
}

/**
 * Checkpoints and restartpoints (log_checkpoints) by cause, with write and sync times, as
 * pgBadger's "Checkpoints" page.
 */
export class Checkpoints {
  readonly stats: CheckpointStats = {
    started: { time: 0, wal: 0, requested: 0, shutdown: 0, 'end-of-recovery': 0 },
    completed: 0,
    buffersWritten: 0,
    writeSeconds: 0,
    syncSeconds: 0,
    maxWriteSeconds: 0,
    maxSyncSeconds: 0,
    maxTotalSeconds: 0,
    maxSyncAt: null,
    firstTime: null,
    lastTime: null,
  };

  /** Reads a LOG entry; false when it is not a checkpoint line. */
  add(e: LogEntry): boolean {
    const m = e.message;
    if (!m.startsWith('checkpoint ') && !m.startsWith('restartpoint ')) return false;
    const s = this.stats;
    const starting = STARTING.exec(m);
    if (starting) {
      s.started[causeOf(starting[1])]++;
      s.firstTime ??= detach(e.time);
      s.lastTime = detach(e.time) ?? s.lastTime;
      return true;
    }
    const done = COMPLETE.exec(m);
    if (!done) return false;
    const [write, sync, total] = [Number(done[2]), Number(done[3]), Number(done[4])];
    s.completed++;
    s.buffersWritten += Number(done[1]);
    s.writeSeconds += write;
    s.syncSeconds += sync;
    s.maxWriteSeconds = Math.max(s.maxWriteSeconds, write);
    s.maxTotalSeconds = Math.max(s.maxTotalSeconds, total);
    if (sync > s.maxSyncSeconds) {
      s.maxSyncSeconds = sync;
      s.maxSyncAt = detach(e.time);
    }
    return true;
  }
}

function causeOf(flags: string): CheckpointCause {
  const words = flags.trim().split(/\s+/);
  if (words.includes('shutdown')) return 'shutdown';
  if (words.includes('end-of-recovery')) return 'end-of-recovery';
  if (words.includes('wal') || words.includes('xlog')) return 'wal';
  if (words.includes('time')) return 'time';
  return 'requested';
}
